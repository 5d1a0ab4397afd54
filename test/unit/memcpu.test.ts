// Pure parts of memory and vCPU control: virsh's scaled sizes, node-memory-tune's listing, KSM
// files read from a tree, hugetlbfs mounts from /proc/mounts, and the order of CPU slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatMemoryParameters, scaledKiB } from '../../src/cli/commands/memcpu.js';
import { CmdFailure } from '../../src/cli/errors.js';
import { readKsm, writeKsm } from '../../src/host/ksm.js';
import { parseHugetlbfsMounts } from '../../src/host/hugepages.js';
import { sortSlots } from '../../src/daemon/domain/vcpus.js';

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CmdFailure) return e.lines.join('\n');
    throw e;
  }
  return 'no failure';
};

test('sizes as virsh scales them: KiB by default, bytes rounded up', () => {
  assert.equal(scaledKiB('1024', 'size'), 1024);
  assert.equal(scaledKiB('200M', 'size'), 204800);
  assert.equal(scaledKiB('1G', 'size'), 1048576);
  assert.equal(scaledKiB('2GiB', 'size'), 2097152);
  assert.equal(scaledKiB('1MB', 'size'), 977); // 1,000,000 bytes
  assert.equal(scaledKiB('1b', 'size'), 1);
  assert.equal(failure(() => scaledKiB('12q', 'size')), "Scaled numeric value '12q' for <size> option is malformed or out of range\ninvalid argument: unknown suffix 'q'");
  assert.equal(failure(() => scaledKiB('-1', 'size')), "Scaled numeric value '-1' for <size> option is malformed or out of range");
});

test("node-memory-tune's listing: a tab, the name padded to 15, the value; absent parameters left out", () => {
  const p = {
    shm_pages_to_scan: 100, shm_sleep_millisecs: 20, shm_pages_shared: 0, shm_pages_sharing: 0, shm_pages_unshared: 0,
    shm_pages_volatile: 0, shm_full_scans: 3, shm_merge_across_nodes: null,
  };
  assert.equal(formatMemoryParameters(p), 'Shared memory:\n\tshm_pages_to_scan 100\n\tshm_sleep_millisecs 20\n\tshm_pages_shared 0\n'
    + '\tshm_pages_sharing 0\n\tshm_pages_unshared 0\n\tshm_pages_volatile 0\n\tshm_full_scans  3\n');
});

test('KSM parameters from a tree: a missing file is null; writes go to the files, refusals name them', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'vireo-ksm-'));
  try {
    const dir = path.join(root, 'sys/kernel/mm/ksm');
    mkdirSync(dir, { recursive: true });
    for (const [f, v] of [['pages_to_scan', 100], ['sleep_millisecs', 20], ['pages_shared', 5], ['full_scans', 2]] as const) writeFileSync(path.join(dir, f), `${v}\n`);
    const p = await readKsm(root);
    assert.equal(p.shm_pages_to_scan, 100);
    assert.equal(p.shm_pages_shared, 5);
    assert.equal(p.shm_merge_across_nodes, null);
    await writeKsm({ shm_pages_to_scan: 7, shm_sleep_millisecs: 9 }, root);
    assert.equal(readFileSync(path.join(dir, 'pages_to_scan'), 'utf8'), '7\n');
    assert.equal(readFileSync(path.join(dir, 'sleep_millisecs'), 'utf8'), '9\n');
    rmSync(dir, { recursive: true });
    await assert.rejects(writeKsm({ shm_merge_across_nodes: 0 }, root), /^VireoError: operation failed: Unable to set 'shm_merge_across_nodes' in .*merge_across_nodes: this kernel has no such KSM setting$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('hugetlbfs mounts and their page sizes from /proc/mounts', () => {
  const mounts = 'proc /proc proc rw 0 0\nhugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n'
    + 'none /mnt/huge\\0401G hugetlbfs rw,pagesize=1024M 0 0\nnone /mnt/h hugetlbfs rw 0 0\n';
  assert.deepEqual(parseHugetlbfsMounts(mounts, 2048), [
    { path: '/dev/hugepages', pageKiB: 2048 },
    { path: '/mnt/huge 1G', pageKiB: 1048576 },
    { path: '/mnt/h', pageKiB: 2048 },
  ]);
});

test('CPU slots in libvirt order: by socket, die, core, thread (QEMU lists them backwards)', () => {
  const slot = (socket: number, core: number, qomPath?: string): { type: string; props: Record<string, number>; qomPath?: string } =>
    ({ type: 'qemu64-x86_64-cpu', props: { 'socket-id': socket, 'core-id': core, 'thread-id': 0 }, ...(qomPath === undefined ? {} : { qomPath }) });
  const sorted = sortSlots([slot(1, 1), slot(1, 0), slot(0, 1, '/machine/peripheral/vcpu1'), slot(0, 0, '/machine/unattached/device[0]')]);
  assert.deepEqual(sorted.map((s) => [s.props['socket-id'], s.props['core-id']]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
});
