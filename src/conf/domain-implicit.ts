/**
 * What libvirt adds to every definition after parsing, so that dumpxml shows the whole machine:
 * the controllers a machine type always has (PCI root, built-in SATA/IDE, the default USB
 * controller), controllers the devices need (SCSI, virtio-serial, floppy), PS/2 inputs and a
 * video card with graphics, an audio backend; then every device's guest address (drive units,
 * PCI slots in domain-pci.ts, USB ports, virtio-serial ports). Pure.
 */

import { VireoError } from '../api/errors.js';
import type { Controller, ControllerType, Devices, DomainDef, DriveAddress, UsbControllerModel } from './domain-model.js';
import { DEFAULT_VIDEO_MODEL, withVideoDefaults } from './domain-parse-display.js';
import { inheritAddresses } from './domain-inherit.js';
import { assignPciAddresses } from './domain-pci.js';

/** True for the q35 family of machine types. */
export function isQ35(machine: string): boolean {
  return machine === 'q35' || machine.includes('-q35');
}

/** Index of a disk on its bus, from its target name: vda -> 0, sdb -> 1, hdc -> 2, vdaa -> 26. */
export function diskIndex(target: string): number {
  const letters = target.replace(/^(vd|sd|hd|fd)/, '');
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}

/**
 * Fill in implicit devices and every missing guest address. With `previous` (the definition this
 * one replaces), devices keep the addresses they had there (domain-inherit.ts).
 */
export function completeDefinition(def: DomainDef, previous?: DomainDef): void {
  const q35 = isQ35(def.os.machine);
  // Another chipset has other buses: a change of machine family starts from scratch.
  if (previous !== undefined && isQ35(previous.os.machine) !== q35) previous = undefined;
  if (previous !== undefined) inheritAddresses(def, previous);
  assignDriveAddresses(def.devices);
  addImplicitControllers(def, q35);
  addImplicitDevices(def);
  if (previous !== undefined) inheritAddresses(def, previous);
  assignPciAddresses(def, q35);
  assignUsbAddresses(def.devices);
  assignVirtioSerialAddresses(def.devices);
}

/**
 * Insert a controller the way libvirt does: after the last controller of the same type (before
 * one of the same type with a higher index), else at the end.
 */
export function insertController(list: Controller[], ctrl: Controller): void {
  let at = list.length;
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i] as Controller;
    if (c.type !== ctrl.type) continue;
    if (c.index > ctrl.index) at = i;
    else {
      at = i + 1;
      break;
    }
  }
  list.splice(at, 0, ctrl);
}

function hasController(d: Devices, type: ControllerType, index: number): Controller | undefined {
  return d.controllers.find((c) => c.type === type && c.index === index && c.masterStartport === undefined);
}

function ensureController(d: Devices, type: ControllerType, index: number, extra: Partial<Controller> = {}): Controller {
  const found = hasController(d, type, index);
  if (found !== undefined) return found;
  const ctrl: Controller = { type, index, ...extra };
  insertController(d.controllers, ctrl);
  return ctrl;
}

function addImplicitControllers(def: DomainDef, q35: boolean): void {
  const d = def.devices;
  // The bus every PCI device hangs off.
  const root = hasController(d, 'pci', 0);
  if (root === undefined) ensureController(d, 'pci', 0, { model: q35 ? 'pcie-root' : 'pci-root' });
  else if (root.model !== (q35 ? 'pcie-root' : 'pci-root')) {
    throw VireoError.of('XML_INVALID', `PCI controller 0 of machine type '${def.os.machine}' must have model '${q35 ? 'pcie-root' : 'pci-root'}', not '${root.model ?? ''}'`);
  }
  const defaultUsb: UsbControllerModel = q35 ? 'qemu-xhci' : 'piix3-uhci';
  for (const c of d.controllers) if (c.type === 'usb' && c.model === undefined) c.model = defaultUsb;
  if (!d.controllers.some((c) => c.type === 'usb')) ensureController(d, 'usb', 0, { model: defaultUsb });

  // Built into the chipset: ICH9's AHCI on q35, PIIX3's IDE on pc.
  if (q35) ensureController(d, 'sata', 0);
  else ensureController(d, 'ide', 0);
  for (const disk of d.disks) {
    const addr = disk.address;
    if (addr?.type !== 'drive') continue;
    if (disk.bus === 'sata') ensureController(d, 'sata', addr.controller);
    if (disk.bus === 'ide') {
      if (q35) throw VireoError.of('XML_UNSUPPORTED', `IDE disk ${disk.target}: machine type '${def.os.machine}' has no IDE controller; use bus='sata'`);
      if (addr.controller > 0) throw VireoError.of('XML_UNSUPPORTED', `IDE disk ${disk.target}: only IDE controller 0 exists on machine type '${def.os.machine}'`);
    }
    if (disk.bus === 'scsi') ensureController(d, 'scsi', addr.controller);
    if (disk.bus === 'fdc') ensureController(d, 'fdc', 0);
  }
  for (const c of d.controllers) if (c.type === 'scsi' && c.model === undefined) c.model = 'lsilogic';
  const needsVirtioSerial = d.channels.length > 0 || d.consoles.some((c) => c.targetType === 'virtio');
  if (needsVirtioSerial) {
    for (const ch of d.channels) ensureController(d, 'virtio-serial', ch.address?.controller ?? 0);
    ensureController(d, 'virtio-serial', 0);
  }
}

