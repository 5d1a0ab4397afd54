import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError, type ErrorCode } from '../../src/api/errors.js';
import type { DomainDef } from '../../src/conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';
import { domainNameProblem, generateMac, isMulticastMac, parseMac, parseUuid } from '../../src/conf/names.js';

/** A small valid domain with `inner` added inside <domain> (and `devices` inside <devices>). */
function domain(opts: { inner?: string; devices?: string; name?: string; memory?: string; os?: string } = {}): string {
  return `<domain type='qemu'>
  <name>${opts.name ?? 'rules'}</name>
  ${opts.memory ?? '<memory>131072</memory>'}
  ${opts.os ?? '<os><type>hvm</type></os>'}
  ${opts.inner ?? ''}
  <devices>${opts.devices ?? ''}</devices>
</domain>`;
}

function rejects(xml: string, code: ErrorCode, ...mentions: Array<string | RegExp>): void {
  assert.throws(
    () => parseDomainXml(xml),
    (e: unknown) => {
      assert.ok(e instanceof VireoError, `not a VireoError: ${String(e)}`);
      assert.equal(e.code, code, e.message);
      for (const m of mentions) {
        if (typeof m === 'string') assert.ok(e.message.includes(m), `message lacks ${JSON.stringify(m)}: ${e.message}`);
        else assert.match(e.message, m);
      }
      return true;
    },
  );
}

const parse = (opts: Parameters<typeof domain>[0]): DomainDef => parseDomainXml(domain(opts));

describe('memory sizes', () => {
  const kib = (value: string, unit?: string): number =>
    parse({ memory: `<memory${unit === undefined ? '' : ` unit='${unit}'`}>${value}</memory>` }).memoryKiB;

  test('units follow libvirt: KiB default, K/KiB 1024, KB 1000, bytes rounded up to KiB', () => {
    assert.equal(kib('1024'), 1024);
    assert.equal(kib('1', 'k'), 1);
    assert.equal(kib('1', 'KiB'), 1);
    assert.equal(kib('1024', 'KB'), 1000);
    assert.equal(kib('1', 'b'), 1);
    assert.equal(kib('1025', 'bytes'), 2);
    assert.equal(kib('512', 'M'), 524288);
    assert.equal(kib('512', 'MiB'), 524288);
    assert.equal(kib('512', 'MB'), 500000);
    assert.equal(kib('2', 'G'), 2097152);
    assert.equal(kib('1', 'GB'), 976563);
    assert.equal(kib('1', 'T'), 1073741824);
    assert.equal(kib('1', 'TB'), 976562500);
    assert.equal(kib(' 2048 ', 'kib'), 2048);
  });

  test('bad sizes and units are XML_INVALID naming <memory> and its line', () => {
    rejects(domain({ memory: "<memory unit='MiX'>1</memory>" }), 'XML_INVALID', "'MiX'", '<memory> at line 3');
    rejects(domain({ memory: '<memory>-1</memory>' }), 'XML_INVALID', '<memory> at line 3');
    rejects(domain({ memory: '<memory>12abc</memory>' }), 'XML_INVALID', '<memory>');
    rejects(domain({ memory: "<memory unit='EiB'>99999</memory>" }), 'XML_INVALID', 'too large');
    rejects(domain({ memory: '' }), 'XML_INVALID', 'missing element <memory>');
  });

  test('currentMemory defaults to memory, and is clamped to it when larger or 0', () => {
    assert.equal(parse({}).currentMemoryKiB, 131072);
    const cur = (v: string): number => parse({ inner: `<currentMemory unit='MiB'>${v}</currentMemory>` }).currentMemoryKiB;
    assert.equal(cur('64'), 65536);
    assert.equal(cur('4096'), 131072);
    assert.equal(cur('0'), 131072);
  });
});

