import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { VireoError, type ErrorCode } from '../../src/api/errors.js';
import type { DomainDef } from '../../src/conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';

// Tests run from dist/test/unit; fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name.includes('/') ? name : `xml/${name}`, FIXTURES), 'utf8');

/** Good inputs: hand-written fixtures and the argv golden inputs (the virt-install corpus has its own test). */
const GOOD = ['minimal.xml', 'full.xml', 'kernel-boot.xml', 'cdrom-sata.xml', 'qcow2-virtio.xml', 'disk-sources.xml', 'libvirt-live-dump.xml', 'argv/tuned.xml', 'argv/legacy-pc.xml', 'argv/full.xml'];
const MAC = /^52:54:00(:[0-9a-f]{2}){3}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const pci = (bus: number, slot: number, fn = 0): DomainDef['devices']['memballoon']['address'] => ({ type: 'pci', domain: 0, bus, slot, function: fn });

/** Devices without addresses, for comparing what was parsed independently of slot assignment. */
function noAddr<T extends { address?: unknown }>(list: T[]): Array<Omit<T, 'address'>> {
  return list.map((x) => {
    const { address: _address, ...rest } = x;
    return rest;
  });
}

describe('parseDomainXml on fixtures', () => {
  test('minimal.xml gets libvirt defaults, the pc chipset controllers and a generated v4 UUID', () => {
    const def = parseDomainXml(fixture('minimal.xml'));
    assert.match(def.uuid, UUID);
    assert.equal(def.uuid[14], '4');
    assert.notEqual(parseDomainXml(fixture('minimal.xml')).uuid, def.uuid);
    const expected: DomainDef = {
      type: 'qemu',
      name: 'minimal',
      uuid: def.uuid,
      memoryKiB: 131072,
      currentMemoryKiB: 131072,
      vcpu: { max: 1, current: 1, placement: 'static' },
      os: { type: 'hvm', arch: 'x86_64', machine: 'pc', boot: ['hd'] },
      features: { acpi: false, apic: false, pae: false },
      clock: { offset: 'utc', timers: [] },
      onPoweroff: 'destroy',
      onReboot: 'restart',
      onCrash: 'destroy',
      devices: {
        disks: [],
        controllers: [
          { type: 'pci', index: 0, model: 'pci-root' },
          { type: 'usb', index: 0, model: 'piix3-uhci', address: pci(0, 1, 2) },
          { type: 'ide', index: 0, address: pci(0, 1, 1) },
        ],
        interfaces: [], serials: [], parallels: [], consoles: [], channels: [], inputs: [], tpms: [], graphics: [],
        sounds: [], audios: [], videos: [], redirdevs: [], watchdogs: [],
        memballoon: { model: 'virtio', address: pci(0, 2) },
        rngs: [], panics: [], memories: [],
      },
    };
    assert.deepEqual(def, expected);
  });

  test('full.xml: every element lands in the model; addresses from a libvirt dump are kept', () => {
    const def = parseDomainXml(fixture('full.xml'));
    const d = def.devices;
    const generatedMac = d.interfaces[2]?.mac ?? '';
    assert.match(generatedMac, MAC);
    assert.equal(def.type, 'kvm');
    assert.equal(def.uuid, '4dea22b3-1d52-d8f3-2516-782e98ab3fa0');
    assert.equal(def.title, `Full & "quoted" 'title'`);
    assert.equal(def.description, 'A guest using\nevery supported feature <all of them>.');
    assert.equal(def.memoryKiB, 2097152);
    assert.equal(def.currentMemoryKiB, 976563); // 1000 MB = 1e9 bytes, rounded up to KiB
    assert.deepEqual(def.vcpu, { max: 4, current: 4, placement: 'static' });
    assert.deepEqual(def.os, { type: 'hvm', arch: 'x86_64', machine: 'pc-q35-7.2', boot: ['cdrom', 'hd', 'network'] });
    assert.deepEqual(def.features, { acpi: true, apic: true, pae: false });
    assert.deepEqual(def.clock, { offset: 'localtime', timers: [] });
    assert.deepEqual([def.onPoweroff, def.onReboot, def.onCrash], ['preserve', 'rename-restart', 'coredump-restart']);
    assert.equal(d.emulator, '/usr/bin/qemu-system-x86_64');
    assert.deepEqual(noAddr(d.disks), [
      { device: 'disk', sourceType: 'file', source: '/var/lib/vireo/images/full.qcow2', format: 'qcow2', target: 'vda', bus: 'virtio', readonly: false, shareable: false, cache: 'writeback', serial: 'DISK-0001' },
      { device: 'disk', sourceType: 'file', source: '/var/lib/vireo/images/data.img', format: 'raw', target: 'sdb', bus: 'scsi', readonly: true, shareable: false, cache: 'none' },
      { device: 'cdrom', sourceType: 'file', source: '/srv/iso/install.iso', format: 'raw', target: 'sda', bus: 'sata', readonly: true, shareable: false },
      { device: 'cdrom', sourceType: 'file', format: 'raw', target: 'sdc', bus: 'sata', readonly: true, shareable: false },
    ]);
    // The written addresses stay; the bus they name (4, 5) gets a root port, as libvirt adds one.
    assert.deepEqual(d.disks[0]?.address, pci(4, 0));
    assert.deepEqual(d.memballoon, { model: 'virtio', address: pci(5, 0) });
    assert.deepEqual(d.videos[0]?.address, pci(0, 1));
    assert.deepEqual(d.disks.map((x) => x.address?.type === 'drive' ? `${x.address.controller}:${x.address.unit}` : ''), ['', '0:1', '0:0', '0:2']);
    assert.deepEqual(noAddr(d.interfaces), [
      { type: 'user', mac: '52:54:00:ab:cd:ef', model: 'virtio' },
      { type: 'user', mac: '52:54:00:01:02:03', model: 'e1000e' },
      { type: 'user', mac: generatedMac, model: 'rtl8139' },
    ]);
    assert.deepEqual(d.serials, [
      { source: { type: 'pty' }, port: 0 },
      { source: { type: 'file', path: '/var/log/vireo/full-ttyS1.log', append: true }, port: 1 },
      { source: { type: 'unix', path: '/run/vireo/full-ttyS2.sock', mode: 'bind' }, port: 2 },
    ]);
    assert.deepEqual(d.consoles, [
      { source: { type: 'pty' }, targetType: 'serial', port: 0 },
      { source: { type: 'unix', path: '/run/vireo/full-hvc.sock', mode: 'connect' }, targetType: 'virtio', port: 1 },
    ]);
    assert.deepEqual(d.graphics, [{ type: 'vnc', port: 5901, autoport: false, listen: '0.0.0.0', passwd: 's3cr<t' }]);
    assert.deepEqual(noAddr(d.videos), [{ model: 'qxl', vram: 32768, heads: 2, ram: 65536, vgamem: 16384 }, { model: 'virtio', heads: 1 }]);
    // Implicit: q35 chipset, default USB, SCSI for sdb, virtio-serial for the virtio console, PS/2, audio.
    assert.deepEqual(d.controllers.filter((c) => c.type !== 'pci').map((c) => [c.type, c.index, c.model]), [
      ['usb', 0, 'qemu-xhci'], ['sata', 0, undefined], ['scsi', 0, 'lsilogic'], ['virtio-serial', 0, undefined],
    ]);
    assert.deepEqual(d.inputs, [{ type: 'mouse', bus: 'ps2' }, { type: 'keyboard', bus: 'ps2' }]);
    assert.deepEqual(d.audios, [{ id: 1, type: 'none' }]);
  });

  test('kernel-boot.xml: direct kernel boot, and a lone <console> becomes serial port 0', () => {
    const def = parseDomainXml(fixture('kernel-boot.xml'));
    assert.deepEqual(def.os, {
      type: 'hvm',
      arch: 'x86_64',
      machine: 'q35',
      kernel: '/var/lib/vireo/boot/vmlinuz',
      initrd: '/var/lib/vireo/boot/initrd.img',
      cmdline: 'console=ttyS0 root=/dev/vda rw quiet',
      boot: ['hd'],
    });
    assert.equal(def.memoryKiB, 131072);
    assert.equal(def.onReboot, 'destroy');
    assert.deepEqual(def.devices.serials, [{ source: { type: 'pty' }, port: 0 }]);
    assert.deepEqual(def.devices.consoles, [{ source: { type: 'pty' }, targetType: 'serial', port: 0 }]);
    assert.deepEqual(def.devices.memballoon, { model: 'none' });
    assert.equal(def.devices.disks[0]?.bus, 'virtio');
    // q35: the disk gets the first root port; libvirt adds one per device plus a spare.
    assert.deepEqual(def.devices.disks[0].address, pci(2, 0));
    assert.deepEqual(def.devices.controllers.filter((c) => c.model === 'pcie-root-port').map((c) => [c.index, c.address, c.target]), [
      [1, { ...pci(0, 1), multifunction: 'on' }, { chassis: 1, port: 8 }],
      [2, pci(0, 1, 1), { chassis: 2, port: 9 }],
      [3, pci(0, 1, 2), { chassis: 3, port: 10 }],
    ]);
  });

  test('cdrom-sata.xml: per-device boot order leaves <os> boot empty; cdrom is read-only', () => {
    const def = parseDomainXml(fixture('cdrom-sata.xml'));
    assert.deepEqual(def.os.boot, []);
    assert.equal(def.currentMemoryKiB, 524288);
    assert.deepEqual(def.devices.disks.map((d) => [d.device, d.target, d.bus, d.format, d.readonly, d.bootOrder]), [
      ['cdrom', 'sda', 'sata', 'raw', true, 1],
      ['disk', 'sdb', 'sata', 'qcow2', false, 2],
    ]);
    assert.deepEqual(noAddr(def.devices.interfaces), [{ type: 'user', mac: '52:54:00:00:00:01', model: 'rtl8139', bootOrder: 3 }]);
    // <graphics type='vnc'/> alone: autoport on localhost, plus libvirt's implicit cirrus video.
    assert.deepEqual(def.devices.graphics, [{ type: 'vnc', port: -1, autoport: true, listen: '127.0.0.1' }]);
    assert.deepEqual(noAddr(def.devices.videos), [{ model: 'cirrus', vram: 16384, heads: 1 }]);
    // rtl8139 is conventional PCI: on q35 it goes behind a pcie-to-pci-bridge, as with libvirt.
    const bridge = def.devices.controllers.find((c) => c.model === 'pcie-to-pci-bridge');
    assert.ok(bridge !== undefined);
    assert.deepEqual(def.devices.interfaces[0]?.address, pci(bridge.index, 1));
  });

  test("qcow2-virtio.xml: a lone <serial> also gets libvirt's console alias", () => {
    const def = parseDomainXml(fixture('qcow2-virtio.xml'));
    assert.equal(def.memoryKiB, 524288);
    assert.deepEqual(def.devices.disks, [
      { device: 'disk', sourceType: 'file', source: '/var/lib/vireo/images/web01.qcow2', format: 'qcow2', target: 'vda', bus: 'virtio', readonly: false, shareable: false, cache: 'none', address: pci(0, 4) },
    ]);
    assert.deepEqual(def.devices.consoles, [{ source: { type: 'pty' }, targetType: 'serial', port: 0 }]);
    assert.deepEqual(def.devices.videos, [{ model: 'virtio', heads: 1, address: pci(0, 2) }]);
    assert.deepEqual(def.devices.interfaces[0]?.address, pci(0, 3));
  });

  test("a running guest's dumpxml from a libvirt host defines: runtime state dropped, addresses and seclabels kept", () => {
    const def = parseDomainXml(fixture('libvirt-live-dump.xml'));
    assert.deepEqual(def.seclabels, [{ type: 'dynamic', model: 'apparmor' }, { type: 'dynamic', model: 'dac' }]);
    assert.deepEqual(def.devices.disks[0]?.address, pci(4, 0));
    assert.deepEqual(noAddr(def.devices.interfaces), [{ type: 'network', mac: '52:54:00:3e:1a:2b', model: 'virtio', source: 'default' }]);
    assert.deepEqual(def.devices.graphics, [{ type: 'vnc', port: -1, autoport: true, listen: '127.0.0.1' }]);
    const xml = formatDomainXml(def);
    for (const runtime of ['alias', 'portid', 'vnet2', 'backingStore', "web.qcow2' index", '<label>', '/dev/pts/3', " id='3'"]) assert.ok(!xml.includes(runtime), runtime);
    assert.match(xml, /<\/devices>\n {2}<seclabel type='dynamic' model='apparmor' relabel='yes'\/>\n {2}<seclabel type='dynamic' model='dac' relabel='yes'\/>\n<\/domain>/);
    assert.throws(() => parseDomainXml(fixture('libvirt-live-dump.xml').replace("type='dynamic' model='dac'", "type='static' model='dac'")),
      (e: unknown) => e instanceof VireoError && e.code === 'XML_UNSUPPORTED' && /static security labels/.test(e.message));
  });

  test('metadata is kept verbatim: namespaces, attribute order, mixed content', () => {
    const def = parseDomainXml(fixture('argv/tuned.xml'));
    assert.deepEqual(def.metadata, [
      {
        name: 'app:data',
        attrs: [['xmlns:app', 'https://example.com/app/1'], ['version', '3']],
        children: ['mixed ', { name: 'app:b', attrs: [], children: ['bold'] }, ' text'],
      },
      // Declared on <domain>: the declaration moves onto the element so it stands on its own.
      { name: 'vireo:note', attrs: [['xmlns:vireo', 'https://vireo.example/ns/test/1']], children: ['kept verbatim, namespace declared on the root'] },
    ]);
    const xml = formatDomainXml(def);
    assert.match(xml, /<metadata>\n {4}<app:data xmlns:app='https:\/\/example.com\/app\/1' version='3'>mixed <app:b>bold<\/app:b> text<\/app:data>\n {4}<vireo:note xmlns:vireo=/);
  });

  test('tuning and resource elements are kept and printed even where QEMU has no knob for them', () => {
    const def = parseDomainXml(fixture('argv/tuned.xml'));
    assert.deepEqual(def.cputune, { shares: 2048, period: 100000, quota: -1, vcpupin: [{ vcpu: 0, cpuset: '0' }, { vcpu: 1, cpuset: '1' }], emulatorpin: '2-3' });
    assert.deepEqual(def.memtune, { hardLimitKiB: 6291456, softLimitKiB: 5242880, swapHardLimitKiB: 8388608 });
    assert.deepEqual(def.numatune, { memory: { mode: 'strict', placement: 'static', nodeset: '0' }, memnodes: [{ cellid: 0, mode: 'preferred', nodeset: '0' }] });
    assert.deepEqual(def.blkiotune, { weight: 800, devices: [{ path: '/dev/sda', weight: 500, readBytesSec: 10000 }] });
    assert.deepEqual(def.maxMemory, { kib: 16777216, slots: 16 });
    assert.equal(def.resourcePartition, '/machine');
    const xml = formatDomainXml(def);
    for (const s of ['<shares>2048</shares>', "<vcpupin vcpu='1' cpuset='1'/>", "<hard_limit unit='KiB'>6291456</hard_limit>", "<memnode cellid='0' mode='preferred' nodeset='0'/>", "<maxMemory slots='16' unit='KiB'>16777216</maxMemory>"]) {
      assert.ok(xml.includes(s), s);
    }
  });
});

