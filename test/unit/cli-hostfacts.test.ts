// Host facts behind the host commands, read from the fake trees in test/cli-golden/: hostroot (this
// development machine's shape: no vmx, /dev/kvm from kvm_pvm, cgroup v1) and hostroot-kvm (a KVM
// host with an IOMMU, cgroup v2 only and SMBIOS data). The XML documents must validate against
// libvirt's own schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capabilitiesXml, domainCapabilitiesXml, sysinfoXml } from '../../src/host/capabilities.js';
import { probeKvm } from '../../src/host/kvm.js';
import { cpuStats, freeCells, memStats, nodeInfo, parseCpuList } from '../../src/host/nodeinfo.js';
import { validateHost } from '../../src/host/validate.js';
import { formatCheck } from '../../src/cli/commands/hostinfo.js';

const golden = fileURLToPath(new URL('../../../test/cli-golden/', import.meta.url));
const PVM = path.join(golden, 'hostroot/');
const KVM = path.join(golden, 'hostroot-kvm/');
const QEMU = { major: 7, minor: 2 };

function validates(xml: string, schema: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-xml-'));
  try {
    const f = path.join(dir, 'doc.xml');
    writeFileSync(f, xml);
    const r = spawnSync('xmllint', ['--noout', '--relaxng', `/usr/share/libvirt/schemas/${schema}`, f], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${schema}: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('cpu lists', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList(''), []);
});

test('nodeinfo, statistics and free memory of a host', async () => {
  assert.deepEqual(await nodeInfo(PVM, 'x86_64'), { model: 'x86_64', cpus: 2, mhz: 2599, nodes: 1, sockets: 1, cores: 2, threads: 1, memoryKiB: 8087756 });
  assert.deepEqual(await cpuStats(PVM), { user: 1310090000000, system: 211110000000, idle: 5272780000000, iowait: 10190000000 });
  assert.deepEqual(await memStats(PVM, 0), { total: 8087756, free: 6367380 });
  assert.deepEqual(await freeCells(PVM), [{ cell: 0, freeKiB: 6367380 }]);
  await assert.rejects(cpuStats(PVM, 2), /CPU 2 does not exist/);
  await assert.rejects(memStats(PVM, 1), /NUMA cell 1 does not exist/);
});

test('host-validate on a KVM host with an IOMMU and cgroup v2 only: every check passes', async () => {
  const checks = await validateHost(KVM);
  assert.deepEqual(checks.filter((c) => c.result !== 'PASS'), []);
  assert.deepEqual(checks.map((c) => c.check), [
    'for the QEMU emulator /usr/bin/qemu-system-x86_64', 'for hardware virtualization', 'if device /dev/kvm exists',
    'if device /dev/kvm is accessible', 'if KVM acceleration can be used', 'if device /dev/vhost-net exists', 'if device /dev/net/tun exists',
    "for cgroup 'cpu' controller support", "for cgroup 'cpuacct' controller support", "for cgroup 'cpuset' controller support",
    "for cgroup 'memory' controller support", "for cgroup 'devices' controller support", "for cgroup 'blkio' controller support",
    'for device assignment IOMMU support', 'if IOMMU is enabled by kernel',
  ]);
  assert.equal(formatCheck(checks[1]!), '  QEMU: Checking for hardware virtualization                                 : PASS\n');
});

test('host-validate where /dev/kvm exists but cannot run ordinary guests (kvm_pvm)', async () => {
  const checks = await validateHost(PVM);
  const byCheck = new Map(checks.map((c) => [c.check, c]));
  assert.equal(byCheck.get('for hardware virtualization')?.result, 'FAIL');
  assert.equal(byCheck.get('if device /dev/kvm exists')?.result, 'PASS', 'the device is there...');
  assert.equal(byCheck.get('if KVM acceleration can be used')?.result, 'FAIL', '...and useless for ordinary guests');
  assert.match(byCheck.get('if KVM acceleration can be used')?.advice ?? '', /kvm_pvm.*type='qemu'/);
  assert.equal(byCheck.get('if device /dev/vhost-net exists')?.result, 'WARN');
  assert.equal(byCheck.get('for device assignment IOMMU support')?.result, 'WARN');
});

test('capabilities and domcapabilities validate against libvirt\'s schemas, kvm only where usable', async () => {
  const kvm = await probeKvm(KVM);
  const pvm = await probeKvm(PVM);
  assert.equal(kvm.usable, true);
  assert.equal(pvm.usable, false);
  const withKvm = await capabilitiesXml(KVM, kvm, QEMU);
  validates(withKvm, 'capability.rng');
  assert.match(withKvm, /<domain type='qemu'\/>\n\s*<domain type='kvm'\/>/);
  assert.match(withKvm, /<uuid>6c3f2b8e-62b1-4f2a-8f0b-1a7e9d0c4b21<\/uuid>/, 'the SMBIOS UUID wins over machine-id');
  assert.match(withKvm, /<iommu support='yes'\/>/);
  const withoutKvm = await capabilitiesXml(PVM, pvm, QEMU);
  validates(withoutKvm, 'capability.rng');
  assert.doesNotMatch(withoutKvm, /type='kvm'/);

  const dk = await domainCapabilitiesXml(KVM, kvm, QEMU, { machine: 'q35' });
  validates(dk, 'domaincaps.rng');
  assert.match(dk, /<domain>kvm<\/domain>\n  <machine>pc-q35-7\.2<\/machine>/);
  assert.match(dk, /<mode name='host-passthrough' supported='yes'\/>/);
  const dq = await domainCapabilitiesXml(PVM, pvm, QEMU, {});
  validates(dq, 'domaincaps.rng');
  assert.match(dq, /<domain>qemu<\/domain>\n  <machine>pc-i440fx-7\.2<\/machine>/);
  await assert.rejects(domainCapabilitiesXml(PVM, pvm, QEMU, { virttype: 'kvm' }), /KVM cannot run guests on this host/);
});

test('sysinfo from sysfs SMBIOS data', async () => {
  assert.equal(await sysinfoXml(KVM), `<sysinfo type='smbios'>
  <bios>
    <entry name='vendor'>SeaBIOS</entry>
    <entry name='version'>1.16.2-debian-1.16.2-1</entry>
    <entry name='date'>04/01/2014</entry>
    <entry name='release'>0.0</entry>
  </bios>
  <system>
    <entry name='manufacturer'>QEMU</entry>
    <entry name='product'>Standard PC (Q35 + ICH9, 2009)</entry>
    <entry name='version'>pc-q35-7.2</entry>
    <entry name='uuid'>6c3f2b8e-62b1-4f2a-8f0b-1a7e9d0c4b21</entry>
  </system>
  <chassis>
    <entry name='manufacturer'>QEMU</entry>
    <entry name='version'>pc-q35-7.2</entry>
  </chassis>
</sysinfo>
`);
  await assert.rejects(sysinfoXml(PVM), /Host SMBIOS information is not available/);
});
