// The statistics: /proc and QMP replies parsed at the edge (replies recorded from QEMU 7.2, stat
// lines from Linux 6.x), and the CLI's layouts checked against what virsh 9.0 printed for the
// same values (libvirt-ref, the tiny guest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseSchedstat, parseTaskStat, parseTaskStatus } from '../../src/host/taskstat.js';
import { parseBalloonGuestStats, parseBlockIoStatus, parseBlockstats, parseCpusFast, parseDirtyRate } from '../../src/qemu/monitor-stats.js';
import { balloonStatLines, cpusetList, perCpuTimes } from '../../src/daemon/domain/stats.js';
import { stateCodes } from '../../src/daemon/domain/domstats.js';
import {
  cpuMapString, cpuRanges, formatBlockErrors, formatBlockStats, formatCpuStats, formatDomainStats, formatInterfaceStats, formatMemStats,
  formatNodeCpuMap, formatVcpuCountRows, formatVcpuInfo,
} from '../../src/cli/statsformat.js';

test('a task stat line: state, user and system time (ticks to ns), the CPU it last ran on; a name with spaces and parentheses', () => {
  const line = '20268 (CPU 0/TCG) (x) S 1 20260 20260 0 -1 4194368 0 0 0 0 359 131 0 0 20 0 4 0 2208751 1420000000 60000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 -1 1 0 0 0 0 0\n';
  assert.deepEqual(parseTaskStat(line), { state: 'S', userNs: 3_590_000_000, systemNs: 1_310_000_000, processor: 1 });
  assert.equal(parseTaskStat('garbage'), undefined);
  assert.deepEqual(parseSchedstat('7376720 14022600 4\n'), { runNs: 7376720, delayNs: 14022600 });
  assert.deepEqual(parseTaskStatus('Name:\tqemu\nVmRSS:\t  269972 kB\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n'), { affinity: [0, 1], rssKiB: 269972 });
});

test('QMP replies of QEMU 7.2: vCPU threads, disk counters, io-status, balloon statistics, dirty rate', () => {
  assert.deepEqual(parseCpusFast([
    { 'thread-id': 20269, props: { 'core-id': 0, 'thread-id': 0, 'socket-id': 1 }, 'qom-path': '/machine/unattached/device[2]', 'cpu-index': 1, target: 'x86_64' },
    { 'thread-id': 20268, props: { 'core-id': 0, 'thread-id': 0, 'socket-id': 0 }, 'qom-path': '/machine/unattached/device[0]', 'cpu-index': 0, target: 'x86_64' },
  ]), [{ cpuIndex: 0, threadId: 20268 }, { cpuIndex: 1, threadId: 20269 }]);
  const [b] = parseBlockstats([{
    device: '', qdev: '/machine/peripheral/virtio-disk0/virtio-backend', 'node-name': 'libvirt-1-format',
    stats: { flush_total_time_ns: 0, wr_highest_offset: 4096, wr_total_time_ns: 7, wr_bytes: 512, rd_total_time_ns: 585775, flush_operations: 2, wr_operations: 1, rd_bytes: 12288, rd_operations: 3 },
    parent: { stats: { rd_bytes: 99 } },
  }]);
  assert.deepEqual(b, {
    qdev: '/machine/peripheral/virtio-disk0/virtio-backend', device: '', rdReq: 3, rdBytes: 12288, wrReq: 1, wrBytes: 512, flushReq: 2,
    rdTimeNs: 585775, wrTimeNs: 7, flushTimeNs: 0, wrHighestOffset: 4096,
  });
  assert.deepEqual(parseBlockIoStatus([{ 'io-status': 'nospace', device: '', qdev: 'x' }, { device: 'ide1-cd0', qdev: 'y' }]), [
    { qdev: 'x', device: '', ioStatus: 'nospace' }, { qdev: 'y', device: 'ide1-cd0' },
  ]);
  const g = parseBalloonGuestStats({
    stats: { 'stat-htlb-pgalloc': 0, 'stat-swap-out': 0, 'stat-available-memory': 59670528, 'stat-htlb-pgfail': 0, 'stat-free-memory': 53706752, 'stat-minor-faults': 900, 'stat-major-faults': 0, 'stat-total-memory': 83615744, 'stat-swap-in': 0, 'stat-disk-caches': 3813376 },
    'last-update': 1796186087,
  });
  // virsh's names, order and units (KiB) for the same reply.
  assert.equal(formatMemStats([{ tag: 'actual', value: 131072 }, ...balloonStatLines(g), { tag: 'rss', value: 269972 }]),
    'actual 131072\nswap_in 0\nswap_out 0\nmajor_fault 0\nminor_fault 900\nunused 52448\navailable 81656\nusable 58272\nlast_update 1796186087\n'
    + 'disk_caches 3724\nhugetlb_pgalloc 0\nhugetlb_pgfail 0\nrss 269972\n');
  // A guest whose balloon driver has sent nothing: QEMU's unset values (2^64 - 1) are left out, last_update stays.
  const none = parseBalloonGuestStats({ stats: { 'stat-free-memory': 2 ** 64, 'stat-swap-in': -1 }, 'last-update': 0 });
  assert.deepEqual(balloonStatLines(none), [{ tag: 'last_update', value: 0 }]);
  assert.deepEqual(parseDirtyRate({ status: 'unstarted', 'start-time': 0, 'calc-time': 0, 'sample-pages': 512, mode: 'page-sampling' }),
    { status: 0, startTime: 0, periodS: 0, mode: 'page-sampling' });
  assert.throws(() => parseCpusFast({}), /query-cpus-fast/);
});

