// One device on its own (attach-device, detach-device, update-device): parsing, where a
// hot-plugged NIC goes on the PCI buses of a running guest, which NIC a device XML names, and
// what an update may change while the guest runs.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import type { DomainDef, Interface, PciAddress } from '../../src/conf/domain-model.js';
import { findMatchingNic, hotplugPciAddress, hotplugUsbPlace, matchingNics, nextNicAlias, nicUpdate, parseDeviceXml, type DeviceOf } from '../../src/conf/domain-device.js';
import { parseDomainXml } from '../../src/conf/domain-xml.js';

const dom = (machine: string, devices: string): DomainDef => parseDomainXml(`<domain type='qemu'><name>a</name>
<memory>131072</memory><os><type machine='${machine}'>hvm</type></os><devices>${devices}</devices></domain>`);
const nicXml = (mac: string, model = 'virtio', extra = ''): string => `<interface type='network'><mac address='${mac}'/><source network='n1'/><model type='${model}'/>${extra}</interface>`;
const nicDev = (xml: string): DeviceOf<'interface'> => {
  const d = parseDeviceXml(xml);
  assert.equal(d.kind, 'interface');
  return d;
};
const nic = (xml: string): Interface => nicDev(xml).nic;
const at = (a: PciAddress): string => `${a.bus}:${a.slot.toString(16)}.${a.function}`;
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof VireoError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
};

describe('device XML', () => {
  test('an <interface> is parsed as in a domain; whether it named a MAC is kept', () => {
    const d = nicDev(nicXml('52:54:00:aa:00:01'));
    assert.deepEqual(d, { kind: 'interface', macGiven: true, nic: { type: 'network', mac: '52:54:00:aa:00:01', model: 'virtio', source: 'n1' } });
    const g = nicDev("<interface type='bridge'><source bridge='br0'/></interface>");
    assert.equal(g.macGiven, false);
    assert.match(g.nic.mac, /^52:54:00:/);
  });

  test('other device kinds are refused naming them; an unknown element is libvirt\'s "unknown device type"', () => {
    assert.equal(code(() => parseDeviceXml("<sound model='ich9'/>")),
      'CONFIG_UNSUPPORTED: unsupported configuration: attaching, detaching or updating a <sound> device is not supported yet; only <interface>, <disk>, <controller>, <input>, <memory>, <rng> and <watchdog> devices are');
    assert.deepEqual(parseDeviceXml("<controller type='scsi' model='virtio-scsi'/>"), { kind: 'controller', controller: { type: 'scsi', index: -1, model: 'virtio-scsi' } });
    assert.equal(code(() => parseDeviceXml('<foo/>')), "CONFIG_UNSUPPORTED: unsupported configuration: unknown device type 'foo'");
    assert.match(code(() => parseDeviceXml('garbage')), /^XML_SYNTAX: /);
  });

  test('an <input> and a <hub> are parsed (a tablet defaults to USB); a hub of another type is refused', () => {
    assert.deepEqual(parseDeviceXml("<input type='tablet'/>"), { kind: 'input', input: { type: 'tablet', bus: 'usb' } });
    assert.deepEqual(parseDeviceXml("<input type='keyboard' bus='virtio'/>"), { kind: 'input', input: { type: 'keyboard', bus: 'virtio' } });
    assert.deepEqual(parseDeviceXml("<hub type='usb'/>"), { kind: 'hub' });
    assert.equal(code(() => parseDeviceXml("<hub type='pci'/>")), "XML_UNSUPPORTED: unsupported value 'pci' for attribute 'type' of <hub> at line 1; supported: usb");
  });

  test('a <disk> is parsed as in a domain; one named for a detach needs no source', () => {
    const d = parseDeviceXml("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/img/a.qcow2' index='3'/><target dev='vdb' bus='virtio'/></disk>");
    assert.deepEqual(d, { kind: 'disk', disk: { device: 'disk', sourceType: 'file', source: '/img/a.qcow2', format: 'qcow2', target: 'vdb', bus: 'virtio', readonly: false, shareable: false } });
    assert.match(code(() => parseDeviceXml("<disk type='file' device='disk'><target dev='vdb'/></disk>")), /needs <source file='...'\/>/);
    const ref = parseDeviceXml("<disk type='file' device='disk'><target dev='vdb'/></disk>", true);
    assert.equal(ref.kind === 'disk' && ref.disk.target, 'vdb');
  });
});

