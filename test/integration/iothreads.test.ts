// I/O threads on a real guest: a virtio disk on iothread 1 that the guest writes to, iothreadinfo
// showing QEMU's threads and their affinity, iothreadadd/iothreaddel live and in the config,
// iothreadpin changing the thread's affinity on the host, each thread in its own iothreadN cgroup
// with the definition's quota, iothreadset and domstats --iothread, and all of it found again
// after a vireod restart. This host mounts the cgroup controllers on v1 (see tuning.test.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DomainEvent } from '../../src/api/types.js';
import { VireoClient } from '../../src/client/client.js';
import { TestDaemon, guestXml, scenario, waitFor, SOON } from './harness.js';

const d = new TestDaemon();
after(() => d.cleanup());

const CPUS = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
const LAST = Number(CPUS.split(/[-,]/).pop());

function qemuPid(name: string): number {
  return (JSON.parse(readFileSync(path.join(d.root, 'run', 'domains', `${name}.json`), 'utf8')) as { pid: number }).pid;
}

/** The host thread of I/O thread `id` (QEMU names it 'IO iothreadN' with debug-threads=on), if it runs. */
function ioThread(pid: number, id: number): number | undefined {
  const tid = readdirSync(`/proc/${pid}/task`).find((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === `IO iothread${id}`);
  return tid === undefined ? undefined : Number(tid);
}

function mustThread(pid: number, id: number): number {
  const tid = ioThread(pid, id);
  assert.ok(tid !== undefined, `no thread of I/O thread ${id}`);
  return tid;
}

function groupOf(pid: number, tid: number, ctrl: string): string {
  const line = readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(ctrl));
  return line?.split(':')[2] ?? '';
}

const affinity = (pid: number, tid: number): string => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? '';
const file = (ctrl: string, group: string, name: string): string => readFileSync(path.join('/sys/fs/cgroup', ctrl, group, name), 'utf8').trim();

/** virsh's iothreadinfo table for these rows. */
function table(rows: Array<{ id: number; affinity: string }>): string {
  return ` IOThread ID   CPU Affinity\n-----------------------------\n${rows.map((r) => ` ${String(r.id).padEnd(11)}   ${r.affinity}\n`).join('')}\n`;
}

async function info(...args: string[]): Promise<Array<{ id: number; affinity: string }>> {
  return JSON.parse(await d.ok('iothreadinfo', 'io', '--json', ...args)) as Array<{ id: number; affinity: string }>;
}