test("libvirt's state and reason numbers; cpusets with exclusions", () => {
  assert.deepEqual(stateCodes('running', 'booted'), [1, 1]);
  assert.deepEqual(stateCodes('paused', 'user'), [3, 1]);
  assert.deepEqual(stateCodes('shut off', 'destroyed'), [5, 2]);
  assert.deepEqual(stateCodes('shut off', 'unknown'), [5, 0]);
  assert.deepEqual(stateCodes('crashed', 'panicked'), [6, 1]);
  assert.deepEqual(cpusetList(undefined, 2), [0, 1]);
  assert.deepEqual(cpusetList('0-3,^2', 8), [0, 1, 3]);
  assert.deepEqual(cpusetList('0-7', 2), [0, 1]);
});

test('vcpuinfo as virsh prints it: running, --pretty, shut off (no colon after CPU time), a 0 s CPU time left out', () => {
  const running = { hostCpus: 2, vcpus: [
    { vcpu: 0, cpu: 0, state: 'running' as const, cpuTimeNs: 2_240_000_000, affinity: [0, 1] },
    { vcpu: 1, cpu: 1, state: 'running' as const, cpuTimeNs: 0, affinity: [0, 1] },
  ] };
  assert.equal(formatVcpuInfo(running, false),
    'VCPU:           0\nCPU:            0\nState:          running\nCPU time:       2.2s\nCPU Affinity:   yy\n\n'
    + 'VCPU:           1\nCPU:            1\nState:          running\nCPU Affinity:   yy\n');
  assert.equal(formatVcpuInfo({ hostCpus: 2, vcpus: [running.vcpus[0]!] }, true),
    'VCPU:           0\nCPU:            0\nState:          running\nCPU time:       2.2s\nCPU Affinity:   0-1 (out of 2)\n');
  assert.equal(formatVcpuInfo({ hostCpus: 2, vcpus: [{ vcpu: 0, cpu: null, state: null, cpuTimeNs: null, affinity: [0, 1] }] }, false),
    'VCPU:           0\nCPU:            N/A\nState:          N/A\nCPU time        N/A\nCPU Affinity:   yy\n');
  assert.equal(cpuMapString([0, 2], 4), 'y-y-');
  assert.equal(cpuRanges([0, 1, 2, 4, 6, 7]), '0-2,4,6-7');
});

test('vcpucount, domblkstat (one disk, the sum, --human), domifstat, domblkerror, nodecpumap as virsh prints them', () => {
  assert.equal(formatVcpuCountRows([['maximum', 'config', 2], ['current', 'live', 2]]), 'maximum      config         2\ncurrent      live           2\n');
  const s = { device: 'vda', rdReq: 3, rdBytes: 12288, wrReq: 0, wrBytes: 0, flushReq: 0, rdTimeNs: 585775, wrTimeNs: 0, flushTimeNs: 0 };
  assert.equal(formatBlockStats(s, false), 'vda rd_req 3\nvda rd_bytes 12288\nvda wr_req 0\nvda wr_bytes 0\nvda flush_operations 0\nvda rd_total_times 585775\nvda wr_total_times 0\nvda flush_total_times 0\n');
  assert.ok(formatBlockStats({ ...s, device: '' }, false).startsWith(' rd_req 3\n rd_bytes 12288\n'));
  assert.equal(formatBlockStats({ ...s, device: '' }, true),
    'Device: \n number of read operations:      3\n number of bytes read:           12288\n number of write operations:     0\n'
    + ' number of bytes written:        0\n number of flush operations:     0\n total duration of reads (ns):   585775\n'
    + ' total duration of writes (ns):  0\n total duration of flushes (ns): 0\n');
  assert.equal(formatInterfaceStats({ interface: 'vnet0', rxBytes: 1, rxPackets: 2, rxErrs: 3, rxDrop: 4, txBytes: 5, txPackets: 6, txErrs: 7, txDrop: 8 }),
    'vnet0 rx_bytes 1\nvnet0 rx_packets 2\nvnet0 rx_errs 3\nvnet0 rx_drop 4\nvnet0 tx_bytes 5\nvnet0 tx_packets 6\nvnet0 tx_errs 7\nvnet0 tx_drop 8\n');
  assert.equal(formatBlockErrors([]), 'No errors found\n');
  assert.equal(formatBlockErrors([{ device: 'vda', error: 'no space' }]), 'vda: no space\n');
  assert.equal(formatNodeCpuMap({ present: 2, online: [0, 1] }, false), 'CPUs present:   2\nCPUs online:    2\nCPU map:        yy\n');
  assert.equal(formatNodeCpuMap({ present: 4, online: [0, 1, 3] }, true), 'CPUs present:   4\nCPUs online:    3\nCPU map:        0-1,3\n');
});

