/**
 * One device on its own, as attach-device, detach-device and update-device take it, and the
 * pure edits of a definition that go with them: where a hot-plugged device goes on the PCI
 * buses, which NIC a device XML names, what a NIC update changes. No I/O, no QEMU names.
 *
 * <interface>, <disk>, <controller>, <input>, <memory model=dimm>, <rng> and <watchdog> so far; every other device kind is refused naming
 * it, and a new kind is added as another member of DeviceDef.
 */
import { VireoError } from '../api/errors.js';
import type { Controller, Disk, DomainDef, Input, Interface, MemoryDevice, PciAddress, Rng, UsbAddress, Watchdog } from './domain-model.js';
import { assignUsbAddresses, isQ35 } from './domain-implicit.js';
import { parseController, parseDisk } from './domain-parse-devices.js';
import { parseMemoryDevice } from './domain-parse-memory.js';
import { parseInput, parseRng, parseWatchdog } from './domain-parse-misc.js';
import { parseInterface } from './domain-parse-net.js';
import { BootOrders, RUNTIME_ONLY } from './domain-parse-util.js';
import { assignPciAddresses, formatPciAddress } from './domain-pci.js';
import { parseXml } from './xml.js';
import { XNode } from './xml-reader.js';

/** A device given on its own. `macGiven`: the XML had a <mac> (otherwise one was generated). */
export type DeviceDef =
  | { kind: 'interface'; nic: Interface; macGiven: boolean }
  | { kind: 'disk'; disk: Disk }
  | { kind: 'rng'; rng: Rng }
  | { kind: 'watchdog'; watchdog: Watchdog }
  /** index -1: none written (the lowest free one is taken). */
  | { kind: 'controller'; controller: Controller }
  | { kind: 'input'; input: Input }
  /** A USB hub: libvirt's QEMU driver attaches and detaches none, live or persistent; neither does vireo. */
  | { kind: 'hub' }
  | { kind: 'memory'; memory: MemoryDevice };

/** The DeviceDef of one kind. */
export type DeviceOf<K extends DeviceDef['kind']> = Extract<DeviceDef, { kind: K }>;

/** libvirt's device elements (children of <devices>) that vireo cannot attach or detach yet. */
const OTHER_DEVICES = new Set([
  'lease', 'filesystem', 'sound', 'hostdev', 'graphics', 'video', 'watchdog',
  'redirdev', 'smartcard', 'chardev', 'serial', 'parallel', 'console', 'channel', 'memballoon', 'nvram',
  'shmem', 'tpm', 'panic', 'iommu', 'vsock', 'audio', 'crypto',
]);

/**
 * Parse one device element (attach-device's FILE). `reference`: the device is only named, to be
 * found (a detach): a disk then needs no source.
 */
export function parseDeviceXml(xml: string, reference = false): DeviceDef {
  const el = parseXml(xml, '(device_definition)');
  const node = XNode.root(el);
  switch (el.name) {
    case 'interface':
      return { kind: 'interface', nic: parseInterface(node, new BootOrders()), macGiven: node.child('mac') !== undefined };
    case 'disk':
      return { kind: 'disk', disk: parseDisk(node, new BootOrders(), false, reference) };
    case 'rng':
      return { kind: 'rng', rng: parseRng(node) };
    case 'watchdog':
      return { kind: 'watchdog', watchdog: parseWatchdog(node) };
    case 'controller':
      return { kind: 'controller', controller: parseController(node) };
    case 'input':
      return { kind: 'input', input: parseInput(node) };
    case 'hub':
      node.check({ attrs: ['type'], one: ['address'], ignore: RUNTIME_ONLY });
      if (node.enumAttr('type', ['usb'] as const) === undefined) throw node.invalid("missing attribute 'type' (usb)");
      return { kind: 'hub' };
    case 'memory':
      return { kind: 'memory', memory: parseMemoryDevice(node) };
  }
  if (OTHER_DEVICES.has(el.name)) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `attaching, detaching or updating a <${el.name}> device is not supported yet; only <interface>, <disk>, <controller>, <input>, <memory>, <rng> and <watchdog> devices are`);
  }
  throw VireoError.of('CONFIG_UNSUPPORTED', `unknown device type '${el.name}'`);
}

/** libvirt's words when no hot-pluggable PCI place is left (libvirt calls it an internal error; it is the guest's configuration). */
function noSlot(def: DomainDef): VireoError {
  return VireoError.of('CONFIG_UNSUPPORTED', 'No more available PCI slots', {
    hint: isQ35(def.os.machine)
      ? "a running q35 guest takes new PCI Express devices on free pcie-root-ports (conventional PCI ones, such as model rtl8139 or e1000, behind a pcie-to-pci-bridge); add <controller type='pci' model='pcie-root-port'/> to its config and restart it, or use --config"
      : 'every slot of the PCI bus is taken; detach a device first, or use --config',
  });
}

/**
 * The PCI address a device hot-plugged into the running guest `live` gets: on i440fx a free slot
 * of pci.0 (or of a pci-bridge); on q35 a free pcie-root-port for a PCI Express device, a free
 * slot of a pcie-to-pci-bridge for a conventional one. Controllers cannot be added to a running
 * guest, so when the device would need one there is no place (libvirt's "No more available PCI
 * slots"). A written address is checked to be free.
 */
export function hotplugPciAddress(live: DomainDef, nic: Interface): PciAddress {
  return hotplugPlace(live, (trial) => {
    const copy = structuredClone(nic);
    trial.devices.interfaces.push(copy);
    return () => copy.address;
  });
}

/**
 * hotplugPciAddress for any device: `add` puts a copy of the device into the trial definition
 * and returns how to read the address it was given.
 */