describe('round trip', () => {
  for (const name of GOOD) {
    test(`${name}: format(parse(x)) parses to the same model and formats identically`, () => {
      const first = parseDomainXml(fixture(name));
      const xml = formatDomainXml(first);
      const second = parseDomainXml(xml);
      assert.deepEqual(second, first);
      assert.equal(formatDomainXml(second), xml);
    });
  }

  test('dumpxml layout of a minimal domain', () => {
    const def = parseDomainXml(fixture('minimal.xml'));
    assert.equal(
      formatDomainXml({ ...def, uuid: '00000000-0000-4000-8000-000000000001' }, { id: 3 }),
      `<domain type='qemu' id='3'>
  <name>minimal</name>
  <uuid>00000000-0000-4000-8000-000000000001</uuid>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='pci' index='0' model='pci-root'/>
    <controller type='usb' index='0' model='piix3-uhci'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x2'/>
    </controller>
    <controller type='ide' index='0'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x1'/>
    </controller>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>
`,
    );
  });

  test('a running domain prints its pty path on serial and console (with tty=), and parses back as config', () => {
    const def = parseDomainXml(fixture('qcow2-virtio.xml'));
    const live: DomainDef = structuredClone(def);
    const serial0 = live.devices.serials[0];
    assert.ok(serial0 !== undefined);
    serial0.source = { type: 'pty', path: '/dev/pts/7' };
    const xml = formatDomainXml(live, { id: 12 });
    assert.match(xml, /<serial type='pty'>\n {6}<source path='\/dev\/pts\/7'\/>\n {6}<target type='isa-serial' port='0'>/);
    assert.match(xml, /<console type='pty' tty='\/dev\/pts\/7'>\n {6}<source path='\/dev\/pts\/7'\/>\n {6}<target type='serial' port='0'\/>/);
    assert.deepEqual(parseDomainXml(xml), def);
  });

  test('omitSecrets leaves out VNC and SPICE passwords; the default keeps them for saved configs', () => {
    const def = parseDomainXml(fixture('full.xml'));
    assert.match(formatDomainXml(def), / passwd='s3cr&lt;t'/);
    assert.doesNotMatch(formatDomainXml(def, { omitSecrets: true }), /passwd/);
    const tuned = parseDomainXml(fixture('argv/tuned.xml'));
    assert.equal((formatDomainXml(tuned).match(/passwd=/g) ?? []).length, 2);
    assert.doesNotMatch(formatDomainXml(tuned, { omitSecrets: true }), /passwd/);
  });
});

