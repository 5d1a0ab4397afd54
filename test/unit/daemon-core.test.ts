// The pure parts of the daemon's core: the registry's reservations, the state table, the job
// queue's overtaking, and the revert helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Table } from '../../src/daemon/registry.js';
import { nextState } from '../../src/daemon/domain/state.js';
import { JobQueue } from '../../src/daemon/domain/jobs.js';
import { Revert } from '../../src/util/revert.js';
import { VireoError } from '../../src/api/errors.js';

const clash = {
  nameTaken: (n: string, u: string) => new VireoError('DOMAIN_EXISTS', `name ${n} taken by ${u}`),
  uuidTaken: (u: string, n: string) => new VireoError('DOMAIN_EXISTS', `uuid ${u} taken by ${n}`),
};

test('registry: a reserved name or UUID is refused until released; reservations are invisible to lookups', () => {
  const t = new Table<string>(clash);
  const r = t.reserve('a', 'u1');
  assert.throws(() => t.reserve('a', 'u2'), /name a taken by u1/);
  assert.throws(() => t.reserve('b', 'u1'), /uuid u1 taken by a/);
  assert.equal(t.getByName('a'), undefined);
  assert.deepEqual(t.values(), []);
  r.release();
  const r2 = t.reserve('a', 'u2');
  r2.commit('A');
  assert.equal(t.getByName('a'), 'A');
  assert.equal(t.get('u2'), 'A');
  r2.release(); // after commit: no effect
  assert.equal(t.get('u2'), 'A');
});

test('registry: rename moves the name and refuses a taken one; remove only removes the same value', () => {
  const t = new Table<string>(clash);
  t.add('a', 'u1', 'A');
  t.add('b', 'u2', 'B');
  assert.throws(() => t.rename('u1', 'b'), /name b taken by u2/);
  t.rename('u1', 'c');
  assert.equal(t.getByName('c'), 'A');
  assert.equal(t.nameTaken('a'), false);
  assert.equal(t.remove('u1', 'other'), false);
  assert.equal(t.remove('u1', 'A'), true);
  assert.deepEqual(t.values(), ['B']);
});

test('state table: allowed transitions carry virsh reasons and events; others are refused', () => {
  assert.deepEqual(nextState('shut off', 'start'), { state: 'running', reason: 'booted', event: { event: 'Started', detail: 'Booted' } });
  assert.deepEqual(nextState('running', 'stop', 'destroyed'), { state: 'shut off', reason: 'destroyed', event: { event: 'Stopped', detail: 'Destroyed' } });
  assert.deepEqual(nextState('running', 'stop', 'daemon'), { state: 'shut off', reason: 'daemon', event: { event: 'Stopped', detail: 'Failed' } });
  assert.deepEqual(nextState('running', 'reboot'), { state: 'running', reason: 'booted' });
  assert.equal(nextState('paused', 'suspend'), undefined, 'a second STOP does not pause twice');
  assert.equal(nextState('shut off', 'resume'), undefined);
  assert.equal(nextState('shut off', 'stop', 'destroyed'), undefined);
});

test('jobs: run in order; overtake fails the queued job at once and the running one when it fails', async () => {
  const q = new JobQueue(() => 'vm');
  const order: string[] = [];
  let release!: (v: unknown) => void;
  const blocked = new Promise((_r, reject) => (release = reject));
  const first = q.run('suspend', 'short', async () => {
    order.push('suspend');
    await blocked;
  });
  const second = q.run('reset', 'short', async () => void order.push('reset'));
  await new Promise((r) => setImmediate(r));
  assert.equal(q.current?.name, 'suspend');
  assert.equal(q.waiting, 1);
  q.overtake('destroy');
  await assert.rejects(second, (e: VireoError) => e.code === 'OPERATION_ABORTED' && /job 'reset' of domain 'vm' was cut short by destroy before it could run/.test(e.message));
  const third = q.run('start', 'short', async () => void order.push('start'));
  await third; // does not wait for the overtaken job to unwind
  release(new Error('monitor closed'));
  await assert.rejects(first, /job 'suspend' of domain 'vm' was cut short by destroy while it was running/);
  assert.deepEqual(order, ['suspend', 'start']);
});

test('jobs: a long job makes other changes fail at once, but not internal jobs', async () => {
  const q = new JobQueue(() => 'vm');
  let finish!: () => void;
  const long = q.run('save', 'long', () => new Promise<void>((r) => (finish = r)));
  await new Promise((r) => setImmediate(r));
  await assert.rejects(q.run('suspend', 'short', async () => {}), (e: VireoError) => e.code === 'JOB_BUSY' && /job 'save' is running/.test(e.message));
  const internal = q.run('end powered-off guest', 'short', async () => 'ran', { internal: true });
  finish();
  await long;
  assert.equal(await internal, 'ran');
});

test('jobs: a long job reports progress and stops when aborted; only long jobs can be aborted', async () => {
  const q = new JobQueue(() => 'vm');
  assert.throws(() => q.abort(), /Requested operation is not valid: no job is active on the domain/);
  let step!: () => void;
  const long = q.run('save', 'long', async (job) => {
    for (let i = 1; i <= 100; i++) {
      await new Promise<void>((r) => (step = r));
      job.signal.throwIfAborted();
      job.progress(i, 100);
    }
  });
  await new Promise((r) => setImmediate(r));
  step();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(q.current?.progress, { processed: 1, total: 100 });
  q.abort();
  step();
  await assert.rejects(long, (e: VireoError) => e.code === 'OPERATION_ABORTED' && /job 'save' of domain 'vm' was aborted on request/.test(e.message));
  assert.equal(q.current, undefined);
});

test('revert: undo steps run newest first, only on failure, and a failing undo does not stop the others', async () => {
  const done: string[] = [];
  await assert.rejects(Revert.run(async (r) => {
    r.add(() => done.push('one'));
    r.add(() => {
      throw new Error('undo fails');
    });
    r.add(async () => void done.push('three'));
    throw new Error('step four fails');
  }), /step four fails/);
  assert.deepEqual(done, ['three', 'one']);
  done.length = 0;
  assert.equal(await Revert.run(async (r) => {
    r.add(() => done.push('x'));
    return 7;
  }), 7);
  assert.deepEqual(done, []);
});