describe('identity', () => {
  test('UUIDs in any form libvirt accepts become lower-case dashed', () => {
    for (const written of [
      '4dea22b3-1d52-d8f3-2516-782e98ab3fa0',
      '4DEA22B31D52D8F32516782E98AB3FA0',
      '  4dea22b3-1d52d8f3-2516782e98ab3fa0\n',
      '4d-ea-22-b3-1d-52-d8-f3-25-16-78-2e-98-ab-3f-a0',
    ]) {
      assert.equal(parseUuid(written), '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', written);
    }
    for (const bad of ['', '4dea22b3', '4dea22b3-1d52-d8f3-2516-782e98ab3fa0a', 'g'.repeat(32), '4dea22b-31d52-d8f3-2516-782e98ab3fa0']) {
      assert.equal(parseUuid(bad), undefined, bad);
    }
  });

  test('domain names must be safe file names', () => {
    assert.equal(domainNameProblem('web-01_a.b c'), undefined);
    assert.equal(domainNameProblem('é'.repeat(100)), undefined);
    for (const bad of ['', '   ', '.', '..', '.hidden', 'a/b', 'tab\there', 'nl\nhere', 'del\u007f', 'x'.repeat(201), 'é'.repeat(101)]) {
      assert.ok(domainNameProblem(bad) !== undefined, JSON.stringify(bad));
    }
    rejects(domain({ name: '.hidden' }), 'XML_INVALID', '<name> at line 2', "starts with '.'");
    rejects(domain({ name: '' }), 'XML_INVALID', 'empty');
    rejects(domain({ name: 'x'.repeat(201) }), 'XML_INVALID', '200 bytes');
  });

  test('the name is trimmed; title must be one line; description keeps its text exactly', () => {
    const def = parse({ name: '\n  spaced \n', inner: '<title>T</title><description>  two\n lines </description>' });
    assert.equal(def.name, 'spaced');
    assert.equal(def.title, 'T');
    assert.equal(def.description, '  two\n lines ');
    rejects(domain({ inner: '<title>two\nlines</title>' }), 'XML_INVALID', '<title>', 'single line');
  });

  test('MAC addresses are normalised; multicast and malformed ones rejected; generated ones are 52:54:00', () => {
    assert.equal(parseMac('52:54:0:A:b:C'), '52:54:00:0a:0b:0c');
    assert.equal(parseMac('52-54-00-00-00-01'), undefined);
    assert.equal(parseMac('52:54:00:00:00'), undefined);
    assert.equal(parseMac('52:54:00:00:00:100'), undefined);
    assert.ok(isMulticastMac('03:00:00:00:00:00'));
    assert.ok(!isMulticastMac('52:54:00:00:00:00'));
    for (let i = 0; i < 20; i++) assert.match(generateMac(), /^52:54:00(:[0-9a-f]{2}){3}$/);
  });

  test("domain type is required and limited to kvm and qemu; a dumpxml 'id' is ignored", () => {
    rejects(domain().replace(" type='qemu'", ''), 'XML_INVALID', "'type'", '<domain> at line 1');
    rejects(domain().replace("'qemu'", "'xen'"), 'XML_UNSUPPORTED', "'xen'", 'kvm, qemu');
    assert.equal(parseDomainXml(domain().replace("'qemu'", "'kvm' id='42'")).type, 'kvm');
    rejects(domain().replace("'qemu'", "'kvm' id='x'"), 'XML_INVALID', "id='x'", '<domain> at line 1');
  });
});