describe('hot-plug PCI places', () => {
  test('pc: the next free slot of pci.0', () => {
    const live = dom('pc', nicXml('52:54:00:aa:00:01'));
    assert.equal(at(hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:02')))), `0:${(Math.max(...[live.devices.interfaces[0]!.address!, live.devices.memballoon.address as PciAddress].map((a) => a.slot)) + 1).toString(16)}.0`);
  });

  test('pc: a full bus has no place (libvirt\'s "No more available PCI slots")', () => {
    const many = Array.from({ length: 30 }, (_v, i) => nicXml(`52:54:00:aa:01:${(i + 16).toString(16)}`, 'e1000')).join('');
    const live = dom('pc', `${many}<memballoon model='none'/>`);
    assert.match(code(() => hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:02')))), /^CONFIG_UNSUPPORTED: unsupported configuration: No more available PCI slots$/);
  });

  test('q35: a PCI Express NIC takes a free pcie-root-port; none free is refused, never a new port', () => {
    const live = dom('q35', nicXml('52:54:00:aa:00:01'));
    const ports = live.devices.controllers.filter((c) => c.model === 'pcie-root-port');
    const free = ports.find((p) => ![live.devices.interfaces[0]!.address, live.devices.memballoon.address, ...live.devices.controllers.map((c) => c.address)].some((a) => a?.bus === p.index));
    assert.ok(free !== undefined, 'define leaves a spare root port');
    const a = hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:02')));
    assert.equal(at(a), `${free.index}:0.0`);
    live.devices.interfaces.push({ ...nic(nicXml('52:54:00:aa:00:02')), address: a });
    assert.match(code(() => hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:03')))), /No more available PCI slots/);
    assert.equal(live.devices.controllers.filter((c) => c.model === 'pcie-root-port').length, ports.length, 'the running guest\'s controllers are left as they are');
  });

  test('q35: a conventional PCI NIC (rtl8139) needs a pcie-to-pci-bridge, as with libvirt', () => {
    const live = dom('q35', nicXml('52:54:00:aa:00:01'));
    assert.match(code(() => hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:02', 'rtl8139')))), /No more available PCI slots/);
    const bridged = dom('q35', nicXml('52:54:00:aa:00:01', 'rtl8139'));
    const bridge = bridged.devices.controllers.find((c) => c.model === 'pcie-to-pci-bridge')!;
    assert.equal(hotplugPciAddress(bridged, nic(nicXml('52:54:00:aa:00:02', 'e1000'))).bus, bridge.index);
  });

  test('a written address is kept when free and refused when taken', () => {
    const live = dom('pc', nicXml('52:54:00:aa:00:01'));
    const want = "<address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x0'/>";
    assert.equal(at(hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:02', 'virtio', want)))), '0:1e.0');
    const taken = at(live.devices.interfaces[0]!.address!).split(':')[1]!.split('.')[0]!;
    const clash = `<address type='pci' domain='0x0000' bus='0x00' slot='0x${taken}' function='0x0'/>`;
    assert.match(code(() => hotplugPciAddress(live, nic(nicXml('52:54:00:aa:00:02', 'virtio', clash)))), /^XML_INVALID: .*already used by interface 52:54:00:aa:00:01/);
  });
});

describe('which NIC, and what may change', () => {
  const live = dom('pc', nicXml('52:54:00:aa:00:01') + nicXml('52:54:00:aa:00:02'));
  live.devices.interfaces.forEach((n, i) => (n.alias = `net${i + 2}`));

  test('a new NIC gets one past the highest netN, as libvirt numbers them', () => {
    assert.equal(nextNicAlias(live), 'net4');
    assert.equal(nextNicAlias(dom('pc', '')), 'net0');
  });

  test('a device XML names a NIC by its MAC; without one it names them all', () => {
    assert.equal(findMatchingNic(live, nicDev(nicXml('52:54:00:aa:00:02'))).alias, 'net3');
    assert.equal(matchingNics(live, nicDev("<interface type='network'><source network='n1'/></interface>")).length, 2);
    assert.equal(code(() => findMatchingNic(live, nicDev(nicXml('52:54:00:aa:00:09')))),
      "DEVICE_MISSING: device not found: no device found at address '(<null>)' matching MAC address '52:54:00:aa:00:09' and alias '(<null>)'");
  });

  test('an update keeps what it leaves out, and says what changed', () => {
    const old = { ...live.devices.interfaces[0]!, targetDev: 'vnet0' };
    const u = nicUpdate(old, nic(nicXml(old.mac, 'virtio', "<link state='down'/>")), true);
    assert.deepEqual({ link: u.link, source: u.source, alias: u.next.alias, tap: u.next.targetDev, address: u.next.address }, { link: true, source: false, alias: 'net2', tap: 'vnet0', address: old.address });
    const moved = nicUpdate(old, nic(nicXml(old.mac).replace("network='n1'", "network='n2'")), true);
    assert.deepEqual([moved.link, moved.source, moved.next.source], [false, true, 'n2']);
  });

  test('a running guest refuses what it cannot change, in libvirt\'s words; the stored definition takes it', () => {
    const old = live.devices.interfaces[0]!;
    assert.equal(code(() => nicUpdate(old, nic(nicXml(old.mac, 'e1000')), true)), 'NO_SUPPORT: Operation not supported: cannot modify network device model from virtio to e1000');
    assert.equal(code(() => nicUpdate(old, nic(nicXml(old.mac, 'virtio', "<mtu size='9000'/>")), true)), 'NO_SUPPORT: Operation not supported: cannot modify network device MTU');
    assert.equal(nicUpdate(old, nic(nicXml(old.mac, 'e1000')), false).next.model, 'e1000');
  });
});

describe('hot-plug USB places', () => {
  test('a USB device takes the lowest free port of the USB controller; a full controller is refused', () => {
    const live = dom('q35', "<input type='tablet' bus='usb'/><input type='mouse' bus='usb'><address type='usb' bus='0' port='3'/></input>");
    assert.deepEqual(hotplugUsbPlace(live, { type: 'keyboard', bus: 'usb' }), { type: 'usb', bus: 0, port: '2' });
    const full = dom('q35', "<controller type='usb' model='qemu-xhci' ports='2'/><input type='tablet' bus='usb'/><input type='mouse' bus='usb'/>");
    assert.match(code(() => hotplugUsbPlace(full, { type: 'keyboard', bus: 'usb' })), /^XML_UNSUPPORTED: .*not enough USB ports/);
  });
});
