/**
 * PCI addresses, assigned the way libvirt's QEMU driver does so that a guest sees the same
 * hardware on every boot and a definition copied from libvirt keeps its slots:
 *
 * - pc (i440fx): one flat bus. Slot 1 is the PIIX3 (ISA, IDE at .1, USB UHCI at .2), the primary
 *   video card takes slot 2, other devices the next free slots in libvirt's device order.
 * - q35: slot 0x1f is the ICH9 (LPC, SATA at .2, SMBus), the primary video card takes slot 1,
 *   an ICH9 sound card 0x1b, ICH9 USB companions 0x1d. Every other PCI Express device gets a
 *   pcie-root-port of its own; root ports are packed eight to a slot on pcie.0 (multifunction),
 *   starting at the first free slot. Conventional PCI devices (rtl8139, e1000, AC97, lsilogic,
 *   i6300esb...) go behind a pcie-to-pci-bridge. Missing root ports and bridges are added,
 *   plus one spare root port for hotplug when any were added.
 *
 * Addresses already written are kept (and checked), so a definition that went through
 * dumpxml keeps every slot when it is defined again.
 */

import { VireoError } from '../api/errors.js';
import type { Controller, DomainDef, PciAddress, PciControllerModel } from './domain-model.js';
import { insertController } from './domain-implicit.js';

/** What kind of slot a device needs on q35. */
type Conn = 'pcie' | 'pci';

interface PciDevice {
  label: string;
  conn: Conn;
  /** PCI controllers are placed before the devices that hang off them. */
  kind?: 'root-port' | 'dmi' | 'bridge';
  /** A multifunction group: every function it takes in the slot it is given. */
  functions?: number[];
  get(): PciAddress | undefined;
  set(a: PciAddress): void;
}

interface Bus {
  index: number;
  model: PciControllerModel;
}

const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
/** 0000:00:1f.2 */
export function formatPciAddress(a: PciAddress): string {
  return `${hex(a.domain, 4)}:${hex(a.bus, 2)}:${hex(a.slot, 2)}.${a.function}`;
}

function slotRange(model: PciControllerModel): [number, number] {
  switch (model) {
    case 'pcie-root-port': return [0, 0];
    case 'dmi-to-pci-bridge': return [0, 31];
    default: return [1, 31];
  }
}

/** Which functions are taken on each bus/slot. */
class Occupancy {
  private readonly used = new Map<string, string>();

  private key(bus: number, slot: number, fn: number): string {
    return `${bus}:${slot}:${fn}`;
  }

  take(a: PciAddress, label: string): void {
    const k = this.key(a.bus, a.slot, a.function);
    const prev = this.used.get(k);
    if (prev !== undefined) throw VireoError.of('XML_INVALID', `PCI address ${formatPciAddress(a)} of ${label} is already used by ${prev}`);
    this.used.set(k, label);
  }

  /** Which device holds bus/slot/function, if any. */
  holder(a: PciAddress): string | undefined {
    return this.used.get(this.key(a.bus, a.slot, a.function));
  }

  fnFree(bus: number, slot: number, fn: number): boolean {
    return !this.used.has(this.key(bus, slot, fn));
  }

  slotFree(bus: number, slot: number): boolean {
    for (let fn = 0; fn < 8; fn++) if (!this.fnFree(bus, slot, fn)) return false;
    return true;
  }
}

const addr = (bus: number, slot: number, fn = 0): PciAddress => ({ type: 'pci', domain: 0, bus, slot, function: fn });

/** Give `dev` the slot `a` and mark what it takes (all functions of a multifunction group). */
function place(occ: Occupancy, dev: PciDevice, a: PciAddress): void {
  dev.set(a);
  for (const fn of dev.functions ?? [a.function]) occ.take({ ...a, function: fn }, dev.label);
}