function addImplicitDevices(def: DomainDef): void {
  const d = def.devices;
  if (d.graphics.length > 0) {
    // libvirt gives every x86 guest with a display a PS/2 mouse and keyboard (the i8042 is built in).
    if (!d.inputs.some((i) => i.type === 'mouse' && i.bus === 'ps2')) d.inputs.push({ type: 'mouse', bus: 'ps2' });
    if (!d.inputs.some((i) => i.type === 'keyboard' && i.bus === 'ps2')) d.inputs.push({ type: 'keyboard', bus: 'ps2' });
    if (d.videos.length === 0) d.videos.push(withVideoDefaults({ model: DEFAULT_VIDEO_MODEL }));
  }
  if (d.audios.length === 0 && (d.sounds.length > 0 || d.graphics.length > 0)) {
    d.audios.push({ id: 1, type: d.graphics.some((g) => g.type === 'spice') ? 'spice' : 'none' });
  }
}

/** Where a disk sits on its controller, derived from its target name as libvirt does. */
function driveAddressFor(bus: string, index: number): DriveAddress | undefined {
  switch (bus) {
    case 'sata': return { type: 'drive', controller: Math.floor(index / 6), bus: 0, target: 0, unit: index % 6 };
    case 'ide': return { type: 'drive', controller: Math.floor(index / 4), bus: Math.floor((index % 4) / 2), target: 0, unit: index % 2 };
    case 'scsi': return { type: 'drive', controller: Math.floor(index / 7), bus: 0, target: 0, unit: index % 7 };
    case 'fdc': return { type: 'drive', controller: 0, bus: 0, target: 0, unit: index };
    default: return undefined;
  }
}

function assignDriveAddresses(d: Devices): void {
  const used = new Map<string, string>();
  const key = (bus: string, a: DriveAddress): string => `${bus}:${a.controller}:${a.bus}:${a.target}:${a.unit}`;
  for (const disk of d.disks) {
    if (disk.address?.type !== 'drive') continue;
    const k = key(disk.bus, disk.address);
    const prev = used.get(k);
    if (prev !== undefined) throw VireoError.of('XML_INVALID', `disks ${prev} and ${disk.target} have the same drive address`);
    used.set(k, disk.target);
  }
  for (const disk of d.disks) {
    if (disk.address !== undefined || disk.bus === 'virtio') continue;
    const addr = driveAddressFor(disk.bus, diskIndex(disk.target));
    if (addr === undefined) continue;
    if (disk.bus === 'fdc' && addr.unit > 1) throw VireoError.of('XML_INVALID', `floppy ${disk.target}: a floppy controller has two drives, fda and fdb`);
    const k = key(disk.bus, addr);
    const prev = used.get(k);
    if (prev !== undefined) throw VireoError.of('XML_INVALID', `disk ${disk.target} would take the drive address of disk ${prev}; give one of them an explicit <address>`);
    used.set(k, disk.target);
    disk.address = addr;
  }
}

/** USB ports each controller model offers (vireo does not add hubs). */
function usbPorts(c: Controller): number {
  switch (c.model) {
    case 'qemu-xhci':
    case 'nec-xhci':
      return c.ports ?? 4;
    case 'piix3-uhci':
    case 'piix4-uhci':
      return 2;
    case 'none':
      return 0;
    default:
      return 6;
  }
}

/** Give each USB device (input, redirdev) without an address the lowest free port of the USB controller. */
export function assignUsbAddresses(d: Devices): void {
  const devices = [...d.inputs.filter((i) => i.bus === 'usb'), ...d.redirdevs];
  if (devices.length === 0) return;
  const ctrl = d.controllers.find((c) => c.type === 'usb' && c.index === 0 && c.masterStartport === undefined);
  const capacity = ctrl === undefined ? 0 : usbPorts(ctrl);
  if (capacity === 0) throw VireoError.of('XML_INVALID', "USB devices (input or redirdev) need a USB controller, but the USB controller is model 'none'");
  const used = new Set<string>();
  for (const dev of devices) {
    if (dev.address?.type !== 'usb') continue;
    if (used.has(dev.address.port)) throw VireoError.of('XML_INVALID', `USB port ${dev.address.port} is used twice`);
    used.add(dev.address.port);
  }
  let next = 1;
  for (const dev of devices) {
    if (dev.address !== undefined) continue;
    while (used.has(String(next))) next++;
    if (next > capacity) {
      throw VireoError.of('XML_UNSUPPORTED', `not enough USB ports: the ${ctrl?.model ?? ''} controller has ${capacity}; use <controller type='usb' model='qemu-xhci' ports='15'/>`, { hint: 'USB hubs are not supported yet' });
    }
    dev.address = { type: 'usb', bus: 0, port: String(next) };
    used.add(String(next));
  }
}

function assignVirtioSerialAddresses(d: Devices): void {
  // virtio consoles take the ports of their console numbers; channels get the next free ones.
  const used = new Set<string>(d.consoles.filter((c) => c.targetType === 'virtio').map((c) => `0:${c.port}`));
  for (const ch of d.channels) {
    if (ch.address === undefined) continue;
    const k = `${ch.address.controller}:${ch.address.port}`;
    if (used.has(k)) throw VireoError.of('XML_INVALID', `virtio-serial port ${ch.address.port} on controller ${ch.address.controller} is used twice`);
    used.add(k);
  }
  for (const ch of d.channels) {
    if (ch.address !== undefined) continue;
    let port = 1;
    while (used.has(`0:${port}`)) port++;
    if (port > 31) throw VireoError.of('XML_UNSUPPORTED', 'too many channels: a virtio-serial controller has 31 ports');
    used.add(`0:${port}`);
    ch.address = { type: 'virtio-serial', controller: 0, bus: 0, port };
  }
}
