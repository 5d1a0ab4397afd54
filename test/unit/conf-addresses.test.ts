// Guest addresses: PCI slots as libvirt assigns them, drive units, USB and virtio-serial ports, and
// the stability a redefinition keeps.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import type { DomainDef, PciAddress } from '../../src/conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';

const dom = (machine: string, devices: string): string => `<domain type='qemu'><name>a</name><uuid>00000000-0000-4000-8000-0000000000a1</uuid>
<memory>131072</memory><os><type machine='${machine}'>hvm</type></os><devices>${devices}</devices></domain>`;
const slot = (a: PciAddress | undefined): string => (a === undefined ? '-' : `${a.bus}:${a.slot.toString(16)}.${a.function}${a.multifunction === 'on' ? 'm' : ''}`);
const nic = (mac: string, model = 'virtio'): string => `<interface type='user'><mac address='${mac}'/><model type='${model}'/></interface>`;
const disk = (t: string, bus = 'virtio'): string => `<disk><source file='/i/${t}'/><target dev='${t}' bus='${bus}'/></disk>`;

describe('PCI slots', () => {
  test('pc: PIIX3 in slot 1, video in slot 2, then devices in libvirt order (NICs, sound, controllers, disks, balloon, rng)', () => {
    const d = parseDomainXml(dom('pc', `${disk('vda')}<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>${nic('52:54:00:00:00:01')}<sound model='ac97'/><video><model type='vga'/></video><controller type='scsi' model='virtio-scsi'/>`)).devices;
    assert.deepEqual([d.videos[0], d.interfaces[0], d.sounds[0], d.controllers.find((c) => c.type === 'scsi'), d.disks[0], d.memballoon, d.rngs[0]].map((x) => slot(x?.address as PciAddress)),
      ['0:2.0', '0:3.0', '0:4.0', '0:5.0', '0:6.0', '0:7.0', '0:8.0']);
  });

  test('q35: one pcie-root-port per PCI Express device, packed eight to a slot, plus a spare', () => {
    const nics = Array.from({ length: 9 }, (_v, i) => nic(`52:54:00:00:00:${(i + 16).toString(16)}`)).join('');
    const d = parseDomainXml(dom('q35', `${nics}<memballoon model='none'/>`)).devices;
    const ports = d.controllers.filter((c) => c.model === 'pcie-root-port');
    // 9 NICs + the implicit USB controller = 10 ports, + 1 spare.
    assert.equal(ports.length, 11);
    assert.deepEqual(ports.map((p) => slot(p.address)), ['0:1.0m', '0:1.1', '0:1.2', '0:1.3', '0:1.4', '0:1.5', '0:1.6', '0:1.7', '0:2.0m', '0:2.1', '0:2.2']);
    assert.deepEqual(ports.map((p) => p.target), ports.map((p) => ({ chassis: p.index, port: (p.address?.slot ?? 0) * 8 + (p.address?.function ?? 0) })));
    assert.deepEqual(d.interfaces.map((n) => slot(n.address)), ['1:0.0', '2:0.0', '3:0.0', '4:0.0', '5:0.0', '6:0.0', '7:0.0', '8:0.0', '9:0.0']);
  });

  test('q35: conventional PCI devices go behind a pcie-to-pci-bridge (slots from 1)', () => {
    const d = parseDomainXml(dom('q35', `${nic('52:54:00:00:00:01', 'rtl8139')}${nic('52:54:00:00:00:02', 'e1000')}<memballoon model='none'/>`)).devices;
    const bridge = d.controllers.find((c) => c.model === 'pcie-to-pci-bridge');
    assert.ok(bridge !== undefined);
    assert.equal(slot(bridge.address), '1:0.0');
    assert.deepEqual(d.interfaces.map((n) => slot(n.address)), [`${bridge.index}:1.0`, `${bridge.index}:2.0`]);
  });

  test('written addresses are kept and checked; a taken slot names both devices', () => {
    const d = parseDomainXml(dom('pc', `${nic('52:54:00:00:00:01')}<interface type='user'><mac address='52:54:00:00:00:02'/><address type='pci' slot='0x03'/></interface>`)).devices;
    // No video: the first free slot is 2.
    assert.deepEqual(d.interfaces.map((n) => slot(n.address)), ['0:2.0', '0:3.0']);
    assert.throws(() => parseDomainXml(dom('pc', `<interface type='user'><address type='pci' slot='0x05'/></interface>${disk('vda').replace('</disk>', "<address type='pci' slot='0x05'/></disk>")}`)),
      (e: unknown) => e instanceof VireoError && e.code === 'XML_INVALID' && /0000:00:05\.0 of disk vda is already used by interface/.test(e.message));
    assert.throws(() => parseDomainXml(dom('pc', "<interface type='user'><address type='pci' slot='0x01' function='0x1'/></interface>")),
      (e: unknown) => e instanceof VireoError && /built-in IDE controller must be at PCI address 0000:00:01\.1, which interface 52:54:00:[0-9a-f:]+ takes/.test(e.message));
  });

  test('ICH9 USB: EHCI and its UHCI companions share a slot (0x1d on q35), EHCI at function 7', () => {
    const usb = "<controller type='usb' model='ich9-ehci1'/><controller type='usb' model='ich9-uhci1'><master startport='0'/></controller><controller type='usb' model='ich9-uhci2'><master startport='2'/></controller>";
    const q = parseDomainXml(dom('q35', usb)).devices.controllers.filter((c) => c.type === 'usb');
    assert.deepEqual(q.map((c) => [c.model, c.index, slot(c.address)]), [['ich9-ehci1', 0, '0:1d.7'], ['ich9-uhci1', 0, '0:1d.0m'], ['ich9-uhci2', 0, '0:1d.1']]);
    const p = parseDomainXml(dom('pc', usb)).devices.controllers.filter((c) => c.type === 'usb');
    assert.deepEqual(p.map((c) => slot(c.address)), ['0:2.7', '0:2.0m', '0:2.1']);
  });
});

