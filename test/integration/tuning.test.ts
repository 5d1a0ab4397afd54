// Resource control on a real guest: its QEMU in its own cgroup (libvirt's layout) with the vCPU
// threads in vcpuN and the others in emulator, the definition's tuning in the cgroup files at
// start, live changes through the CLI landing in those files and in the threads' affinity,
// --config touching only the XML, the group kept across a vireod restart and gone after destroy.
// This host mounts the controllers on cgroup v1 (its cgroup2 mount has none of cpu, memory, io):
// the v2 backend is tested against a laid-out directory in test/unit/host-cgroup.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DomainEvent } from '../../src/api/types.js';
import { VireoClient } from '../../src/client/client.js';
import { TestDaemon, guestXml, scenario, waitFor, SOON } from './harness.js';

const d = new TestDaemon();
after(() => d.cleanup());

const CPUS = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
const LAST = Number(CPUS.split(/[-,]/).pop());
const TUNED = `
  <cputune>
    <shares>512</shares>
    <quota>50000</quota>
    <vcpupin vcpu='0' cpuset='${LAST}'/>
    <emulatorpin cpuset='0'/>
  </cputune>
  <memtune><hard_limit unit='MiB'>1024</hard_limit></memtune>
  <blkiotune><weight>300</weight></blkiotune>`;

/** The guest XML with tuning elements after <vcpu>. */
const tunedXml = (name: string): string => guestXml(name, { vcpus: 2 }).replace(/(<vcpu>2<\/vcpu>)/, `$1${TUNED}`);

function qemuPid(name: string): number {
  return (JSON.parse(readFileSync(path.join(d.root, 'run', 'domains', `${name}.json`), 'utf8')) as { pid: number }).pid;
}

/** The cgroup of a thread in one v1 controller, from /proc (e.g. '/machine/x.partition/qemu-1-t.libvirt-qemu/vcpu0'). */
function groupOf(pid: number, tid: number, ctrl: string): string {
  const line = readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(ctrl));
  return line?.split(':')[2] ?? '';
}