describe('vcpus, os, features, clock, lifecycle', () => {
  test('vcpu defaults to 1; current, placement and cpuset are kept', () => {
    assert.deepEqual(parse({}).vcpu, { max: 1, current: 1, placement: 'static' });
    assert.deepEqual(parse({ inner: "<vcpu placement='static' current='3'>3</vcpu>" }).vcpu, { max: 3, current: 3, placement: 'static' });
    assert.deepEqual(parse({ inner: "<vcpu current='2'>4</vcpu>" }).vcpu, { max: 4, current: 2, placement: 'static' });
    assert.deepEqual(parse({ inner: "<vcpu placement='auto' cpuset='0-1,^1,3'>4</vcpu>" }).vcpu, { max: 4, current: 4, placement: 'auto', cpuset: '0-1,^1,3' });
    rejects(domain({ inner: '<vcpu>0</vcpu>' }), 'XML_INVALID', '<vcpu>', '1 to 255');
    rejects(domain({ inner: "<vcpu current='8'>4</vcpu>" }), 'XML_INVALID', 'cannot exceed');
    rejects(domain({ inner: "<vcpu placement='dynamic'>4</vcpu>" }), 'XML_UNSUPPORTED', "'dynamic'", 'static, auto');
    rejects(domain({ inner: "<vcpu cpuset='0-x'>2</vcpu>" }), 'XML_INVALID', 'cpuset', '<vcpu> at line 5');
  });

  test('os: hvm on x86_64 only; machine defaults to pc; initrd/cmdline need a kernel; boot devices', () => {
    assert.equal(parse({}).os.machine, 'pc');
    rejects(domain({ os: "<os><type arch='aarch64'>hvm</type></os>" }), 'XML_UNSUPPORTED', "'aarch64'", '<os>/<type>');
    rejects(domain({ os: '<os><type>xen</type></os>' }), 'XML_UNSUPPORTED', "'xen'");
    rejects(domain({ os: '<os></os>' }), 'XML_INVALID', '<type>');
    rejects(domain({ os: '' }), 'XML_INVALID', '<os>');
    rejects(domain({ os: '<os><type>hvm</type><initrd>/i</initrd></os>' }), 'XML_INVALID', '<os>/<initrd>', 'kernel');
    assert.equal(parse({ os: "<os firmware='efi'><type>hvm</type></os>" }).os.firmware, 'efi');
    assert.deepEqual(parse({ os: "<os><type>hvm</type><loader readonly='yes' type='pflash'>/x</loader></os>" }).os.loader, { path: '/x', readonly: true, type: 'pflash' });
    rejects(domain({ os: "<os><type>hvm</type><loader>OVMF.fd</loader></os>" }), 'XML_INVALID', 'OVMF.fd', '<os>/<loader> at line 4', 'absolute');
    rejects(domain({ os: "<os><type>hvm</type><loader readonly='yes'/></os>" }), 'XML_INVALID', "firmware='efi'");
    rejects(domain({ os: "<os><type>hvm</type><firmware><feature enabled='yes' name='secure-boot'/></firmware></os>" }), 'XML_INVALID', "firmware='efi'");
    rejects(domain({ os: "<os><type>hvm</type><boot dev='usb'/></os>" }), 'XML_UNSUPPORTED', "'usb'");
    rejects(domain({ os: "<os><type>hvm</type><boot dev='hd'/><boot dev='hd'/></os>" }), 'XML_INVALID', 'twice');
    assert.deepEqual(parse({ os: "<os><type>hvm</type><boot dev='network'/><boot dev='fd'/></os>" }).os.boot, ['network', 'fd']);
  });

  test('features, clock and lifecycle actions', () => {
    assert.deepEqual(parse({ inner: '<features><apic/></features>' }).features, { acpi: false, apic: true, pae: false });
    assert.deepEqual(parse({ inner: "<features><acpi/><pae/><apic eoi='on'/><vmport state='off'/><smm/></features>" }).features,
      { acpi: true, apic: true, pae: true, apicEoi: 'on', vmport: 'off', smm: 'on' });
    rejects(domain({ inner: '<features><gic/></features>' }), 'XML_UNSUPPORTED', '<features>/<gic>', 'acpi, apic, pae');
    rejects(domain({ inner: "<features><hyperv><relaxed/></hyperv></features>" }), 'XML_INVALID', "'state'", '<features>/<hyperv>/<relaxed> at line 5');
    rejects(domain({ inner: "<features><hyperv><spinlocks state='on' retries='10'/></hyperv></features>" }), 'XML_INVALID', "retries='10'", '4095');
    assert.equal(parse({ inner: "<clock offset='localtime'/>" }).clock.offset, 'localtime');
    assert.deepEqual(parse({ inner: "<clock offset='variable' adjustment='-3600'/>" }).clock, { offset: 'variable', adjustment: -3600, basis: 'utc', timers: [] });
    rejects(domain({ inner: "<clock offset='timezone'/>" }), 'XML_UNSUPPORTED', "'timezone'", 'utc, localtime, variable');
    rejects(domain({ inner: "<clock offset='utc'><timer name='rtc' tickpolicy='sometimes'/></clock>" }), 'XML_UNSUPPORTED', "'sometimes'", '<clock>/<timer>');
    rejects(domain({ inner: "<clock offset='utc'><timer name='kvmclock' tickpolicy='delay'/></clock>" }), 'XML_UNSUPPORTED', "'tickpolicy'", '<clock>/<timer> at line 5');
    rejects(domain({ inner: '<on_reboot>coredump-destroy</on_reboot>' }), 'XML_UNSUPPORTED', '<on_reboot>');
    assert.equal(parse({ inner: '<on_crash> coredump-destroy </on_crash>' }).onCrash, 'coredump-destroy');
  });

  test('elements vireo does not model yet are named with what to do, never dropped', () => {
    rejects(domain({ inner: '<seclabel type="static" model="selinux"><label>system_u:system_r:svirt_t:s0:c1</label></seclabel>' }), 'XML_UNSUPPORTED', '<seclabel> at line 5', "type='dynamic'");
    rejects(domain({ inner: '<genid/>' }), 'XML_UNSUPPORTED', '<genid> at line 5');
    rejects(domain({ inner: '<bogus/>' }), 'XML_UNSUPPORTED', 'unsupported element <bogus> at line 5', 'supported here:', 'memoryBacking');
    rejects(domain({ devices: "<hostdev mode='subsystem' type='pci'/>" }), 'XML_UNSUPPORTED', '<devices>/<hostdev> at line 6', 'not supported yet');
    rejects(domain({ devices: "<filesystem type='mount'/>" }), 'XML_UNSUPPORTED', '<devices>/<filesystem> at line 6');
    rejects(domain({ devices: "<smartcard mode='passthrough'/>" }), 'XML_UNSUPPORTED', '<devices>/<smartcard> at line 6');
    rejects(domain({ devices: "<channel type='unix'><source mode='bind'/><target type='guestfwd'/></channel>" }), 'XML_UNSUPPORTED', "'guestfwd'", 'virtio');
  });

  test('duplicates and stray text are errors', () => {
    rejects(domain({ inner: '<name>again</name>' }), 'XML_INVALID', 'duplicate element <name> at line 5');
    rejects(domain({ devices: 'stray text' }), 'XML_INVALID', "'stray text'", '<devices>');
  });
});

