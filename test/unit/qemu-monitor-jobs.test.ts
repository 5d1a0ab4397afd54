// query-jobs parsed at the edge (a reply as QEMU 7.2 gives it for a failed snapshot-save job), and
// the lifecycle event details of the pauses a snapshot job causes (libvirt's: Suspended/Resumed
// Snapshot on revert, Paused/Unpaused otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VireoError } from '../../src/api/errors.js';
import { parseJobs } from '../../src/qemu/monitor-jobs.js';
import { nextState } from '../../src/daemon/domain/state.js';

test('parseJobs reads id, status and the error of a concluded job; bad replies are QEMU_FAILED', () => {
  const reply = [
    { 'current-progress': 1, status: 'concluded', 'total-progress': 1, type: 'snapshot-save', id: 'j1', error: "Device 'nope' not found" },
    { 'current-progress': 0, status: 'running', 'total-progress': 1, type: 'snapshot-load', id: 'j2' },
    { status: 'running' },
  ];
  assert.deepEqual(parseJobs(reply), [
    { id: 'j1', status: 'concluded', error: "Device 'nope' not found" },
    { id: 'j2', status: 'running' },
  ]);
  assert.throws(() => parseJobs({}), (e: unknown) => e instanceof VireoError && e.code === 'QEMU_FAILED');
});

test('STOP and RESUME around a snapshot job: libvirt\'s event details', () => {
  assert.deepEqual(nextState('running', 'qemu-paused', 'from snapshot')?.event, { event: 'Suspended', detail: 'Snapshot' });
  assert.deepEqual(nextState('running', 'qemu-paused', 'creating snapshot'), { state: 'paused', reason: 'creating snapshot', event: { event: 'Suspended', detail: 'Paused' } });
  assert.deepEqual(nextState('paused', 'resume', 'from snapshot'), { state: 'running', reason: 'from snapshot', event: { event: 'Resumed', detail: 'Snapshot' } });
  assert.deepEqual(nextState('paused', 'resume')?.event, { event: 'Resumed', detail: 'Unpaused' });
});