test('cpu-stats: the Total block as virsh 9.0 printed it, per-CPU rows from --start for --count', () => {
  const r = { total: { cpuTimeNs: 3_878_545_000, userTimeNs: 2_831_174_000, systemTimeNs: 1_047_371_000 }, cpus: [{ cpu: 0, cpuTimeNs: 5 }, { cpu: 1, cpuTimeNs: 12_000_000_001, vcpuTimeNs: 7 }] };
  assert.equal(formatCpuStats(r, { start: 0, count: 0, perCpu: false, total: true }),
    'Total:\n\tcpu_time             3.878545000 seconds\n\tuser_time            2.831174000 seconds\n\tsystem_time          1.047371000 seconds\n');
  assert.equal(formatCpuStats(r, { start: 1, count: 1, perCpu: true, total: false }),
    'CPU1:\n\tcpu_time            12.000000001 seconds\n\tvcpu_time            0.000000007 seconds\n');
});

test('domstats: a Domain line, two-space-indented fields, a blank line between domains', () => {
  assert.equal(formatDomainStats([
    { name: 'g2', stats: { 'state.state': 5, 'state.reason': 0 } },
    { name: 'g1', stats: { 'state.state': 1, 'state.reason': 1, 'dirtyrate.calc_mode': 'page-sampling' } },
  ]), "Domain: 'g2'\n  state.state=5\n  state.reason=0\n\nDomain: 'g1'\n  state.state=1\n  state.reason=1\n  dirtyrate.calc_mode=page-sampling\n");
  assert.equal(formatDomainStats([{ name: 'g1', stats: {} }]), "Domain: 'g1'\n");
});

test("cpu-stats per host CPU: from the guest's own cpuacct cgroup (libvirt's layout), refused where QEMU shares one", async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'vireo-cpuacct-'));
  try {
    const put = (p: string, text: string): void => {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      writeFileSync(path.join(root, p), text);
    };
    put('proc/self/mountinfo', '30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n');
    const g = 'sys/fs/cgroup/cpu,cpuacct/machine/qemu-1-g1';
    put('proc/4242/cgroup', '12:cpu,cpuacct:/machine/qemu-1-g1/emulator\n11:memory:/machine/qemu-1-g1\n');
    put(`${g}/cgroup.procs`, '');
    put(`${g}/emulator/cgroup.procs`, '4242\n');
    put(`${g}/cpuacct.usage_percpu`, '100 200 \n');
    put(`${g}/vcpu0/cpuacct.usage_percpu`, '30 40\n');
    put(`${g}/vcpu1/cpuacct.usage_percpu`, '5 6\n');
    assert.deepEqual(await perCpuTimes(4242, root), { cpus: [{ cpu: 0, cpuTimeNs: 100, vcpuTimeNs: 35 }, { cpu: 1, cpuTimeNs: 200, vcpuTimeNs: 46 }] });
    const refused = { error: 'Requested operation is not valid: cgroup CPUACCT controller is not mounted' };
    put('proc/77/cgroup', '12:cpu,cpuacct:/user.slice\n');
    put('sys/fs/cgroup/cpu,cpuacct/user.slice/cgroup.procs', '77\n88\n');
    assert.deepEqual(await perCpuTimes(77, root), refused);
    put('proc/78/cgroup', '12:cpu,cpuacct:/\n');
    assert.deepEqual(await perCpuTimes(78, root), refused);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
