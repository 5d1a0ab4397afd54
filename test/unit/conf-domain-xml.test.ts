import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { VireoError, type ErrorCode } from '../../src/api/errors.js';
import type { DomainDef } from '../../src/conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';

// Tests run from dist/test/unit; fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/xml/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

const GOOD = ['minimal.xml', 'full.xml', 'kernel-boot.xml', 'cdrom-sata.xml', 'qcow2-virtio.xml'];
const MAC = /^52:54:00(:[0-9a-f]{2}){3}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The defaults every domain gets, for building expected models. */
function base(name: string, uuid: string, memoryKiB: number): DomainDef {
  return {
    type: 'qemu',
    name,
    uuid,
    memoryKiB,
    currentMemoryKiB: memoryKiB,
    vcpus: 1,
    os: { type: 'hvm', arch: 'x86_64', machine: 'pc', boot: ['hd'] },
    features: { acpi: false, apic: false },
    clock: { offset: 'utc' },
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'destroy',
    devices: { disks: [], interfaces: [], serials: [], consoles: [], graphics: [], videos: [], memballoon: { model: 'virtio' } },
  };
}

describe('parseDomainXml on fixtures', () => {
  test('minimal.xml gets libvirt defaults and a generated v4 UUID', () => {
    const def = parseDomainXml(fixture('minimal.xml'));
    assert.match(def.uuid, UUID);
    assert.equal(def.uuid[14], '4');
    assert.deepEqual(def, base('minimal', def.uuid, 131072));
    assert.notEqual(parseDomainXml(fixture('minimal.xml')).uuid, def.uuid);
  });

  test('full.xml: every supported element lands in the model', () => {
    const def = parseDomainXml(fixture('full.xml'));
    const generatedMac = def.devices.interfaces[2]?.mac ?? '';
    assert.match(generatedMac, MAC);
    assert.deepEqual(def, {
      type: 'kvm',
      name: 'full-guest',
      uuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0',
      title: `Full & "quoted" 'title'`,
      description: 'A guest using\nevery supported feature <all of them>.',
      memoryKiB: 2097152,
      currentMemoryKiB: 976563, // 1000 MB = 1e9 bytes, rounded up to KiB
      vcpus: 4,
      os: { type: 'hvm', arch: 'x86_64', machine: 'pc-q35-7.2', boot: ['cdrom', 'hd', 'network'] },
      features: { acpi: true, apic: true },
      clock: { offset: 'localtime' },
      onPoweroff: 'preserve',
      onReboot: 'rename-restart',
      onCrash: 'coredump-restart',
      devices: {
        emulator: '/usr/bin/qemu-system-x86_64',
        disks: [
          { device: 'disk', sourceType: 'file', source: '/var/lib/vireo/images/full.qcow2', format: 'qcow2', target: 'vda', bus: 'virtio', readonly: false, cache: 'writeback', serial: 'DISK-0001' },
          { device: 'disk', sourceType: 'file', source: '/var/lib/vireo/images/data.img', format: 'raw', target: 'sdb', bus: 'scsi', readonly: true, cache: 'none' },
          { device: 'cdrom', sourceType: 'file', source: '/srv/iso/install.iso', format: 'raw', target: 'sda', bus: 'sata', readonly: true },
          { device: 'cdrom', sourceType: 'file', format: 'raw', target: 'hdc', bus: 'ide', readonly: true },
        ],
        interfaces: [
          { type: 'user', mac: '52:54:00:ab:cd:ef', model: 'virtio' },
          { type: 'user', mac: '52:54:00:01:02:03', model: 'e1000e' },
          { type: 'user', mac: generatedMac, model: 'rtl8139' },
        ],
        serials: [
          { source: { type: 'pty' }, port: 0 },
          { source: { type: 'file', path: '/var/log/vireo/full-ttyS1.log', append: true }, port: 1 },
          { source: { type: 'unix', path: '/run/vireo/full-ttyS2.sock', mode: 'bind' }, port: 2 },
        ],
        consoles: [
          { source: { type: 'pty' }, targetType: 'serial', port: 0 },
          { source: { type: 'unix', path: '/run/vireo/full-hvc.sock', mode: 'connect' }, targetType: 'virtio', port: 1 },
        ],
        graphics: [{ type: 'vnc', port: 5901, autoport: false, listen: '0.0.0.0', passwd: 's3cr<t' }],
        videos: [{ model: 'qxl', vram: 32768, heads: 2 }, { model: 'virtio', heads: 1 }],
        memballoon: { model: 'virtio' },
      },
    });
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
  });

  test('cdrom-sata.xml: per-device boot order leaves <os> boot empty; cdrom is read-only', () => {
    const def = parseDomainXml(fixture('cdrom-sata.xml'));
    assert.deepEqual(def.os.boot, []);
    assert.equal(def.currentMemoryKiB, 524288);
    assert.deepEqual(def.devices.disks.map((d) => [d.device, d.target, d.bus, d.format, d.readonly, d.bootOrder]), [
      ['cdrom', 'sda', 'sata', 'raw', true, 1],
      ['disk', 'sdb', 'sata', 'qcow2', false, 2],
    ]);
    assert.deepEqual(def.devices.interfaces, [{ type: 'user', mac: '52:54:00:00:00:01', model: 'rtl8139', bootOrder: 3 }]);
    // <graphics type='vnc'/> alone: autoport on localhost, plus libvirt's implicit cirrus video.
    assert.deepEqual(def.devices.graphics, [{ type: 'vnc', port: -1, autoport: true, listen: '127.0.0.1' }]);
    assert.deepEqual(def.devices.videos, [{ model: 'cirrus', vram: 16384, heads: 1 }]);
  });

  test('qcow2-virtio.xml: a lone <serial> also gets libvirt\'s console alias', () => {
    const def = parseDomainXml(fixture('qcow2-virtio.xml'));
    assert.equal(def.memoryKiB, 524288);
    assert.deepEqual(def.devices.disks, [
      { device: 'disk', sourceType: 'file', source: '/var/lib/vireo/images/web01.qcow2', format: 'qcow2', target: 'vda', bus: 'virtio', readonly: false, cache: 'none' },
    ]);
    assert.deepEqual(def.devices.consoles, [{ source: { type: 'pty' }, targetType: 'serial', port: 0 }]);
    assert.deepEqual(def.devices.videos, [{ model: 'virtio', heads: 1 }]);
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
    <memballoon model='virtio'/>
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

  test('omitSecrets leaves out the VNC password; the default keeps it for saved configs', () => {
    const def = parseDomainXml(fixture('full.xml'));
    assert.match(formatDomainXml(def), / passwd='s3cr&lt;t'/);
    assert.doesNotMatch(formatDomainXml(def, { omitSecrets: true }), /passwd/);
  });
});

function schemaSkipReason(): string | false {
  const probe = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return 'xmllint is not installed (Debian package libxml2-utils)';
  if (!existsSync(SCHEMA)) return `${SCHEMA} is missing (Debian package libvirt0)`;
  return false;
}
const SCHEMA = '/usr/share/libvirt/schemas/domain.rng';

describe("formatted XML validates against libvirt's domain.rng", { skip: schemaSkipReason() }, () => {
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
  {
    file: 'bad-unsupported-hostdev.xml',
    code: 'XML_UNSUPPORTED',
    mentions: ['<devices>/<hostdev> at line 12', 'supported here:', 'disk', 'interface', 'graphics', 'memballoon'],
  },
  { file: 'bad-unsupported-attr.xml', code: 'XML_UNSUPPORTED', mentions: ["'io'", '<devices>/<disk>/<driver> at line 9', 'cache'] },
  { file: 'bad-virt-install-metadata.xml', code: 'XML_UNSUPPORTED', mentions: ['<metadata> at line 4'] },
  { file: 'bad-mac.xml', code: 'XML_INVALID', mentions: ['52:54:00:zz:00:01', '<devices>/<interface>/<mac> at line 9'] },
  { file: 'bad-mac-multicast.xml', code: 'XML_INVALID', mentions: ['multicast', '<mac> at line 9'] },
  { file: 'bad-uuid.xml', code: 'XML_INVALID', mentions: ['UUID', '<uuid> at line 3'] },
  { file: 'bad-duplicate-target.xml', code: 'XML_INVALID', mentions: ["'vda'", '<devices>/<disk> at line 12', 'line 8'] },
  { file: 'bad-memory-zero.xml', code: 'XML_INVALID', mentions: ['<memory> at line 3'] },
  { file: 'bad-vcpu-too-many.xml', code: 'XML_INVALID', mentions: ['256', '<vcpu> at line 4', '255'] },
  { file: 'bad-disk-block.xml', code: 'XML_UNSUPPORTED', mentions: ["'block'", "'type'", '<devices>/<disk> at line 8', 'file'] },
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
