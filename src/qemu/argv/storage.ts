/** Controllers (PCI, USB, SCSI, virtio-serial, SATA, floppy) and disks (-blockdev + -device). */

import { VireoError } from '../../api/errors.js';
import { diskIndex, isQ35 } from '../../conf/domain-implicit.js';
import type { Controller, Disk, DomainDef, DriveAddress, IOThread, ResolvedVolume } from '../../conf/domain-model.js';
import { pciProps, usbId, type Argv, type Json } from './util.js';
import { IOTUNE_NUMBERS, type Iotune, type IotuneNumber } from '../../conf/domain-iotune.js';

const USB_DRIVERS: Record<string, string> = {
  'qemu-xhci': 'qemu-xhci', 'nec-xhci': 'nec-usb-xhci', 'piix3-uhci': 'piix3-usb-uhci', 'piix4-uhci': 'piix4-usb-uhci',
  ehci: 'usb-ehci', 'ich9-ehci1': 'ich9-usb-ehci1', 'ich9-uhci1': 'ich9-usb-uhci1', 'ich9-uhci2': 'ich9-usb-uhci2',
  'ich9-uhci3': 'ich9-usb-uhci3', 'pci-ohci': 'pci-ohci',
};

/** PCI controllers first (buses before what plugs into them), then the other controllers. */
export function controllerArgs(def: DomainDef, out: Argv): void {
  const q35 = isQ35(def.os.machine);
  const ctrls = def.devices.controllers;
  for (const c of ctrls.filter((x) => x.type === 'pci' && x.index > 0).sort((a, b) => pciOrder(a) - pciOrder(b))) {
    out.device(pciController(def, c));
  }
  for (const c of ctrls.filter((x) => x.type === 'usb' && x.model !== 'none')) {
    // The built-in PIIX3 USB controller of pc still needs its -device (-nodefaults removes it).
    const dev: Json = { driver: USB_DRIVERS[c.model ?? ''] ?? 'qemu-xhci' };
    if (c.ports !== undefined) Object.assign(dev, { p2: c.ports, p3: c.ports });
    if (c.masterStartport !== undefined) Object.assign(dev, { masterbus: `${usbId(c.index)}.0`, firstport: c.masterStartport });
    else dev.id = usbId(c.index);
    out.device({ ...dev, ...pciProps(def, c.address) });
  }
  for (const c of ctrls) {
    if (c.type === 'scsi') {
      out.device(scsiControllerDevice(def, c));
    } else if (c.type === 'virtio-serial') {
      const dev: Json = { driver: 'virtio-serial-pci', id: `virtio-serial${c.index}` };
      if (c.ports !== undefined) dev.max_ports = c.ports;
      if (c.vectors !== undefined) dev.vectors = c.vectors;
      out.device({ ...dev, ...pciProps(def, c.address) });
    } else if (c.type === 'sata' && !(q35 && c.index === 0)) {
      out.device({ driver: 'ich9-ahci', id: `sata${c.index}`, ...pciProps(def, c.address) });
    } else if (c.type === 'fdc' && q35 && def.devices.disks.some((d) => d.bus === 'fdc')) {
      // pc has its floppy controller built in; q35 needs an ISA one.
      out.device({ driver: 'isa-fdc' });
    }
  }
}

/** QEMU's object for one I/O thread (also object-add's arguments for iothreadadd). */
export function iothreadObject(t: IOThread): Json {
  const props: Json = { 'qom-type': 'iothread', id: `iothread${t.id}` };
  if (t.poolMin !== undefined) props['thread-pool-min'] = t.poolMin;
  if (t.poolMax !== undefined) props['thread-pool-max'] = t.poolMax;
  return props;
}

/** -object iothread for each I/O thread, before the devices that name them. */
export function iothreadArgs(def: DomainDef, out: Argv): void {
  for (const t of def.iothreads ?? []) out.push('-object', JSON.stringify(iothreadObject(t)));
}

/** The I/O thread object a virtio device runs in (libvirt's id: iothreadN). */
function iothreadProp(id: number | undefined): Json {
  return id === undefined ? {} : { iothread: `iothread${id}` };
}

/** Root ports before bridges (a bridge may sit in a root port), then by index. */
function pciOrder(c: Controller): number {
  const rank = c.model === 'pcie-root-port' || c.model === 'dmi-to-pci-bridge' ? 0 : 1;
  return rank * 1000 + c.index;
}

function pciController(def: DomainDef, c: Controller): Json {
  const id = `pci.${c.index}`;
  switch (c.model) {
    case 'pcie-root-port':
      return { driver: 'pcie-root-port', port: c.target?.port ?? 0, chassis: c.target?.chassis ?? c.index, id, ...pciProps(def, c.address) };
    case 'pcie-to-pci-bridge':
      return { driver: 'pcie-pci-bridge', id, ...pciProps(def, c.address) };
    case 'pci-bridge':
      return { driver: 'pci-bridge', chassis_nr: c.target?.chassis ?? c.index, id, ...pciProps(def, c.address) };
    case 'dmi-to-pci-bridge':
      return { driver: 'i82801b11-bridge', id, ...pciProps(def, c.address) };
    default:
      throw VireoError.of('XML_UNSUPPORTED', `PCI controller model '${c.model ?? ''}' cannot be used at index ${c.index}`);
  }
}

