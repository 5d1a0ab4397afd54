// Guest cgroups: where a guest's group is (libvirt 9.0's layout, pure functions), and what the
// v2 backend writes. The v2 part runs against a temp directory laid out like /sys/fs/cgroup:
// this machine's cgroup2 mount (/sys/fs/cgroup/unified) has no cpu, memory or io controller and
// they cannot be bound to it while v1 holds them, so the files the kernel would have are made by
// the test and the values vireo writes are read back from them. The v1 backend runs for real in
// test/integration/tuning.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatCpuList, guestGroupPath, machineName, parseCgroupMounts, parseCpuList, partitionDirs } from '../../src/host/cgroup-path.js';
import { GuestCgroup } from '../../src/host/cgroup.js';
import { parseDomainXml, formatDomainXml } from '../../src/conf/domain-xml.js';

// /proc/self/mountinfo lines as this hybrid host has them (abridged).
const HYBRID = `25 18 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
28 25 0:25 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
29 25 0:26 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
30 25 0:27 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
31 25 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
32 25 0:29 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
33 25 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
`;
const COMOUNTED = '40 25 0:40 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n';
const PURE_V2 = '35 24 0:29 / /sys/fs/cgroup rw,nosuid,nodev - cgroup2 cgroup2 rw,nsdelegate\n';