export function assignPciAddresses(def: DomainDef, q35: boolean): void {
  const d = def.devices;
  const occ = new Occupancy();
  const buses = (): Bus[] =>
    d.controllers.filter((c) => c.type === 'pci').map((c) => ({ index: c.index, model: c.model as PciControllerModel })).sort((a, b) => a.index - b.index);

  // Chipset functions that are always there.
  if (q35) for (const fn of [0, 3]) occ.take(addr(0, 0x1f, fn), fn === 0 ? 'the ICH9 LPC bridge' : 'the ICH9 SMBus');
  else for (const fn of [0, 3]) occ.take(addr(0, 1, fn), fn === 0 ? 'the PIIX3 ISA bridge' : 'the PIIX4 power management');

  const fixed = fixedPlacements(def, q35);
  const devices = deviceOrder(def, q35);
  const ctrlDevices = d.controllers.filter((c) => c.type === 'pci' && c.index > 0).map((c) => controllerDevice(c, q35));
  const all = [...fixed.map((f) => f.dev), ...ctrlDevices, ...devices];

  // 1. Addresses written in the definition. A bus they name that has no controller gets one, as
  //    libvirt does, so a device section pasted from another dumpxml still defines.
  addReferencedBuses(def, q35, all);
  for (const dev of all) {
    const a = dev.get();
    if (a === undefined) continue;
    const bus = buses().find((b) => b.index === a.bus);
    if (bus === undefined) throw VireoError.of('XML_INVALID', `PCI address ${formatPciAddress(a)} of ${dev.label} is on bus ${a.bus}, but there is no PCI controller with index ${a.bus}`);
    const [lo, hi] = slotRange(bus.model);
    if (a.slot < lo || a.slot > hi) throw VireoError.of('XML_INVALID', `PCI address ${formatPciAddress(a)} of ${dev.label}: a ${bus.model} has slots ${lo} to ${hi}`);
    occ.take(a, dev.label);
  }

  // 2. Fixed chipset slots.
  for (const f of fixed) {
    if (f.dev.get() !== undefined) continue;
    const where = f.where(occ);
    if (where.length > 0 && where.every((w) => occ.fnFree(w.bus, w.slot, w.function))) {
      place(occ, f.dev, where[0] as PciAddress);
    } else if (f.required) {
      const at = where[0] ?? addr(0, 0);
      throw VireoError.of('XML_INVALID', `${f.dev.label} must be at PCI address ${formatPciAddress(at)}, which ${occ.holder(at) ?? 'another device'} takes; remove that <address>`);
    } else {
      devices.unshift(f.dev); // an ordinary slot then, assigned with the others
    }
  }

  if (!q35) {
    for (const dev of [...ctrlDevices, ...devices]) {
      if (dev.get() !== undefined) continue;
      const a = findSlot(occ, buses().filter((b) => b.model === 'pci-root' || b.model === 'pci-bridge'));
      if (a === undefined) throw VireoError.of('XML_UNSUPPORTED', `no free PCI slot left for ${dev.label}; add a <controller type='pci' model='pci-bridge'/>`);
      place(occ, dev, a);
    }
    return;
  }

  // 3. q35: add the root ports and bridges the devices need (a dry run over free places).
  addMissingControllers(def, occ, [...ctrlDevices, ...devices]);
  const ctrlDevs = d.controllers.filter((c) => c.type === 'pci' && c.index > 0).map((c) => controllerDevice(c, q35));

  // 4. Root ports on pcie.0, eight functions to a slot.
  const ports = ctrlDevs.filter((c) => c.kind === 'root-port' && c.get() === undefined);
  let slot = 0;
  let fn = 8;
  let firstOfSlot: PciAddress | undefined;
  for (const port of ports) {
    if (fn > 7) {
      slot = nextFreeSlot(occ, 0, slot + 1);
      fn = 0;
      firstOfSlot = undefined;
    }
    const a = addr(0, slot, fn);
    if (fn === 0) firstOfSlot = a;
    else if (firstOfSlot !== undefined) firstOfSlot.multifunction = 'on';
    port.set(a);
    occ.take(a, port.label);
    fn++;
  }
  for (const c of d.controllers) {
    if (c.model !== 'pcie-root-port' || c.address === undefined) continue;
    c.target ??= {};
    c.target.chassis ??= c.index;
    if (c.address.bus === 0) c.target.port ??= c.address.slot * 8 + c.address.function;
  }

  // 5. Bridges, then the devices, each on the first free place of its kind.
  for (const dev of [...ctrlDevs.filter((c) => c.get() === undefined), ...devices]) {
    if (dev.get() !== undefined) continue;
    const a = placeQ35(dev, occ, buses());
    if (a === undefined) throw VireoError.of('INTERNAL', `no PCI place for ${dev.label} after adding controllers`);
    place(occ, dev, a);
  }
}