/** The thread of vCPU `n` (QEMU names it 'CPU n/TCG' under TCG). */
function vcpuThread(pid: number, n: number): number {
  const tid = readdirSync(`/proc/${pid}/task`).find((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === `CPU ${n}/TCG`);
  assert.ok(tid !== undefined, `no thread of vCPU ${n}`);
  return Number(tid);
}

const affinity = (pid: number, tid: number): string => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? '';
const file = (ctrl: string, group: string, name: string): string => readFileSync(path.join('/sys/fs/cgroup', ctrl, group, name), 'utf8').trim();
/** The block I/O weight file the kernel offers (blkio.weight with CFQ, BFQ's otherwise). */
const blkioWeight = (group: string): string => file('blkio', group, existsSync(path.join('/sys/fs/cgroup/blkio', group, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight');

test('resource control on cgroups, applied at start and changed live', async (t) => {
  const step = scenario(t);
  await d.start();
  const group = `${d.cgroupPartition}.partition/qemu-1-tt.libvirt-qemu`.replace(/^\//, '');
  let pid = 0;

  await step("at start: QEMU in its own group, its threads in vcpuN and emulator, the definition's tuning in the files", async () => {
    const xmlFile = path.join(d.root, 'tt.xml');
    writeFileSync(xmlFile, tunedXml('tt'));
    await d.ok('define', xmlFile);
    await d.ok('start', 'tt');
    pid = qemuPid('tt');
    assert.equal(groupOf(pid, pid, 'memory'), `/${group}`);
    assert.equal(groupOf(pid, pid, 'cpu'), `/${group}/emulator`);
    const v0 = vcpuThread(pid, 0);
    const v1 = vcpuThread(pid, 1);
    assert.equal(groupOf(pid, v0, 'cpu'), `/${group}/vcpu0`);
    assert.equal(groupOf(pid, v1, 'cpuset'), `/${group}/vcpu1`);
    assert.equal(groupOf(pid, v0, 'memory'), `/${group}`);
    assert.equal(file('cpu', group, 'cpu.shares'), '512');
    assert.equal(file('cpu', `${group}/vcpu0`, 'cpu.cfs_quota_us'), '50000');
    assert.equal(file('cpu', `${group}/emulator`, 'cpu.cfs_quota_us'), '-1');
    assert.equal(file('memory', group, 'memory.limit_in_bytes'), String(1024 * 1024 * 1024));
    assert.equal(blkioWeight(group), '300');
    assert.equal(file('cpuset', `${group}/vcpu0`, 'cpuset.cpus'), String(LAST));
    assert.equal(affinity(pid, v0), String(LAST));
    assert.equal(affinity(pid, pid), '0');
  });

  await step('live changes land in the cgroup files and the threads, with tunable events', async () => {
    const client = VireoClient.open(d.uri);
    const events: DomainEvent[] = [];
    const stop = await client.events((e) => events.push(e));
    try {
      await d.ok('schedinfo', 'tt', '--set', 'cpu_shares=700', 'vcpu_quota=30000');
      await waitFor(() => events.some((e) => e.type === 'tunable'), SOON, 'the tunable event');
      assert.deepEqual(events.find((e) => e.type === 'tunable')?.params, [['cputune.cpu_shares', '700'], ['cputune.vcpu_quota', '30000']]);
    } finally {
      stop();
      client.close();
    }
    assert.equal(file('cpu', group, 'cpu.shares'), '700');
    assert.equal(file('cpu', `${group}/vcpu0`, 'cpu.cfs_quota_us'), '30000');
    assert.equal(file('cpu', `${group}/vcpu1`, 'cpu.cfs_quota_us'), '30000');
    await d.ok('memtune', 'tt', '--hard-limit', '2097152', '--soft-limit', '1G');
    assert.equal(file('memory', group, 'memory.limit_in_bytes'), String(2 * 1024 * 1024 * 1024));
    assert.equal(file('memory', group, 'memory.soft_limit_in_bytes'), String(1024 * 1024 * 1024));
    assert.equal(await d.ok('memtune', 'tt'), 'hard_limit     : 2097152\nsoft_limit     : 1048576\nswap_hard_limit: unlimited\n\n');
    await d.ok('blkiotune', 'tt', '--weight', '500');
    assert.equal(blkioWeight(group), '500');
    await d.ok('vcpupin', 'tt', '1', '0');
    assert.equal(file('cpuset', `${group}/vcpu1`, 'cpuset.cpus'), '0');
    assert.equal(affinity(pid, vcpuThread(pid, 1)), '0');
    assert.equal(await d.ok('vcpupin', 'tt'), ` VCPU   CPU Affinity\n----------------------\n 0      ${LAST}\n 1      0\n\n`);
    await d.ok('emulatorpin', 'tt', String(LAST));
    assert.equal(affinity(pid, pid), String(LAST));
    assert.equal(file('cpuset', `${group}/emulator`, 'cpuset.cpus'), String(LAST));
  });

  await step('--config changes only the stored definition', async () => {
    await d.ok('schedinfo', 'tt', '--config', '--set', 'cpu_shares=100');
    assert.equal(file('cpu', group, 'cpu.shares'), '700');
    assert.match(await d.ok('dumpxml', '--inactive', 'tt'), /<shares>100<\/shares>/);
    assert.match(await d.ok('dumpxml', 'tt'), /<shares>700<\/shares>/);
    assert.match(await d.ok('schedinfo', 'tt'), /cpu_shares {5}: 700\n/);
  });

  await step('CPU time of the guest comes from its cgroup', async () => {
    const total = (out: string): number => Number(/cpu_time +([\d.]+) seconds/.exec(out)?.[1]);
    const first = total(await d.ok('cpu-stats', 'tt', '--total'));
    await waitFor(async () => total(await d.ok('cpu-stats', 'tt', '--total')) > first, SOON, 'the guest to use CPU time');
    assert.match(await d.ok('cpu-stats', 'tt', '--start', '0', '--count', '1'), /^CPU0:\n\tcpu_time +\d+\.\d{9} seconds\n\tvcpu_time +\d+\.\d{9} seconds\n\n$/);
  });

  await step('refusals in libvirt words', async () => {
    const max = LAST + 1;
    assert.equal(await d.failing('vcpupin', 'tt', '0', String(max)), `error: CPU ${max} in cpulist '${max}' exceed the maxcpu ${max}\n`);
    assert.equal(await d.failing('memtune', 'tt', '--hard-limit', '9007199254740992'),
      "error: Unable to change memory parameters\nerror: invalid argument: Memory '9007199254740992' must be less than '9007199254740991'\n");
    assert.equal(await d.failing('vcpupin', 'tt', '2', '0'), 'error: invalid argument: vcpu 2 is out of range of live cpu count 2\n');
  });

  await step('after a vireod restart the group is found again and still tuned live', async () => {
    await d.stop();
    await d.start();
    assert.match(await d.ok('schedinfo', 'tt'), /cpu_shares {5}: 700\n/);
    await d.ok('schedinfo', 'tt', '--set', 'cpu_shares=800');
    assert.equal(file('cpu', group, 'cpu.shares'), '800');
    assert.equal(groupOf(pid, vcpuThread(pid, 0), 'cpu'), `/${group}/vcpu0`);
  });

  await step('destroy removes the group; --live on the shut-off guest is refused', async () => {
    await d.ok('destroy', 'tt');
    for (const ctrl of ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio']) assert.equal(existsSync(path.join('/sys/fs/cgroup', ctrl, group)), false, ctrl);
    assert.equal(await d.failing('schedinfo', 'tt', '--live'), 'error: Requested operation is not valid: domain is not running\n');
    // The definition keeps the --config change and the earlier ones made with --current on the live guest only.
    assert.match(await d.ok('schedinfo', 'tt'), /cpu_shares {5}: 100\n/);
  });

  await step('a guest that died while vireod was down leaves no group behind once vireod is back', async () => {
    await d.ok('start', 'tt');
    const group2 = `${d.cgroupPartition}.partition/qemu-2-tt.libvirt-qemu`.replace(/^\//, '');
    assert.equal(existsSync(path.join('/sys/fs/cgroup/cpu', group2)), true);
    const qemu = qemuPid('tt');
    await d.stop();
    process.kill(qemu, 'SIGKILL');
    await waitFor(() => d.qemuPids().length === 0, SOON, 'QEMU to die');
    await d.start();
    assert.equal(await d.domstate('tt'), 'shut off (crashed)');
    for (const ctrl of ['cpu', 'cpuset', 'memory']) assert.equal(existsSync(path.join('/sys/fs/cgroup', ctrl, group2)), false, ctrl);
  });
});