function schemaSkipReason(): string | false {
  const probe = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return 'xmllint is not installed (Debian package libxml2-utils)';
  if (!existsSync(SCHEMA)) return `${SCHEMA} is missing (Debian package libvirt0)`;
  return false;
}
const SCHEMA = '/usr/share/libvirt/schemas/domain.rng';

// Not skipped when the tools are missing: scripts/setup.sh installs them, and a silent skip
// would hide invalid XML.
test('xmllint and libvirt\'s schema are installed', () => assert.equal(schemaSkipReason(), false));

describe("formatted XML validates against libvirt's domain.rng", () => {
  const validate = (xml: string): void => {
    const run = spawnSync('xmllint', ['--noout', '--relaxng', SCHEMA, '-'], { input: xml, encoding: 'utf8' });
    assert.equal(run.status, 0, `xmllint rejected:\n${xml}\n${run.stderr}`);
  };
  for (const name of GOOD) {
    test(name, () => validate(formatDomainXml(parseDomainXml(fixture(name)))));
  }
  test('running form with id and pty paths', () => {
    const def = parseDomainXml(fixture('full.xml'));
    const serial0 = def.devices.serials[0];
    if (serial0 !== undefined) serial0.source = { type: 'pty', path: '/dev/pts/3' };
    validate(formatDomainXml(def, { id: 5 }));
  });
});