function addReferencedBuses(def: DomainDef, q35: boolean, devices: PciDevice[]): void {
  const d = def.devices;
  const used = devices.map((x) => x.get()).filter((a): a is PciAddress => a !== undefined && a.bus > 0);
  const max = Math.max(0, ...used.map((a) => a.bus));
  for (let i = 1; i <= max; i++) {
    if (d.controllers.some((c) => c.type === 'pci' && c.index === i)) continue;
    const bridge = used.some((a) => a.bus === i && a.slot > 0) || !q35;
    insertController(d.controllers, { type: 'pci', index: i, model: bridge ? (q35 ? 'pcie-to-pci-bridge' : 'pci-bridge') : 'pcie-root-port' });
  }
}

function nextFreeSlot(occ: Occupancy, bus: number, from: number): number {
  for (let s = Math.max(from, 1); s <= 31; s++) if (occ.slotFree(bus, s)) return s;
  throw VireoError.of('XML_UNSUPPORTED', 'no free slot left on the PCI Express root bus for more pcie-root-ports');
}

function findSlot(occ: Occupancy, buses: Bus[]): PciAddress | undefined {
  for (const b of buses) {
    const [lo, hi] = slotRange(b.model);
    for (let s = lo; s <= hi; s++) if (occ.slotFree(b.index, s)) return addr(b.index, s);
  }
  return undefined;
}

function placeQ35(dev: PciDevice, occ: Occupancy, buses: Bus[]): PciAddress | undefined {
  if (dev.kind === 'dmi') return findSlot(occ, buses.filter((b) => b.model === 'pcie-root'));
  if (dev.conn === 'pcie') return findSlot(occ, buses.filter((b) => b.model === 'pcie-root-port'));
  return findSlot(occ, buses.filter((b) => b.model === 'pcie-to-pci-bridge' || b.model === 'pci-bridge'));
}

/** Dry run: count the root ports and bridges the unplaced devices need and add them. */
function addMissingControllers(def: DomainDef, occ: Occupancy, pending: PciDevice[]): void {
  const d = def.devices;
  const pci = d.controllers.filter((c) => c.type === 'pci');
  let next = Math.max(0, ...pci.map((c) => c.index)) + 1;
  const freePorts = pci.filter((c) => c.model === 'pcie-root-port' && occ.fnFree(c.index, 0, 0)).map((c) => c.index);
  const bridgeSlots = new Map<number, number>();
  for (const c of pci) {
    if (c.model !== 'pcie-to-pci-bridge' && c.model !== 'pci-bridge') continue;
    let free = 0;
    for (let s = 1; s <= 31; s++) if (occ.slotFree(c.index, s)) free++;
    bridgeSlots.set(c.index, free);
  }
  let added = 0;
  const newPort = (): number => {
    insertController(d.controllers, { type: 'pci', index: next, model: 'pcie-root-port' });
    added++;
    return next++;
  };
  const takePort = (): void => {
    if (freePorts.length > 0) freePorts.shift();
    else newPort();
  };
  for (const dev of pending) {
    if (dev.get() !== undefined || dev.kind === 'root-port' || dev.kind === 'dmi') continue;
    if (dev.conn === 'pcie') {
      takePort();
      continue;
    }
    const bridge = [...bridgeSlots.entries()].find(([, free]) => free > 0);
    if (bridge !== undefined) {
      bridgeSlots.set(bridge[0], bridge[1] - 1);
      continue;
    }
    // libvirt adds a root port with every bridge it adds, even when others are free.
    newPort();
    const idx = next++;
    insertController(d.controllers, { type: 'pci', index: idx, model: 'pcie-to-pci-bridge' });
    bridgeSlots.set(idx, 31 - 1);
  }
  // Leave a root port free for hotplug whenever root ports had to be added.
  if (added > 0 && freePorts.length === 0) newPort();
}