/** Cache mode -> (device write cache, O_DIRECT, ignore flushes), as libvirt maps it. */
const CACHE: Record<string, [boolean, boolean, boolean]> = {
  none: [true, true, false],
  writethrough: [false, false, false],
  writeback: [true, false, false],
  directsync: [false, true, false],
  unsafe: [true, false, true],
};

/** The device id libvirt gives a disk (its alias). */
export function diskId(def: DomainDef, d: Disk): string {
  const a = d.address?.type === 'drive' ? d.address : undefined;
  switch (d.bus) {
    case 'virtio': return `virtio-disk${diskIndex(d.target)}`;
    case 'sata': return `sata${a?.controller ?? 0}-${a?.bus ?? 0}-${a?.unit ?? 0}`;
    case 'ide': return `ide${a?.controller ?? 0}-${a?.bus ?? 0}-${a?.unit ?? 0}`;
    case 'fdc': return `fdc0-0-${a?.unit ?? 0}`;
    case 'scsi': {
      const ctrl = def.devices.controllers.find((c) => c.type === 'scsi' && c.index === (a?.controller ?? 0));
      return ctrl?.model === 'virtio-scsi'
        ? `scsi${a?.controller ?? 0}-${a?.bus ?? 0}-${a?.target ?? 0}-${a?.unit ?? 0}`
        : `scsi${a?.controller ?? 0}-${a?.bus ?? 0}-${a?.unit ?? 0}`;
    }
  }
}

/** -blockdev storage + format nodes and -device for each disk. `bootIndex` maps a disk to its bootindex. */
export function diskArgs(def: DomainDef, out: Argv, bootIndex: (d: Disk) => number | undefined): void {
  def.devices.disks.forEach((d, i) => {
    const p = diskParts(def, d, i, bootIndex(d));
    for (const node of p.nodes) out.push('-blockdev', JSON.stringify(node));
    out.device(p.device);
  });
}

/** The node name prefix of disk `d` (at position `i`): its live node number, else its position. */
export function diskNode(d: Disk, i: number): string {
  return `vireo-${d.nodeIndex ?? i + 1}`;
}

/**
 * What QEMU needs for one disk: its block nodes (storage, then format; none for an empty drive),
 * in the order they must be added, and its device. Shared by the command line and hot-plug
 * (blockdev-add, device_add), so that a plugged disk is the disk a start would make.
 */
export function diskParts(def: DomainDef, d: Disk, i: number, boot?: number): { nodes: Json[]; device: Json } {
  const node = diskNode(d, i);
  const dev = diskDevice(def, d);
  const cache = d.cache === undefined ? undefined : CACHE[d.cache];
  const cacheProps: Json = cache === undefined ? {} : { cache: { direct: cache[1], 'no-flush': cache[2] } };
  const where = locate(d);
  const nodes: Json[] = [];
  if (where !== undefined) {
    const storage: Json = { ...storageDriver(d, where), 'node-name': `${node}-storage`, 'auto-read-only': true, discard: 'unmap', ...cacheProps };
    if (d.io !== undefined && where.type !== 'network') storage.aio = d.io;
    nodes.push(storage);
    const format: Json = { 'node-name': `${node}-format`, 'read-only': d.readonly, ...cacheProps };
    if (d.discard === 'unmap') format.discard = 'unmap';
    if (d.detectZeroes !== undefined) format['detect-zeroes'] = d.detectZeroes;
    Object.assign(format, { driver: d.format ?? 'raw', file: `${node}-storage` });
    nodes.push(format);
    dev.drive = `${node}-format`;
  }
  dev.id = diskId(def, d);
  if (boot !== undefined) dev.bootindex = boot;
  if (cache !== undefined && d.device !== 'cdrom' && d.bus !== 'fdc') dev['write-cache'] = cache[0] ? 'on' : 'off';
  if (d.shareable) dev['share-rw'] = true;
  if (d.serial !== undefined) dev.serial = d.serial;
  return { nodes, device: dev };
}

/** Where a disk's data is: its own source, or for a volume disk what the start found the volume to be. */
function locate(d: Disk): ResolvedVolume | undefined {
  if (d.volume !== undefined) {
    if (d.resolved === undefined) throw VireoError.of('INTERNAL', `volume '${d.volume.volume}' of disk ${d.target} was not looked up in pool '${d.volume.pool}' before building the command line`);
    return d.resolved;
  }
  if (d.network !== undefined) return { type: 'network', network: d.network };
  return d.source === undefined ? undefined : { type: d.sourceType === 'block' ? 'block' : 'file', path: d.source };
}