describe('disks', () => {
  const disk = (xml: string): DomainDef['devices']['disks'] => parse({ devices: xml }).devices.disks;

  test('bus is derived from the target name as libvirt does: vd->virtio, sd->scsi, hd->ide', () => {
    const disks = disk(
      "<disk><source file='/a'/><target dev='vda'/></disk><disk><source file='/b'/><target dev='sdc'/></disk><disk device='cdrom'><target dev='hdc'/></disk>",
    );
    assert.deepEqual(disks.map((d) => d.bus), ['virtio', 'scsi', 'ide']);
    assert.deepEqual(disks.map((d) => d.format), ['raw', 'raw', 'raw']);
  });

  test('a written address is kept, a missing one assigned; alias is runtime state and dropped', () => {
    const d = disk("<disk type='file'><source file='/a'/><target dev='vda'/><address type='pci' slot='0x05'/><alias name='x'/></disk>");
    assert.deepEqual(d[0]?.address, { type: 'pci', domain: 0, bus: 0, slot: 5, function: 0 });
    const auto = disk("<disk><source file='/a'/><target dev='vda'/><address type='pci'/></disk>");
    assert.deepEqual(auto[0]?.address, { type: 'pci', domain: 0, bus: 0, slot: 2, function: 0 });
    assert.doesNotMatch(formatDomainXml(parse({ devices: "<disk><source file='/a'/><target dev='vda'/><alias name='virtio-disk0'/></disk>" })), /alias/);
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='vda'/><address type='drive'/></disk>" }), 'XML_UNSUPPORTED', "'drive'", 'pci');
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='vda'/><address type='pci' slot='0x20'/></disk>" }), 'XML_INVALID', "slot='0x20'", '0 to 31');
  });

  test('invalid and unsupported disks are named', () => {
    rejects(domain({ devices: "<disk><target dev='vda'/></disk>" }), 'XML_INVALID', '<source', '<devices>/<disk> at line 6');
    rejects(domain({ devices: "<disk><source file='/a'/></disk>" }), 'XML_INVALID', '<target');
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='xvda'/></disk>" }), 'XML_INVALID', "'xvda'");
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='vda' bus='usb'/></disk>" }), 'XML_UNSUPPORTED', "'usb'");
    rejects(domain({ devices: "<disk device='cdrom'><target dev='vdb' bus='virtio'/></disk>" }), 'XML_INVALID', 'cdrom');
    rejects(domain({ devices: "<disk device='floppy'><target dev='sda'/></disk>" }), 'XML_INVALID', "'fdc'");
    rejects(domain({ devices: "<disk type='network'><target dev='vda'/></disk>" }), 'XML_INVALID', "<source protocol='iscsi' name='...'/>");
    rejects(domain({ devices: "<disk><source file='a.img'/><target dev='vda'/></disk>" }), 'XML_INVALID', "'a.img'", 'absolute');
    rejects(domain({ devices: "<disk><driver name='qemu' type='vmdk'/><source file='/a'/><target dev='vda'/></disk>" }), 'XML_UNSUPPORTED', "'vmdk'");
    rejects(domain({ devices: "<disk><driver cache='sometimes'/><source file='/a'/><target dev='vda'/></disk>" }), 'XML_UNSUPPORTED', "'sometimes'");
    rejects(domain({ devices: "<disk><source file='/a' startupPolicy='optional'/><target dev='vda'/></disk>" }), 'XML_UNSUPPORTED', "'startupPolicy'");
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='vda'/><serial>bad;serial</serial></disk>" }), 'XML_INVALID', 'serial');
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='vda'/><wwn>5000c50015ea71ad</wwn></disk>" }), 'XML_UNSUPPORTED', '<devices>/<disk>/<wwn>');
    rejects(domain({ devices: "<disk><driver io='native'/><source file='/a'/><target dev='vda'/></disk>" }), 'XML_INVALID', "cache='none'");
  });

  test('boot orders must be unique across devices', () => {
    rejects(
      domain({ devices: "<disk><source file='/a'/><target dev='vda'/><boot order='1'/></disk><interface type='user'><boot order='1'/></interface>" }),
      'XML_INVALID',
      'boot order 1',
      '<devices>/<interface>/<boot>',
    );
    rejects(domain({ devices: "<disk><source file='/a'/><target dev='vda'/><boot order='0'/></disk>" }), 'XML_INVALID', "order='0'");
  });
});