test('the host: v1 controllers on a hybrid host, co-mounted ones sharing a directory, cgroup2 alone on a v2 host', () => {
  assert.deepEqual(parseCgroupMounts(HYBRID), {
    version: 1,
    mounts: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', cpuset: '/sys/fs/cgroup/cpuset', memory: '/sys/fs/cgroup/memory', blkio: '/sys/fs/cgroup/blkio' },
  });
  assert.deepEqual(parseCgroupMounts(COMOUNTED), { version: 1, mounts: { cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' } });
  assert.deepEqual(parseCgroupMounts(PURE_V2), { version: 2, root: '/sys/fs/cgroup' });
  assert.equal(parseCgroupMounts('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'), undefined);
});

test("the guest's group: libvirt's names, partitions and escapes", () => {
  assert.equal(guestGroupPath('/machine', 3, 'tg'), 'machine/qemu-3-tg.libvirt-qemu');
  assert.equal(partitionDirs('/machine/prod/web'), 'machine/prod.partition/web.partition');
  assert.equal(machineName(1, 'a b/c..d'), 'qemu-1-abc.d');
  assert.equal(machineName(12, 'x'.repeat(80)).length, 64);
  // A name the kernel keeps for its own files gets a '_' first.
  assert.equal(partitionDirs('/cpu'), '_cpu');
  assert.throws(() => partitionDirs('/'), /names no group/);
});

test('cpu lists: parsed with ranges and exclusions, printed shortest', () => {
  assert.deepEqual(parseCpuList('0-3,^2,8'), [0, 1, 3, 8]);
  assert.equal(parseCpuList('3-1'), undefined);
  assert.equal(parseCpuList('a'), undefined);
  assert.equal(formatCpuList([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
});

test('<cputune><vcpusched> is kept and printed; fifo without a priority is refused', () => {
  const xml = (inner: string): string => `<domain type='qemu'><name>s</name><memory>65536</memory><vcpu>2</vcpu><cputune>${inner}</cputune><os><type>hvm</type></os></domain>`;
  const def = parseDomainXml(xml("<vcpusched vcpus='0-1' scheduler='fifo' priority='10'/>"));
  assert.deepEqual(def.cputune?.vcpusched, [{ vcpus: '0-1', scheduler: 'fifo', priority: 10 }]);
  assert.match(formatDomainXml(def), /<vcpusched vcpus='0-1' scheduler='fifo' priority='10'\/>/);
  assert.throws(() => parseDomainXml(xml("<vcpusched vcpus='0' scheduler='rr'/>")), /scheduler 'rr' needs a priority/);
});

test('cgroup v2: the group and its threaded children, subtree controllers, and every knob in its v2 file', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vireo-cgv2-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma\n');
  const cg = new GuestCgroup({ version: 2, root }, guestGroupPath('/machine', 1, 'g'));
  const dir = path.join(root, 'machine', 'qemu-1-g.libvirt-qemu');
  const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');

  await cg.create();
  // Every ancestor enables the controllers the guest's group is limited by; the group itself the
  // threaded ones its vcpuN/emulator children use.
  assert.equal(readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +memory +io +pids');
  assert.equal(readFileSync(path.join(root, 'machine', 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +memory +io +pids');
  assert.equal(read('cgroup.subtree_control'), '+cpu +cpuset');
  await cg.createChild('vcpu0');
  await cg.createChild('emulator');
  assert.equal(read('vcpu0/cgroup.type'), 'threaded');
  assert.equal(read('emulator/cgroup.type'), 'threaded');

  await cg.addProcess(4242);
  await cg.addThread('vcpu0', 4250);
  assert.equal(read('cgroup.procs'), '4242');
  assert.equal(read('vcpu0/cgroup.threads'), '4250');

  await cg.setShares(300);
  assert.equal(read('cpu.weight'), '300');
  writeFileSync(path.join(dir, 'vcpu0', 'cpu.max'), 'max 100000\n');
  await cg.setCfs('vcpu0', { quota: 50000 });
  assert.equal(read('vcpu0/cpu.max'), '50000 100000');
  await cg.setCfs('vcpu0', { quota: -1, period: 20000 });
  assert.equal(read('vcpu0/cpu.max'), 'max 20000');
  assert.deepEqual(await cg.cfs('vcpu0'), { period: 20000, quota: -1 });

  await cg.setMemory({ hard: 1048576, soft: 524288, swapHard: 1572864 });
  assert.equal(read('memory.max'), String(1048576 * 1024));
  assert.equal(read('memory.high'), String(524288 * 1024));
  // v2 limits swap alone: libvirt's swap_hard_limit (memory + swap) minus the hard limit.
  assert.equal(read('memory.swap.max'), String(524288 * 1024));
  assert.deepEqual(await cg.memory(), { hard: 1048576, soft: 524288, swapHard: 1572864 });
  await cg.setMemory({ hard: null });
  assert.equal(read('memory.max'), 'max');

  writeFileSync(path.join(dir, 'io.weight'), 'default 100\n');
  await cg.setBlkioWeight(500);
  assert.equal(read('io.weight'), 'default 500');
  assert.equal(await cg.blkioWeight(), 500);
  await cg.setThrottle('8:0', 'read_iops', 100);
  assert.equal(read('io.max'), '8:0 riops=100');

  await cg.setCpus('vcpu0', '1');
  assert.equal(read('vcpu0/cpuset.cpus'), '1');
  writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
  assert.deepEqual(await cg.cpuUsage(), { totalNs: 1500000, userNs: 1000000, systemNs: 500000 });

  // An I/O thread's child: threaded like a vCPU's, and removed alone after iothreaddel.
  await cg.createChild('iothread1');
  await cg.addThread('iothread1', 4260);
  assert.equal(read('iothread1/cgroup.type'), 'threaded');
  assert.equal(read('iothread1/cgroup.threads'), '4260');
  await cg.removeChild('iothread1');
  assert.equal(existsSync(path.join(dir, 'iothread1')), false);
  assert.equal(existsSync(path.join(dir, 'vcpu0')), true);

  await cg.remove();
  assert.equal(existsSync(dir), false);
  assert.equal(existsSync(path.join(root, 'machine')), true, 'the partition stays, as libvirt leaves it');
});

test('cgroup v1: a new cpuset group gets its parent\'s CPUs and nodes (an empty one could run nothing)', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vireo-cgv1-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cpuset = path.join(root, 'cpuset');
  mkdirSync(cpuset);
  writeFileSync(path.join(cpuset, 'cpuset.cpus'), '0-1\n');
  writeFileSync(path.join(cpuset, 'cpuset.mems'), '0\n');
  const cg = new GuestCgroup({ version: 1, mounts: { cpuset } }, guestGroupPath('/machine', 2, 'h'));
  await cg.create();
  await cg.createChild('vcpu0');
  const dir = path.join(cpuset, 'machine', 'qemu-2-h.libvirt-qemu');
  for (const d of [path.join(cpuset, 'machine'), dir, path.join(dir, 'vcpu0')]) {
    assert.equal(readFileSync(path.join(d, 'cpuset.cpus'), 'utf8'), '0-1');
    assert.equal(readFileSync(path.join(d, 'cpuset.mems'), 'utf8'), '0');
  }
  await assert.rejects(cg.setShares(10), /cgroup CPU controller is not mounted/);
});