interface Fixed {
  dev: PciDevice;
  /** Every function the device (or multifunction group) needs; the first is what set() gets. */
  where: (occ: Occupancy) => PciAddress[];
  /** Refuse rather than move when the fixed place is taken. */
  required: boolean;
}

function fixedPlacements(def: DomainDef, q35: boolean): Fixed[] {
  const d = def.devices;
  const out: Fixed[] = [];
  const ctrl = (c: Controller, label: string, conn: Conn): PciDevice => ({
    label, conn, get: () => c.address, set: (a) => (c.address = a),
  });
  if (q35) {
    const sata0 = d.controllers.find((c) => c.type === 'sata' && c.index === 0);
    if (sata0 !== undefined) out.push({ dev: ctrl(sata0, 'the built-in SATA controller', 'pcie'), where: () => [addr(0, 0x1f, 2)], required: true });
  } else {
    const ide0 = d.controllers.find((c) => c.type === 'ide' && c.index === 0);
    if (ide0 !== undefined) out.push({ dev: ctrl(ide0, 'the built-in IDE controller', 'pci'), where: () => [addr(0, 1, 1)], required: true });
    const usb0 = d.controllers.find((c) => c.type === 'usb' && c.index === 0 && c.model === 'piix3-uhci');
    if (usb0 !== undefined) out.push({ dev: ctrl(usb0, 'the built-in USB controller', 'pci'), where: () => [addr(0, 1, 2)], required: false });
  }
  const video = d.videos[0];
  if (video !== undefined && video.model !== 'none') {
    out.push({
      dev: { label: 'the primary video card', conn: video.model === 'virtio' ? 'pcie' : 'pci', get: () => video.address, set: (a) => (video.address = a) },
      where: () => [addr(0, q35 ? 1 : 2)],
      required: false,
    });
  }
  const ich9Sound = q35 ? d.sounds.find((s) => s.model === 'ich9') : undefined;
  if (ich9Sound !== undefined) {
    out.push({
      dev: { label: 'sound ich9', conn: 'pcie', get: () => ich9Sound.address, set: (a) => (ich9Sound.address = a) },
      where: () => [addr(0, 0x1b)],
      required: false,
    });
  }
  // q35's chipset has ICH9 USB at 0x1d; on pc the group takes its turn with the other controllers.
  if (q35) {
    for (const { dev: g } of usbCompanionGroups(def)) out.push({ dev: g, where: () => (g.functions ?? []).map((fn) => addr(0, 0x1d, fn)), required: false });
  }
  return out;
}

/** An ICH9 EHCI controller and its UHCI companions share one slot (EHCI at function 7). */
function usbCompanionGroups(def: DomainDef): Array<{ ehci: Controller; dev: PciDevice }> {
  const d = def.devices;
  const out: Array<{ ehci: Controller; dev: PciDevice }> = [];
  for (const ehci of d.controllers.filter((c) => c.type === 'usb' && c.model === 'ich9-ehci1')) {
    const companions = d.controllers.filter((c) => c.type === 'usb' && c.index === ehci.index && c.masterStartport !== undefined);
    if (companions.length === 0) continue;
    if (ehci.address !== undefined || companions.some((c) => c.address !== undefined)) {
      if (ehci.address === undefined || companions.some((c) => c.address === undefined)) {
        throw VireoError.of('XML_INVALID', 'give the USB EHCI controller and all its UHCI companions PCI addresses, or none of them');
      }
      continue;
    }
    const group: Array<[Controller, number]> = [[ehci, 7], ...companions.map((c): [Controller, number] => [c, Number((c.model ?? 'ich9-uhci1').slice(-1)) - 1])];
    out.push({ ehci, dev: {
      label: `USB controller ${ehci.index} (ich9-ehci1) and its companions`,
      conn: 'pci',
      functions: group.map(([, fn]) => fn),
      get: () => ehci.address,
      set: (a) => {
        for (const [c, fn] of group) {
          c.address = { ...a, function: fn };
          if (fn === 0) c.address.multifunction = 'on';
        }
      },
    } });
  }
  return out;
}

