// The virt-install corpus (test/fixtures/virt-install, made by scripts/gen-virt-install-corpus.sh):
// XML exactly as virt-install writes it parses, formats to schema-valid XML, and parse → format →
// parse is stable. Per-guest checks pin what each guest is in the corpus for.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { DomainDef } from '../../src/conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';

const DIR = new URL('../../../test/fixtures/virt-install/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort();
const load = (name: string): DomainDef => parseDomainXml(readFileSync(new URL(`${name}.xml`, DIR), 'utf8'));
const SCHEMA = '/usr/share/libvirt/schemas/domain.rng';
const schemaMissing = spawnSync('xmllint', ['--version']).error !== undefined || !existsSync(SCHEMA)
  ? 'xmllint (libxml2-utils) or libvirt schemas (libvirt0) missing: run scripts/setup.sh' : undefined;

test('the corpus covers a spread of guests', () => {
  assert.ok(FILES.length >= 15, `${FILES.length} files`);
});

describe('virt-install corpus: parse → format → parse is stable', () => {
  for (const f of FILES) {
    test(f, () => {
      const first = parseDomainXml(readFileSync(new URL(f, DIR), 'utf8'));
      const xml = formatDomainXml(first);
      const second = parseDomainXml(xml);
      assert.deepEqual(second, first);
      assert.equal(formatDomainXml(second), xml);
    });
  }
});

// Not skipped when the tools are missing: scripts/setup.sh installs them, and a silent skip
// would hide invalid XML.
test('xmllint and libvirt\'s schema are installed', () => assert.equal(schemaMissing, undefined));

describe("virt-install corpus: dumpxml validates against libvirt's domain.rng", () => {
  for (const f of FILES) {
    test(f, () => {
      const xml = formatDomainXml(parseDomainXml(readFileSync(new URL(f, DIR), 'utf8')), { omitSecrets: true });
      const r = spawnSync('xmllint', ['--noout', '--relaxng', SCHEMA, '-'], { input: xml, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });
  }
});

describe('virt-install corpus: what each guest brings', () => {
  test('metadata: the libosinfo element is kept with its namespace', () => {
    const xml = formatDomainXml(load('debian11'));
    assert.match(xml, /<metadata>\n {4}<libosinfo:libosinfo xmlns:libosinfo='http:\/\/libosinfo.org\/xmlns\/libvirt\/domain\/1.0'>\n {6}<libosinfo:os id='http:\/\/debian.org\/debian\/11'\/>\n {4}<\/libosinfo:libosinfo>\n {2}<\/metadata>/);
  });

  test('debian11: q35, virtio, SATA cdrom, guest agent channel, RNG, host-passthrough CPU', () => {
    const d = load('debian11');
    assert.equal(d.cpu?.mode, 'host-passthrough');
    assert.deepEqual(d.clock.timers, [{ name: 'rtc', tickpolicy: 'catchup' }, { name: 'pit', tickpolicy: 'delay' }, { name: 'hpet', present: false }]);
    assert.deepEqual(d.pm, { suspendToMem: false, suspendToDisk: false });
    assert.deepEqual(d.devices.channels, [{
      source: { type: 'unix', mode: 'bind' }, name: 'org.qemu.guest_agent.0', address: { type: 'virtio-serial', controller: 0, bus: 0, port: 1 },
    }]);
    assert.deepEqual(d.devices.disks.map((x) => [x.target, x.bus, x.device, x.discard]), [['vda', 'virtio', 'disk', 'unmap'], ['sda', 'sata', 'cdrom', undefined]]);
    assert.equal(d.devices.controllers.filter((c) => c.model === 'pcie-root-port').length, 14);
    assert.equal(d.devices.rngs[0]?.backend.model, 'random');
  });

  test('win11: UEFI with secure boot asked for, TPM 2.0 (CRB), Hyper-V, SPICE, QXL, ICH9 sound, USB redirection', () => {
    const d = load('win11');
    assert.equal(d.os.firmware, 'efi');
    assert.deepEqual(d.os.firmwareFeatures, [{ name: 'secure-boot', enabled: true }]);
    assert.deepEqual(d.devices.tpms, [{ model: 'tpm-crb', backend: { type: 'emulator', version: '2.0' } }]);
    assert.deepEqual(d.features.hyperv, { mode: 'custom', flags: { relaxed: 'on', vapic: 'on', spinlocks: 'on' }, spinlockRetries: 8191 });
    assert.equal(d.features.vmport, 'off');
    assert.deepEqual(d.devices.graphics.map((g) => [g.type, g.autoport, g.spice]), [['spice', true, { image: 'off' }]]);
    assert.deepEqual(d.devices.redirdevs.map((r) => r.address), [{ type: 'usb', bus: 0, port: '2' }, { type: 'usb', bus: 0, port: '3' }]);
    assert.deepEqual(d.devices.sounds[0]?.address, { type: 'pci', domain: 0, bus: 0, slot: 0x1b, function: 0 });
    assert.deepEqual(d.devices.audios, [{ id: 1, type: 'spice' }]);
  });

  test('win2k22: more Hyper-V enlightenments, hidden KVM, SMM, localtime clock with hypervclock', () => {
    const d = load('win2k22');
    assert.deepEqual(Object.keys(d.features.hyperv?.flags ?? {}).sort(), ['frequencies', 'relaxed', 'reset', 'runtime', 'spinlocks', 'stimer', 'synic', 'vapic', 'vpindex']);
    assert.equal(d.features.kvmHidden, 'on');
    assert.equal(d.features.smm, 'on');
    assert.equal(d.clock.offset, 'localtime');
    assert.ok(d.clock.timers.some((t) => t.name === 'hypervclock' && t.present === true));
  });

  test('alma9-tuned: vCPU hotplug, host-model with topology, huge pages, cputune/memtune/numatune/blkiotune', () => {
    const d = load('alma9-tuned');
    assert.deepEqual(d.vcpu, { max: 8, current: 4, placement: 'static' });
    assert.deepEqual(d.cpu, { mode: 'host-model', features: [], topology: { sockets: 1, dies: 1, cores: 4, threads: 2 } });
    assert.deepEqual(d.memoryBacking, { hugepages: [] });
    assert.deepEqual(d.cputune?.vcpupin, [{ vcpu: 0, cpuset: '0' }, { vcpu: 1, cpuset: '1' }]);
    assert.deepEqual(d.memtune, { hardLimitKiB: 5242880, softLimitKiB: 4194304 });
    assert.deepEqual(d.numatune?.memory, { mode: 'preferred', placement: 'static', nodeset: '0' });
    assert.deepEqual(d.blkiotune, { weight: 500, devices: [] });
    assert.deepEqual(d.devices.disks[0] && [d.devices.disks[0].cache, d.devices.disks[0].io], ['none', 'native']);
    assert.deepEqual(d.devices.graphics, []);
  });

  test('fedora37-custom-cpu: a named model with forced and disabled features; on_crash restart; no balloon', () => {
    const d = load('fedora37-custom-cpu');
    assert.deepEqual(d.cpu, {
      mode: 'custom', match: 'exact', model: { name: 'Skylake-Client' }, topology: { sockets: 2, dies: 1, cores: 2, threads: 1 },
      features: [{ policy: 'force', name: 'vmx' }, { policy: 'disable', name: 'rtm' }, { policy: 'disable', name: 'hle' }],
    });
    assert.equal(d.onCrash, 'restart');
    assert.deepEqual(d.devices.memballoon, { model: 'none' });
  });

  test('debian11-kernel: direct kernel boot, serial console, no network, no graphics', () => {
    const d = load('debian11-kernel');
    assert.equal(d.os.kernel, '/var/lib/vireo-corpus/vmlinuz');
    assert.equal(d.os.cmdline, 'console=ttyS0 root=/dev/vda');
    assert.deepEqual(d.devices.interfaces, []);
    assert.deepEqual(d.devices.graphics, []);
    assert.deepEqual(d.devices.serials, [{ source: { type: 'pty' }, port: 0 }]);
  });

  test('rocky9-scsi: virtio-scsi disk (with serial) and cdrom', () => {
    const d = load('rocky9-scsi');
    assert.equal(d.devices.controllers.find((c) => c.type === 'scsi')?.model, 'virtio-scsi');
    assert.deepEqual(d.devices.disks.map((x) => [x.target, x.device, x.serial, x.address]), [
      ['sda', 'disk', 'ROCKY-ROOT', { type: 'drive', controller: 0, bus: 0, target: 0, unit: 0 }],
      ['sdb', 'cdrom', undefined, { type: 'drive', controller: 0, bus: 0, target: 0, unit: 1 }],
    ]);
  });

  test('debian10-floppy: pc machine, IDE, floppy, boot menu, BIOS serial, VNC password', () => {
    const d = load('debian10-floppy');
    assert.deepEqual(d.devices.disks.map((x) => [x.target, x.bus, x.device]), [['hda', 'ide', 'disk'], ['fda', 'fdc', 'floppy'], ['hdb', 'ide', 'cdrom']]);
    assert.ok(d.devices.controllers.some((c) => c.type === 'fdc'));
    assert.deepEqual(d.os.bootmenu, { enable: true });
    assert.deepEqual(d.os.bios, { useserial: true });
    assert.equal(d.devices.graphics[0]?.passwd, 's3cret');
    assert.doesNotMatch(formatDomainXml(d, { omitSecrets: true }), /s3cret/);
  });

  test('debian11-sysinfo: SMBIOS tables, a telnet serial port and a parallel port to a file', () => {
    const d = load('debian11-sysinfo');
    assert.equal(d.os.smbios, 'sysinfo');
    assert.deepEqual(d.sysinfo?.system, [{ name: 'manufacturer', value: 'Vireo' }, { name: 'product', value: 'Corpus' }, { name: 'serial', value: '0001' }]);
    assert.deepEqual(d.devices.serials[0]?.source, { type: 'tcp', mode: 'bind', host: '127.0.0.1', service: '4555', protocol: 'telnet' });
    assert.deepEqual(d.devices.parallels, [{ source: { type: 'file', path: '/var/log/vireo-corpus-lpt.log' }, port: 0 }]);
  });

  test('ubuntu20.04-network: libvirt network and bridge interfaces are kept', () => {
    const d = load('ubuntu20.04-network');
    assert.deepEqual(d.devices.interfaces.map((n) => [n.type, n.source, n.model]), [['network', 'default', 'virtio'], ['bridge', 'br0', 'virtio']]);
  });

  test('fedora37-agent-watchdog: i6300esb behind a pcie-to-pci-bridge, ISA panic notifier', () => {
    const d = load('fedora37-agent-watchdog');
    const bridge = d.devices.controllers.find((c) => c.model === 'pcie-to-pci-bridge');
    assert.equal(bridge?.index, 16);
    assert.deepEqual(d.devices.watchdogs, [{ model: 'i6300esb', action: 'reset', address: { type: 'pci', domain: 0, bus: 16, slot: 1, function: 0 } }]);
    assert.deepEqual(d.devices.panics, [{ model: 'isa' }]);
  });
});