describe('other addresses', () => {
  test('drive units follow the target name: sata 6 per controller, ide 2 per bus, scsi 7 per controller', () => {
    const d = parseDomainXml(dom('q35', `${disk('sdb', 'sata')}${disk('sdh', 'sata')}${disk('sdc', 'scsi')}`)).devices;
    assert.deepEqual(d.disks.map((x) => x.address), [
      { type: 'drive', controller: 0, bus: 0, target: 0, unit: 1 },
      { type: 'drive', controller: 1, bus: 0, target: 0, unit: 1 },
      { type: 'drive', controller: 0, bus: 0, target: 0, unit: 2 },
    ]);
    // SATA controller 1 is added (an ich9-ahci on a root port), as libvirt does.
    assert.ok(d.controllers.some((c) => c.type === 'sata' && c.index === 1 && c.address?.bus !== 0));
    const ide = parseDomainXml(dom('pc', `${disk('hdd', 'ide')}`)).devices.disks[0]?.address;
    assert.deepEqual(ide, { type: 'drive', controller: 0, bus: 1, target: 0, unit: 1 });
  });

  test('IDE is refused on q35, naming the disk and what to use', () => {
    assert.throws(() => parseDomainXml(dom('q35', disk('hda', 'ide'))), (e: unknown) => e instanceof VireoError && e.code === 'XML_UNSUPPORTED' && /hda/.test(e.message) && /bus='sata'/.test(e.message));
  });

  test('USB ports in order (inputs, then redirected devices); too many for the controller is an error naming the fix', () => {
    const d = parseDomainXml(dom('q35', "<input type='tablet' bus='usb'/><redirdev bus='usb' type='spicevmc'/><input type='keyboard' bus='usb'/>")).devices;
    assert.deepEqual(d.inputs.filter((i) => i.bus === 'usb').map((x) => x.address?.type === 'usb' ? x.address.port : ''), ['1', '2']);
    assert.deepEqual(d.redirdevs.map((x) => x.address?.port), ['3']);
    assert.throws(() => parseDomainXml(dom('pc', "<input type='tablet' bus='usb'/><input type='mouse' bus='usb'/><input type='keyboard' bus='usb'/>")),
      (e: unknown) => e instanceof VireoError && /not enough USB ports/.test(e.message) && /qemu-xhci/.test(e.message));
  });

  test('virtio-serial ports: channels from 1, after virtio consoles', () => {
    const d = parseDomainXml(dom('q35', "<console type='pty'><target type='virtio' port='1'/></console><channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")).devices;
    assert.deepEqual(d.channels[0]?.address, { type: 'virtio-serial', controller: 0, bus: 0, port: 2 });
    assert.ok(d.controllers.some((c) => c.type === 'virtio-serial'));
  });

  test('a device section pasted from another dump: the buses its addresses name are added', () => {
    const d = parseDomainXml(dom('q35', `${disk('vda').replace('</disk>', "<address type='pci' bus='0x04' slot='0x00'/></disk>")}`)).devices;
    assert.deepEqual(d.controllers.filter((c) => c.type === 'pci').map((c) => [c.index, c.model]).slice(0, 5),
      [[0, 'pcie-root'], [1, 'pcie-root-port'], [2, 'pcie-root-port'], [3, 'pcie-root-port'], [4, 'pcie-root-port']]);
  });
});