test('I/O threads on a running guest', async (t) => {
  const step = scenario(t);
  await d.start();
  const group = `${d.cgroupPartition}.partition/qemu-1-io.libvirt-qemu`.replace(/^\//, '');
  let pid = 0;

  await step('at start: each I/O thread in its own group, pinned and limited as defined; the guest writes to a disk on iothread 1', async () => {
    const img = path.join(d.root, 'vda.img');
    execFileSync('truncate', ['-s', '16M', img]);
    const disk = `<disk type='file' device='disk'><driver name='qemu' type='raw' iothread='1'/><source file='${img}'/><target dev='vda' bus='virtio'/></disk>`;
    const xml = guestXml('io', { vcpus: 2, extraDevices: disk }).replace('<vcpu>2</vcpu>', `<vcpu>2</vcpu>
  <iothreads>2</iothreads>
  <cputune><iothread_quota>50000</iothread_quota><iothreadpin iothread='1' cpuset='${LAST}'/></cputune>`);
    writeFileSync(path.join(d.root, 'io.xml'), xml);
    await d.ok('define', path.join(d.root, 'io.xml'));
    assert.equal(await d.ok('iothreadinfo', 'io'), table([{ id: 1, affinity: String(LAST) }, { id: 2, affinity: CPUS }]));
    await d.ok('start', 'io');
    pid = qemuPid('io');
    for (const id of [1, 2]) {
      const tid = mustThread(pid, id);
      assert.equal(groupOf(pid, tid, 'cpu'), `/${group}/iothread${id}`);
      assert.equal(groupOf(pid, tid, 'cpuset'), `/${group}/iothread${id}`);
      assert.equal(file('cpu', `${group}/iothread${id}`, 'cpu.cfs_quota_us'), '50000');
    }
    assert.equal(affinity(pid, mustThread(pid, 1)), String(LAST));
    assert.equal(file('cpuset', `${group}/iothread1`, 'cpuset.cpus'), String(LAST));
    // The emulator group holds neither I/O thread.
    assert.equal(groupOf(pid, pid, 'cpu'), `/${group}/emulator`);
    const rows = await info();
    assert.deepEqual([...rows].sort((a, b) => a.id - b.id), [{ id: 1, affinity: String(LAST) }, { id: 2, affinity: CPUS }]);
    assert.equal(await d.ok('iothreadinfo', 'io'), table(rows));
    const out = await d.guestRun('io', 'dd if=/dev/zero of=/dev/vda bs=64k count=64 && sync && echo "wrote vda on its I/O thread"');
    assert.match(out, /64\+0 records out/);
    assert.match(out, /wrote vda on its I\/O thread/);
    assert.match(await d.ok('domblkstat', 'io', 'vda'), /vda wr_req [1-9]\d*\n/);
  });

  await step('iothreadadd live: a new QEMU thread in its own group; --config changes only the definition', async () => {
    await d.ok('iothreadadd', 'io', '3');
    const tid = mustThread(pid, 3);
    assert.equal(groupOf(pid, tid, 'cpu'), `/${group}/iothread3`);
    assert.equal(file('cpu', `${group}/iothread3`, 'cpu.cfs_quota_us'), '50000');
    assert.deepEqual((await info()).map((r) => r.id).sort(), [1, 2, 3]);
    assert.match(await d.ok('dumpxml', 'io'), /<iothreads>3<\/iothreads>\n {2}<iothreadids>\n {4}<iothread id='1'\/>\n {4}<iothread id='2'\/>\n {4}<iothread id='3'\/>\n {2}<\/iothreadids>/);
    assert.match(await d.ok('dumpxml', '--inactive', 'io'), /<iothreads>2<\/iothreads>\n {2}<cputune>/);
    await d.ok('iothreadadd', 'io', '5', '--config');
    assert.deepEqual((await info('--config')).map((r) => r.id), [1, 2, 5]);
    assert.deepEqual((await info()).map((r) => r.id).sort(), [1, 2, 3]);
    assert.equal(await d.failing('iothreadadd', 'io', '3'), "error: invalid argument: an IOThread is already using iothread_id '3'\n");
  });

  await step('iothreaddel: refused while the disk uses the thread; a free one goes with its group', async () => {
    assert.equal(await d.failing('iothreaddel', 'io', '1'), "error: invalid argument: cannot remove IOThread 1 since it is being used by disk 'vda'\n");
    assert.equal(await d.failing('iothreaddel', 'io', '7'), "error: invalid argument: cannot find IOThread '7' in iothreadids list\n");
    await d.ok('iothreaddel', 'io', '3');
    assert.equal(ioThread(pid, 3), undefined);
    assert.equal(existsSync(path.join('/sys/fs/cgroup/cpu', group, 'iothread3')), false);
    assert.deepEqual((await info()).map((r) => r.id).sort(), [1, 2]);
    await d.ok('iothreaddel', 'io', '5', '--config');
    assert.deepEqual((await info('--config')).map((r) => r.id), [1, 2]);
  });

  await step("iothreadpin: the thread's affinity and its group's cpuset; schedinfo's iothread quota reaches every I/O thread group", async () => {
    const client = VireoClient.open(d.uri);
    const events: DomainEvent[] = [];
    const stop = await client.events((e) => events.push(e));
    try {
      await d.ok('iothreadpin', 'io', '2', '0');
      await waitFor(() => events.some((e) => e.type === 'tunable'), SOON, 'the tunable event');
      assert.deepEqual(events.find((e) => e.type === 'tunable')?.params, [['cputune.iothreadpin2', '0']]);
    } finally {
      stop();
      client.close();
    }
    assert.equal(affinity(pid, mustThread(pid, 2)), '0');
    assert.equal(file('cpuset', `${group}/iothread2`, 'cpuset.cpus'), '0');
    assert.deepEqual((await info()).find((r) => r.id === 2), { id: 2, affinity: '0' });
    assert.match(await d.ok('dumpxml', 'io'), /<iothreadpin iothread='1' cpuset='\d+'\/>\n {4}<iothreadpin iothread='2' cpuset='0'\/>/);
    assert.equal(await d.failing('iothreadpin', 'io', '9', '0'), 'error: invalid argument: iothread 9 not found\n');
    assert.equal(await d.failing('iothreadpin', 'io', '2', 'abc'), "error: Invalid cpulist 'abc'\nerror: invalid argument: Failed to parse bitmap 'abc'\n");
    // emulatorpin moves the emulator's threads only: the I/O threads keep their pins.
    await d.ok('emulatorpin', 'io', CPUS);
    assert.equal(affinity(pid, mustThread(pid, 2)), '0');
    assert.equal(affinity(pid, mustThread(pid, 1)), String(LAST));
    await d.ok('schedinfo', 'io', '--set', 'iothread_quota=30000');
    for (const id of [1, 2]) assert.equal(file('cpu', `${group}/iothread${id}`, 'cpu.cfs_quota_us'), '30000');
    assert.match(await d.ok('schedinfo', 'io'), /iothread_quota : 30000\n/);
  });

  await step('iothreadset: polling live (domstats --iothread shows it), the worker pool in the definition', async () => {
    await d.ok('iothreadset', 'io', '2', '--poll-max-ns', '1000', '--poll-grow', '2', '--poll-shrink', '3');
    const stats = await d.ok('domstats', '--iothread', 'io');
    assert.match(stats, /^Domain: 'io'\n {2}iothread\.count=2\n/);
    assert.match(stats, / {2}iothread\.2\.poll-max-ns=1000\n {2}iothread\.2\.poll-grow=2\n {2}iothread\.2\.poll-shrink=3\n/);
    await d.ok('iothreadset', 'io', '2', '--thread-pool-min', '1', '--thread-pool-max', '4');
    assert.match(await d.ok('dumpxml', 'io'), /<iothread id='2' thread_pool_min='1' thread_pool_max='4'\/>/);
    assert.equal(await d.failing('iothreadset', 'io', '2', '--config', '--poll-max-ns', '5'), 'error: Operation not supported: configuring persistent polling values is not supported\n');
    assert.equal(await d.failing('iothreadset', 'io', '2', '--thread-pool-min', '9'), "error: Requested operation is not valid: thread_pool_min (9) can't be greater than thread_pool_max (4)\n");
  });

  await step('a hot-plugged virtio disk runs in an I/O thread, which iothreaddel then refuses to remove', async () => {
    const img = path.join(d.root, 'vdb.img');
    execFileSync('truncate', ['-s', '8M', img]);
    assert.equal(await d.failing('attach-disk', 'io', img, 'vdb', '--targetbus', 'virtio', '--iothread', '9'),
      "error: Failed to attach disk\nerror: unsupported configuration: Disk iothread '9' not defined in iothreadid\n");
    await d.ok('attach-disk', 'io', img, 'vdb', '--targetbus', 'virtio', '--iothread', '2');
    assert.match(await d.guestRun('io', 'dd if=/dev/vdb of=/dev/null bs=64k count=16 2>&1'), /16\+0 records in/);
    assert.match(await d.ok('dumpxml', 'io'), /<driver name='qemu' type='raw' iothread='2'\/>\n {6}<source file='[^']*vdb\.img'/);
    assert.equal(await d.failing('iothreaddel', 'io', '2'), "error: invalid argument: cannot remove IOThread 2 since it is being used by disk 'vdb'\n");
  });

  await step('after a vireod restart the threads and groups are found again and still pinned live', async () => {
    await d.stop();
    await d.start();
    await d.ok('iothreadpin', 'io', '2', String(LAST));
    assert.equal(affinity(pid, mustThread(pid, 2)), String(LAST));
    assert.equal(file('cpuset', `${group}/iothread2`, 'cpuset.cpus'), String(LAST));
    await d.ok('iothreadadd', 'io', '4');
    assert.equal(groupOf(pid, mustThread(pid, 4), 'cpu'), `/${group}/iothread4`);
    assert.equal(groupOf(pid, mustThread(pid, 1), 'cpu'), `/${group}/iothread1`);
  });

  await step('destroy removes the groups; --live on the shut-off guest is refused', async () => {
    await d.ok('destroy', 'io');
    assert.equal(existsSync(path.join('/sys/fs/cgroup/cpu', group)), false);
    assert.equal(await d.failing('iothreadinfo', 'io', '--live'), 'error: Unable to get domain IOThreads information\nerror: Requested operation is not valid: domain is not running\n');
    assert.equal(await d.failing('iothreadadd', 'io', '6', '--live'), 'error: Requested operation is not valid: domain is not running\n');
  });
});