function controllerDevice(c: Controller, q35: boolean): PciDevice {
  const model = c.model as PciControllerModel;
  if (!q35 && (model === 'pcie-root-port' || model === 'pcie-to-pci-bridge' || model === 'dmi-to-pci-bridge')) {
    throw VireoError.of('XML_INVALID', `a ${model} controller needs a q35 machine type`);
  }
  const kind = model === 'pcie-root-port' ? 'root-port' : model === 'dmi-to-pci-bridge' ? 'dmi' : 'bridge';
  return { label: `PCI controller ${c.index} (${model})`, kind, conn: model === 'pci-bridge' ? 'pci' : 'pcie', get: () => c.address, set: (a) => (c.address = a) };
}

/** Devices that need a PCI slot, in the order libvirt assigns them. */
function deviceOrder(def: DomainDef, q35: boolean): PciDevice[] {
  const d = def.devices;
  const out: PciDevice[] = [];
  const add = <T extends { address?: unknown }>(obj: T, label: string, conn: Conn): void => {
    out.push({
      label,
      conn,
      get: () => (obj.address as { type?: string } | undefined)?.type === 'pci' ? (obj.address as PciAddress) : undefined,
      set: (a) => (obj.address = a),
    });
  };
  d.interfaces.forEach((n) => add(n, `interface ${n.mac}`, n.model === 'virtio' || n.model === 'e1000e' ? 'pcie' : 'pci'));
  d.sounds.forEach((s, i) => {
    if (s.model === 'sb16' || (q35 && s === d.sounds.find((x) => x.model === 'ich9'))) return;
    add(s, `sound ${i} (${s.model})`, s.model === 'ich9' ? 'pcie' : 'pci');
  });
  const groups = q35 ? [] : usbCompanionGroups(def);
  for (const c of d.controllers) {
    if (c.type === 'pci' || c.type === 'ide' || c.type === 'fdc') continue;
    if (c.type === 'usb' && c.model === 'ich9-ehci1' && d.controllers.some((x) => x.masterStartport !== undefined && x.index === c.index)) {
      const g = groups.find((x) => x.ehci === c);
      if (g !== undefined && c.address === undefined) out.push(g.dev);
      continue;
    }
    if (c.type === 'usb' && (c.model === 'none' || c.masterStartport !== undefined)) continue;
    if (c.type === 'usb' && c.index === 0 && c.model === 'piix3-uhci' && !q35) continue;
    if (c.type === 'sata' && c.index === 0 && q35) continue;
    const pcie = (c.type === 'usb' && (c.model === 'qemu-xhci' || c.model === 'nec-xhci'))
      || (c.type === 'scsi' && c.model === 'virtio-scsi') || c.type === 'virtio-serial' || c.type === 'sata';
    add(c, `${c.type} controller ${c.index}${c.model === undefined ? '' : ` (${c.model})`}`, pcie ? 'pcie' : 'pci');
  }
  d.disks.forEach((disk) => {
    if (disk.bus === 'virtio') add(disk, `disk ${disk.target}`, 'pcie');
  });
  if (d.memballoon.model === 'virtio') add(d.memballoon, 'the memory balloon', 'pcie');
  d.rngs.forEach((r, i) => add(r, `rng ${i}`, 'pcie'));
  d.watchdogs.forEach((w) => {
    if (w.model === 'i6300esb') add(w, 'watchdog i6300esb', 'pci');
  });
  d.videos.forEach((v, i) => {
    if (i > 0) add(v, `video ${i} (${v.model})`, v.model === 'virtio' ? 'pcie' : 'pci');
  });
  d.inputs.forEach((inp, i) => {
    if (inp.bus === 'virtio') add(inp, `input ${i} (virtio ${inp.type})`, 'pcie');
  });
  return out;
}