interface BadCase {
  file: string;
  code: ErrorCode;
  /** Text the message must contain: the element/attribute and its line. */
  mentions: string[];
}

const BAD: BadCase[] = [
  { file: 'bad-syntax.xml', code: 'XML_SYNTAX', mentions: ['line 6', 'column'] },
  { file: 'bad-root.xml', code: 'XML_INVALID', mentions: ['<network>', 'line 1', '<domain>'] },
  { file: 'bad-missing-name.xml', code: 'XML_INVALID', mentions: ['<name>', '<domain> at line 1'] },
  { file: 'bad-name-slash.xml', code: 'XML_INVALID', mentions: ['<name> at line 2', "'/'"] },
  { file: 'bad-unsupported-hostdev.xml', code: 'XML_UNSUPPORTED', mentions: ['<devices>/<hostdev> at line 12', 'not supported yet', 'remove the element'] },
  { file: 'bad-unsupported-attr.xml', code: 'XML_UNSUPPORTED', mentions: ["'error_policy'", '<devices>/<disk>/<driver> at line 9', 'cache', 'io', 'discard'] },
  { file: 'bad-mac.xml', code: 'XML_INVALID', mentions: ['52:54:00:zz:00:01', '<devices>/<interface>/<mac> at line 9'] },
  { file: 'bad-mac-multicast.xml', code: 'XML_INVALID', mentions: ['multicast', '<mac> at line 9'] },
  { file: 'bad-uuid.xml', code: 'XML_INVALID', mentions: ['UUID', '<uuid> at line 3'] },
  { file: 'bad-duplicate-target.xml', code: 'XML_INVALID', mentions: ["'vda'", '<devices>/<disk> at line 12', 'line 8'] },
  { file: 'bad-memory-zero.xml', code: 'XML_INVALID', mentions: ['<memory> at line 3'] },
  { file: 'bad-vcpu-too-many.xml', code: 'XML_INVALID', mentions: ['256', '<vcpu> at line 4', '255'] },
  { file: 'bad-disk-network.xml', code: 'XML_UNSUPPORTED', mentions: ["'nbd'", '<devices>/<disk>/<source> at line 9', 'supported: iscsi'] },
  { file: 'bad-boot-mixed.xml', code: 'XML_INVALID', mentions: ['<devices>/<disk>/<boot> at line 12', '<os>/<boot'] },
  { file: 'bad-console-second-serial.xml', code: 'XML_INVALID', mentions: ['<devices>/<console> at line 11', "'serial'"] },
];

describe('bad inputs are rejected with a code and a message naming the element and line', () => {
  for (const c of BAD) {
    test(`${c.file} -> ${c.code}`, () => {
      assert.throws(
        () => parseDomainXml(fixture(c.file)),
        (e: unknown) => {
          assert.ok(e instanceof VireoError, `not a VireoError: ${String(e)}`);
          assert.equal(e.code, c.code, e.message);
          for (const m of c.mentions) assert.ok(e.message.includes(m), `message lacks ${JSON.stringify(m)}: ${e.message}`);
          return true;
        },
      );
    });
  }
});