describe('interfaces, graphics, video, memballoon', () => {
  test('interface: user, network, bridge, ethernet; model defaults to rtl8139 (libvirt 9 on x86, pc and q35 alike)', () => {
    const nics = parse({ os: "<os><type machine='q35'>hvm</type></os>", devices: "<interface type='user'/>" }).devices.interfaces;
    assert.equal(nics[0]?.model, 'rtl8139');
    const net = parse({ devices: "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><target dev='vnet3'/><model type='virtio'/></interface>" }).devices.interfaces[0];
    assert.deepEqual({ ...net, address: undefined }, { type: 'network', mac: '52:54:00:00:00:01', model: 'virtio', source: 'default', address: undefined });
    const eth = parse({ devices: "<interface type='ethernet'><target dev='tap7'/></interface>" }).devices.interfaces[0];
    assert.equal(eth?.targetDev, 'tap7');
    rejects(domain({ devices: "<interface type='bridge'/>" }), 'XML_INVALID', '<source bridge=', '<devices>/<interface> at line 6');
    rejects(domain({ devices: "<interface type='direct'><source dev='eth0' mode='bridge'/></interface>" }), 'XML_UNSUPPORTED', "'direct'", 'user, network, bridge, ethernet');
    rejects(domain({ devices: "<interface type='user'><model type='ne2k_pci'/></interface>" }), 'XML_UNSUPPORTED', "'ne2k_pci'");
    rejects(domain({ devices: '<interface/>' }), 'XML_INVALID', "'type'");
  });

  test("interface target: managed='no' (a tap the user made) on ethernet only; generated vnetN names kept only in live XML", () => {
    const xml = domain({ devices: "<interface type='ethernet'><mac address='52:54:00:00:00:07'/><target dev='vtest0' managed='no'/><model type='virtio'/></interface>" });
    const eth = parseDomainXml(xml).devices.interfaces[0];
    assert.deepEqual([eth?.targetDev, eth?.targetManaged], ['vtest0', false]);
    assert.match(formatDomainXml(parseDomainXml(xml)), /<target dev='vtest0' managed='no'\/>/);
    assert.equal(parseDomainXml(domain({ devices: "<interface type='ethernet'><target dev='tap1' managed='yes'/></interface>" })).devices.interfaces[0]?.targetManaged, true);
    rejects(domain({ devices: "<interface type='bridge'><source bridge='br0'/><target dev='tap1' managed='no'/></interface>" }), 'XML_UNSUPPORTED', "managed='no'", "'ethernet' only, not 'bridge'");
    rejects(domain({ devices: "<interface type='ethernet'><target dev='tap1' managed='maybe'/></interface>" }), 'XML_UNSUPPORTED', 'maybe');
    const net = domain({ devices: "<interface type='network'><source network='default'/><target dev='vnet4'/></interface>" });
    assert.equal(parseDomainXml(net).devices.interfaces[0]?.targetDev, undefined);
    assert.equal(parseDomainXml(net, { live: true }).devices.interfaces[0]?.targetDev, 'vnet4');
  });

  test('graphics: autoport rules, listen attribute and element must agree', () => {
    const g = (xml: string): DomainDef['devices']['graphics'][number] | undefined => parse({ devices: xml }).devices.graphics[0];
    assert.deepEqual(g("<graphics type='vnc' port='5905'/>"), { type: 'vnc', port: 5905, autoport: false, listen: '127.0.0.1' });
    assert.deepEqual(g("<graphics type='vnc' port='5905' autoport='yes' listen='::1'/>"), { type: 'vnc', port: -1, autoport: true, listen: '::1' });
    assert.deepEqual(g("<graphics type='vnc' port='-1'><listen type='address' address='0.0.0.0'/></graphics>"), { type: 'vnc', port: -1, autoport: true, listen: '0.0.0.0' });
    rejects(domain({ devices: "<graphics type='vnc' listen='1.2.3.4'><listen type='address' address='0.0.0.0'/></graphics>" }), 'XML_INVALID', 'must match');
    rejects(domain({ devices: "<graphics type='vnc' autoport='no'/>" }), 'XML_INVALID', 'port');
    rejects(domain({ devices: "<graphics type='vnc' port='80'/>" }), 'XML_INVALID', '5900');
    assert.deepEqual(g("<graphics type='spice' port='-1' tlsPort='-1' autoport='yes'><image compression='off'/></graphics>"),
      { type: 'spice', port: -1, tlsPort: -1, autoport: true, listen: '127.0.0.1', spice: { image: 'off' } });
    assert.equal(g("<graphics type='vnc' keymap='de'/>")?.keymap, 'de');
    // The port an autoport display got is runtime state: kept for a running guest's XML only.
    assert.equal(g("<graphics type='vnc' port='5903' autoport='yes'/>")?.port, -1);
    assert.equal(parseDomainXml(domain({ devices: "<graphics type='vnc' port='5903' autoport='yes'/>" }), { live: true }).devices.graphics[0]?.port, 5903);
    rejects(domain({ devices: "<graphics type='spice' tlsPort='5901'/>" }), 'XML_UNSUPPORTED', 'TLS');
    rejects(domain({ devices: "<graphics type='rdp'/>" }), 'XML_UNSUPPORTED', "'rdp'", 'vnc, spice');
    rejects(domain({ devices: "<graphics type='vnc'><listen type='network' network='default'/></graphics>" }), 'XML_UNSUPPORTED', "'network'");
    rejects(domain({ devices: "<graphics type='vnc' keymap='Deutsch'/>" }), 'XML_INVALID', "'Deutsch'");
    rejects(domain({ devices: "<graphics type='vnc'/><graphics type='vnc'/>" }), 'XML_UNSUPPORTED', 'only one');
  });

  test('video: libvirt default vram and heads; none must be alone; primary only on the first', () => {
    const v = (xml: string): DomainDef['devices']['videos'] => parse({ devices: xml }).devices.videos.map((x) => ({ ...x, address: undefined }));
    const slot2 = { type: 'pci', domain: 0, bus: 0, slot: 2, function: 0 };
    assert.deepEqual(parse({ devices: "<video><model type='vga'/></video>" }).devices.videos, [{ model: 'vga', vram: 16384, heads: 1, address: slot2 }]);
    assert.deepEqual(v('<video/>'), [{ model: 'cirrus', vram: 16384, heads: 1, address: undefined }]);
    assert.deepEqual(v("<video><model type='qxl'/></video>"), [{ model: 'qxl', vram: 65536, heads: 1, ram: 65536, vgamem: 16384, address: undefined }]);
    assert.deepEqual(v("<video><model type='none'/></video>"), [{ model: 'none', address: undefined }]);
    assert.deepEqual(v(''), []);
    assert.deepEqual(v("<graphics type='vnc'/>"), [{ model: 'cirrus', vram: 16384, heads: 1, address: undefined }]);
    rejects(domain({ devices: "<video><model type='none'/></video><video><model type='vga'/></video>" }), 'XML_INVALID', "'none'");
    rejects(domain({ devices: "<video><model type='vga'/></video><video><model type='vga' primary='yes'/></video>" }), 'XML_UNSUPPORTED', 'primary');
    rejects(domain({ devices: "<video><model type='vga'><acceleration accel3d='yes'/></model></video>" }), 'XML_UNSUPPORTED', '3D');
    rejects(domain({ devices: "<video><model type='vga'/></video><video><model type='cirrus'/></video>" }), 'XML_UNSUPPORTED', 'qxl or virtio');
  });

  test('memballoon: virtio by default, none when asked, model required', () => {
    assert.deepEqual(parse({}).devices.memballoon, { model: 'virtio', address: { type: 'pci', domain: 0, bus: 0, slot: 2, function: 0 } });
    assert.deepEqual(parse({ devices: "<memballoon model='none'/>" }).devices.memballoon, { model: 'none' });
    rejects(domain({ devices: '<memballoon/>' }), 'XML_INVALID', "'model'");
    assert.equal(parse({ devices: "<memballoon model='virtio' autodeflate='on'><stats period='10'/></memballoon>" }).devices.memballoon.statsPeriod, 10);
    rejects(domain({ devices: "<memballoon model='none'><stats period='10'/></memballoon>" }), 'XML_INVALID', "'none'");
  });
});