export function hotplugPlace(live: DomainDef, add: (trial: DomainDef) => () => PciAddress | undefined): PciAddress {
  const trial = structuredClone(live);
  const placed = add(trial);
  const controllers = trial.devices.controllers.length;
  try {
    assignPciAddresses(trial, isQ35(live.os.machine));
  } catch (e) {
    if (e instanceof VireoError && e.code === 'XML_UNSUPPORTED') throw noSlot(live);
    throw e;
  }
  const address = placed();
  if (trial.devices.controllers.length !== controllers || address === undefined) throw noSlot(live);
  const bus = live.devices.controllers.find((c) => c.type === 'pci' && c.index === address.bus);
  // pcie.0 itself takes no hot-plugged device (only root ports are hot-pluggable there).
  if (bus?.model === 'pcie-root') {
    throw VireoError.of('CONFIG_UNSUPPORTED', `PCI address ${formatPciAddress(address)} is on the PCI Express root bus, which does not support hot-plug; use a pcie-root-port's bus`);
  }
  return address;
}

/**
 * The USB port a device plugged into the running guest `live` takes: the lowest free one of its
 * USB controller (a written one is checked to be free), as a definition's devices get theirs.
 */
export function hotplugUsbPlace(live: DomainDef, input: Input): UsbAddress {
  const trial = structuredClone(live.devices);
  const copy = structuredClone(input);
  trial.inputs.push(copy);
  assignUsbAddresses(trial);
  if (copy.address?.type !== 'usb') throw VireoError.of('INTERNAL', 'a USB device got no USB port');
  return copy.address;
}

/** libvirt's lowest free device id for a new NIC: one past the highest netN in use. */
export function nextNicAlias(def: DomainDef): string {
  let next = 0;
  for (const n of def.devices.interfaces) {
    const m = /^net(\d+)$/.exec(n.alias ?? '');
    if (m !== null) next = Math.max(next, Number(m[1]) + 1);
  }
  return `net${next}`;
}

/**
 * The NICs of `def` that a device XML names, as libvirt matches them: by MAC when it gave one,
 * and by PCI address when it gave one; with neither, every NIC.
 */
export function matchingNics(def: DomainDef, dev: DeviceOf<'interface'>): Interface[] {
  const a = dev.nic.address;
  return def.devices.interfaces.filter((n) => (!dev.macGiven || n.mac === dev.nic.mac)
    && (a === undefined || (n.address !== undefined && formatPciAddress(n.address) === formatPciAddress(a))));
}

/** The one NIC a device XML names, or libvirt's "device not found" / "multiple devices" errors. */
export function findMatchingNic(def: DomainDef, dev: DeviceOf<'interface'>): Interface {
  const found = matchingNics(def, dev);
  const first = found[0];
  const where = dev.nic.address === undefined ? '(<null>)' : formatPciAddress(dev.nic.address);
  if (first === undefined) {
    throw VireoError.of('DEVICE_MISSING', `no device found at address '${where}' matching MAC address '${dev.macGiven ? dev.nic.mac : '(<null>)'}' and alias '(<null>)'`);
  }
  if (found.length > 1) throw VireoError.of('OPERATION_FAILED', `multiple devices matching MAC address ${dev.nic.mac} found`);
  return first;
}

/** What update-device changes on a NIC: what can change in a running guest, and the new NIC. */
export interface NicUpdate {
  next: Interface;
  link: boolean;
  /** The NIC joins another network or host bridge (its tap moves). */
  source: boolean;
  /** Its <bandwidth> changes (the limits on its tap). */
  bandwidth: boolean;
}

/**
 * Compare a NIC with its update (update-device): the new NIC keeps what the update leaves out
 * (PCI address, tap name, boot order, device id); a change a running guest cannot take is refused
 * with libvirt's words when `live`.
 */
export function nicUpdate(old: Interface, upd: Interface, live: boolean): NicUpdate {
  const next: Interface = structuredClone(upd);
  if (next.address === undefined && old.address !== undefined) next.address = old.address;
  if (next.bootOrder === undefined && old.bootOrder !== undefined) next.bootOrder = old.bootOrder;
  if (old.alias !== undefined) next.alias = old.alias;
  if (next.targetDev === undefined && old.targetDev !== undefined && (live || old.type === 'ethernet')) {
    next.targetDev = old.targetDev;
    if (old.targetManaged !== undefined) next.targetManaged = old.targetManaged;
  }
  const link = (old.linkState ?? 'up') !== (next.linkState ?? 'up');
  const source = old.type !== next.type || old.source !== next.source;
  if (live) {
    const refuse = (what: string): never => {
      throw VireoError.of('NO_SUPPORT', `Operation not supported: cannot modify network device ${what}`);
    };
    if (old.model !== next.model) refuse(`model from ${old.model} to ${next.model}`);
    if (old.targetDev !== next.targetDev) refuse('tap name');
    if (next.address !== undefined && old.address !== undefined && formatPciAddress(next.address) !== formatPciAddress(old.address)) refuse('guest PCI address');
    if (old.bootOrder !== next.bootOrder) refuse('boot index setting');
    if (JSON.stringify(old.driver ?? {}) !== JSON.stringify(next.driver ?? {})) refuse('driver attributes');
    if (old.mtu !== next.mtu) refuse('MTU');
    if (source && (![old.type, next.type].every((t) => t === 'network' || t === 'bridge'))) {
      throw VireoError.of('NO_SUPPORT', `Operation not supported: unable to change config on '${old.type}' network type`, {
        hint: 'a running guest\'s NIC can move between networks and host bridges only; detach it and attach a new one',
      });
    }
  }
  const bandwidth = JSON.stringify(old.bandwidth ?? {}) !== JSON.stringify(next.bandwidth ?? {});
  return { next, link, source, bandwidth };
}