describe('redefinition keeps the hardware where it was', () => {
  const base = `${disk('vda')}${nic('52:54:00:00:00:01')}<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>`;
  const placed = (d: DomainDef): Record<string, string> => ({
    vda: slot(d.devices.disks.find((x) => x.target === 'vda')?.address as PciAddress),
    nic1: slot(d.devices.interfaces.find((n) => n.mac === '52:54:00:00:00:01')?.address),
    usb: slot(d.devices.controllers.find((c) => c.type === 'usb')?.address),
    balloon: slot(d.devices.memballoon.address),
  });

  test('dumpxml → define: every address comes back as it was', () => {
    const first = parseDomainXml(dom('q35', base));
    assert.deepEqual(parseDomainXml(formatDomainXml(first)), first);
  });

  test('the original file with a NIC added in front: the old devices keep their slots, the new NIC gets a free one', () => {
    const first = parseDomainXml(dom('q35', base));
    const edited = dom('q35', `${nic('52:54:00:00:00:99')}${base}`);
    // Without the previous definition the slots move (which is why this matters)...
    assert.notDeepEqual(placed(parseDomainXml(edited)), placed(first));
    // ...with it, they stay.
    const second = parseDomainXml(edited, { previous: () => first });
    assert.deepEqual(placed(second), placed(first));
    const added = second.devices.interfaces.find((n) => n.mac === '52:54:00:00:00:99')?.address;
    assert.ok(added !== undefined && !Object.values(placed(first)).includes(slot(added)));
    assert.deepEqual(second.devices.channels[0]?.address, first.devices.channels[0]?.address);
  });

  test('a change of chipset (pc to q35) assigns afresh', () => {
    const first = parseDomainXml(dom('pc', base));
    const second = parseDomainXml(dom('q35', base), { previous: () => first });
    assert.deepEqual(second, parseDomainXml(dom('q35', base)));
  });

  test('an address written in the new definition wins over the inherited one', () => {
    const first = parseDomainXml(dom('pc', `${nic('52:54:00:00:00:01')}${disk('vda')}`));
    const vdaSlot = first.devices.disks[0]?.address as PciAddress;
    const second = parseDomainXml(dom('pc', `${nic('52:54:00:00:00:01').replace('</interface>', `<address type='pci' slot='0x${vdaSlot.slot.toString(16)}'/></interface>`)}${disk('vda')}`), { previous: () => first });
    assert.equal(second.devices.interfaces[0]?.address?.slot, vdaSlot.slot);
    assert.notEqual((second.devices.disks[0]?.address as PciAddress).slot, vdaSlot.slot);
  });
});