describe('serial ports and consoles', () => {
  const chr = (devices: string): Pick<DomainDef['devices'], 'serials' | 'consoles'> => {
    const d = parse({ devices }).devices;
    return { serials: d.serials, consoles: d.consoles };
  };

  test('ports without a number get max+1; duplicates and ports beyond ttyS3 are rejected', () => {
    const { serials } = chr("<serial type='pty'><target port='2'/></serial><serial type='pty'/><serial type='pty'><target port='0'/></serial>");
    assert.deepEqual(serials.map((s) => s.port), [2, 3, 0]);
    rejects(domain({ devices: "<serial><target port='1'/></serial><serial><target port='1'/></serial>" }), 'XML_INVALID', 'serial port 1');
    rejects(domain({ devices: "<serial><target port='4'/></serial>" }), 'XML_INVALID', "port='4'", '<devices>/<serial>/<target>');
  });

  test('a serial console mirrors serial port 0 (libvirt keeps the serial side when they differ)', () => {
    const { serials, consoles } = chr(
      "<serial type='file'><source path='/var/log/s0'/></serial><console type='pty'><target type='serial' port='0'/></console>",
    );
    assert.deepEqual(serials, [{ source: { type: 'file', path: '/var/log/s0' }, port: 0 }]);
    assert.deepEqual(consoles, [{ source: { type: 'file', path: '/var/log/s0' }, targetType: 'serial', port: 0 }]);
  });

  test('a virtio console keeps its own source; a serial alias is put first when serials exist', () => {
    const { consoles } = chr("<serial/><console type='file'><source path='/c'/><target type='virtio'/></console>");
    assert.deepEqual(consoles, [
      { source: { type: 'pty' }, targetType: 'serial', port: 0 },
      { source: { type: 'file', path: '/c' }, targetType: 'virtio', port: 1 },
    ]);
    const alone = chr("<console><target type='virtio'/></console>");
    assert.deepEqual(alone, { serials: [], consoles: [{ source: { type: 'pty' }, targetType: 'virtio', port: 0 }] });
  });

  test('a written pty path is runtime state and is not kept in the config', () => {
    const { serials } = chr("<serial type='pty'><source path='/dev/pts/4'/></serial><console type='pty' tty='/dev/pts/4'/>");
    assert.deepEqual(serials, [{ source: { type: 'pty' }, port: 0 }]);
  });

  test('unsupported and incomplete character devices are named', () => {
    rejects(domain({ devices: "<serial type='udp'><source mode='bind' host='0' service='4555'/></serial>" }), 'XML_UNSUPPORTED', "'udp'", '<devices>/<serial> at line 6');
    rejects(domain({ devices: "<serial type='tcp'><source mode='bind' host='0' service='port'/></serial>" }), 'XML_INVALID', "service='port'");
    rejects(domain({ devices: "<serial type='spicevmc'/>" }), 'XML_UNSUPPORTED', "'spicevmc'");
    rejects(domain({ devices: "<serial type='file'/>" }), 'XML_INVALID', '<source path');
    rejects(domain({ devices: "<serial type='unix'><source mode='listen' path='/s'/></serial>" }), 'XML_UNSUPPORTED', "'listen'");
    rejects(domain({ devices: "<serial><target type='usb-serial'/></serial>" }), 'XML_UNSUPPORTED', "'usb-serial'");
    rejects(domain({ devices: "<serial><log file='/x'/></serial>" }), 'XML_UNSUPPORTED', '<devices>/<serial>/<log>');
    rejects(domain({ devices: "<console><target type='xen'/></console>" }), 'XML_UNSUPPORTED', "'xen'");
  });
});