/** The protocol node's driver and location, as libvirt 9.0 writes them. */
function storageDriver(d: Disk, where: ResolvedVolume): Json {
  if (where.type !== 'network') {
    const driver = where.type === 'file' ? 'file' : d.device === 'cdrom' ? 'host_cdrom' : 'host_device';
    return { driver, filename: where.path };
  }
  const n = where.network;
  const slash = n.name.lastIndexOf('/');
  const host = n.host.name.includes(':') ? `[${n.host.name}]` : n.host.name;
  const props: Json = { driver: 'iscsi', portal: `${host}:${n.host.port}`, target: n.name.slice(0, slash), lun: Number(n.name.slice(slash + 1)), transport: 'tcp' };
  if (n.initiatorIqn !== undefined) props['initiator-name'] = n.initiatorIqn;
  return props;
}

function drive(d: Disk): DriveAddress {
  if (d.address?.type !== 'drive') throw VireoError.of('INTERNAL', `disk ${d.target} has no drive address`);
  return d.address;
}

function diskDevice(def: DomainDef, d: Disk): Json {
  const q35 = isQ35(def.os.machine);
  switch (d.bus) {
    case 'virtio':
      return { driver: 'virtio-blk-pci', ...iothreadProp(d.iothread), ...pciProps(def, d.address?.type === 'pci' ? d.address : undefined) };
    case 'sata': {
      const a = drive(d);
      const bus = q35 && a.controller === 0 ? `ide.${a.unit}` : `sata${a.controller}.${a.unit}`;
      return { driver: d.device === 'cdrom' ? 'ide-cd' : 'ide-hd', bus };
    }
    case 'ide': {
      const a = drive(d);
      return { driver: d.device === 'cdrom' ? 'ide-cd' : 'ide-hd', bus: `ide.${a.bus}`, unit: a.unit };
    }
    case 'fdc':
      return { driver: 'floppy', unit: drive(d).unit };
    case 'scsi': {
      const a = drive(d);
      const ctrl = def.devices.controllers.find((c) => c.type === 'scsi' && c.index === a.controller);
      const dev: Json = { driver: d.device === 'cdrom' ? 'scsi-cd' : 'scsi-hd', bus: `scsi${a.controller}.0` };
      if (ctrl?.model === 'virtio-scsi') Object.assign(dev, { channel: a.bus, 'scsi-id': a.target, lun: a.unit });
      else dev['scsi-id'] = a.unit; // lsilogic has no LUNs: libvirt maps the unit to the SCSI id
      dev.device_id = d.serial ?? `drive-${diskId(def, d)}`;
      return dev;
    }
  }
}

/** libvirt's iotune names -> QEMU's block_set_io_throttle arguments (the same order). */
export const THROTTLE_NAMES: Record<IotuneNumber, string> = {
  total_bytes_sec: 'bps', read_bytes_sec: 'bps_rd', write_bytes_sec: 'bps_wr',
  total_iops_sec: 'iops', read_iops_sec: 'iops_rd', write_iops_sec: 'iops_wr',
  total_bytes_sec_max: 'bps_max', read_bytes_sec_max: 'bps_rd_max', write_bytes_sec_max: 'bps_wr_max',
  total_iops_sec_max: 'iops_max', read_iops_sec_max: 'iops_rd_max', write_iops_sec_max: 'iops_wr_max',
  size_iops_sec: 'iops_size',
  total_bytes_sec_max_length: 'bps_max_length', read_bytes_sec_max_length: 'bps_rd_max_length', write_bytes_sec_max_length: 'bps_wr_max_length',
  total_iops_sec_max_length: 'iops_max_length', read_iops_sec_max_length: 'iops_rd_max_length', write_iops_sec_max_length: 'iops_wr_max_length',
};

/**
 * The device QEMU's block commands (block_set_io_throttle) name for a disk: a virtio disk's
 * block backend belongs to the virtio device inside its PCI proxy, which has no id of its own.
 */
export function blockQdev(def: DomainDef, d: Disk): string {
  const id = diskId(def, d);
  return d.bus === 'virtio' ? `/machine/peripheral/${id}/virtio-backend` : id;
}

/** block_set_io_throttle's arguments for device `id`: every rate (0 = none), the group when named. */
export function throttleArgs(id: string, t: Iotune): Json {
  const args: Json = { id };
  for (const k of IOTUNE_NUMBERS) {
    const v = t[k] ?? 0;
    // The max_length settings must be left out (not 0) when there is no burst, or QEMU refuses.
    if (k.endsWith('_max_length') && v === 0) continue;
    args[THROTTLE_NAMES[k]] = v;
  }
  if (t.group_name !== undefined) args.group = t.group_name;
  return args;
}

/** A SCSI controller's device (device_add's properties too): id scsiN, as libvirt names it. */
export function scsiControllerDevice(def: DomainDef, c: Controller): Json {
  return { driver: c.model === 'virtio-scsi' ? 'virtio-scsi-pci' : 'lsi', ...iothreadProp(c.iothread), id: `scsi${c.index}`, ...(c.queues === undefined ? {} : { num_queues: c.queues }), ...pciProps(def, c.address) };
}
