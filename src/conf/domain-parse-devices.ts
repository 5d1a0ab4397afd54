/**
 * <devices> of libvirt domain XML -> Devices. Disks and controllers are read here; the other
 * device kinds in domain-parse-{net,chr,display,misc}.ts. Implicit devices and addresses are
 * added afterwards (domain-implicit.ts, domain-addresses.ts).
 */

import type {
  CacheMode,
  Controller,
  ControllerType,
  Devices,
  Disk,
  DiskBus,
  PciControllerModel,
  ScsiControllerModel,
  UsbControllerModel,
} from './domain-model.js';
import { VireoError } from '../api/errors.js';
import { parseAddress } from './domain-parse-address.js';
import { diskSourceType, parseDiskSource } from './domain-parse-disk-source.js';
import { IotuneError, parseIotune } from './domain-iotune.js';
import { positiveIdAttr } from './domain-iothreads.js';
import { parseChardevs } from './domain-parse-chr.js';
import { parseGraphics, parseVideos } from './domain-parse-display.js';
import {
  parseAudio,
  parseInput,
  parseMemballoon,
  parsePanic,
  parseRedirdev,
  parseRng,
  parseSound,
  parseTpm,
  parseWatchdog,
} from './domain-parse-misc.js';
import { parseMemoryDevice } from './domain-parse-memory.js';
import { parseInterface } from './domain-parse-net.js';
import { BootOrders, missing, RUNTIME_ONLY } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

/** Devices plus what the top level needs to check boot order. */
export interface ParsedDevices {
  devices: Devices;
  /** The first per-device <boot order=.../> element, if any. */
  firstBootOrder?: XNode;
}

const DISK_BUSES: readonly DiskBus[] = ['virtio', 'sata', 'scsi', 'ide', 'fdc'];
const CACHE_MODES: readonly CacheMode[] = ['none', 'writeback', 'writethrough', 'directsync', 'unsafe', 'default'];
/** Disk serials end up in QEMU arguments; libvirt allows only these characters. */
const DISK_SERIAL = /^[A-Za-z0-9_ .+-]+$/;

/** Device elements vireo does not model yet, with what to do about them. */
const NOT_YET: Record<string, string> = {
  hostdev: 'host device passthrough (<hostdev>) is not supported yet; remove the element to define the domain',
  filesystem: 'shared host directories (<filesystem>) are not supported yet',
  smartcard: 'smartcards are not supported yet',
  hub: 'USB hubs are not supported yet',
  shmem: 'shared memory devices are not supported yet',
  iommu: 'a virtual IOMMU is not supported yet',
  vsock: 'virtio vsock is not supported yet',
  lease: 'lock manager leases are not supported',
  redirfilter: 'USB redirection filters are not supported yet',
};

/** Parse <devices> (absent means none; implicit devices are added later). */
export function parseDevices(node: XNode | undefined, opts: { live: boolean } = { live: false }): ParsedDevices {
  const devices: Devices = {
    disks: [], controllers: [], interfaces: [], serials: [], parallels: [], consoles: [], channels: [],
    inputs: [], tpms: [], graphics: [], sounds: [], audios: [], videos: [], redirdevs: [], watchdogs: [],
    memballoon: { model: 'virtio' }, rngs: [], panics: [], memories: [],
  };
  const boot = new BootOrders();
  if (node === undefined) return { devices };
  for (const child of node.elementChildren()) {
    const reason = NOT_YET[child.el.name];
    if (reason !== undefined) throw VireoError.of('XML_UNSUPPORTED', `unsupported element ${child.where()}: ${reason}`);
  }
  node.check({
    one: ['emulator', 'memballoon'],
    many: [
      'disk', 'controller', 'interface', 'serial', 'parallel', 'console', 'channel', 'input', 'tpm', 'graphics',
      'sound', 'audio', 'video', 'redirdev', 'watchdog', 'rng', 'panic', 'memory',
    ],
  });

  const emulator = node.child('emulator');
  if (emulator !== undefined) {
    const path = emulator.check({ text: true }).requireText();
    if (!path.startsWith('/')) throw emulator.invalidValue(path, 'emulator', 'expected an absolute path such as /usr/bin/qemu-system-x86_64');
    devices.emulator = path;
  }

  const targets = new Map<string, XNode>();
  for (const diskNode of node.children('disk')) {
    const disk = parseDisk(diskNode, boot, opts.live);
    const previous = targets.get(disk.target);
    if (previous !== undefined) {
      throw diskNode.invalid(`disk target '${disk.target}' is already used by the disk at line ${previous.line}`);
    }
    targets.set(disk.target, diskNode);
    devices.disks.push(disk);
  }
  devices.controllers = parseControllers(node.children('controller'));
  for (const nicNode of node.children('interface')) devices.interfaces.push(parseInterface(nicNode, boot, opts.live));

  const chr = parseChardevs(node.children('serial'), node.children('console'), node.children('parallel'), node.children('channel'));
  devices.serials = chr.serials;
  devices.consoles = chr.consoles;
  devices.parallels = chr.parallels;
  devices.channels = chr.channels;

  devices.inputs = node.children('input').map((n) => parseInput(n, opts.live));
  devices.tpms = node.children('tpm').map(parseTpm);
  if (devices.tpms.length > 1) throw (node.children('tpm')[1] as XNode).unsupported('only one <tpm> is supported');
  devices.graphics = parseGraphics(node.children('graphics'), opts.live);
  devices.sounds = node.children('sound').map(parseSound);
  devices.audios = parseAudio(node.children('audio'));
  devices.videos = parseVideos(node.children('video'));
  devices.redirdevs = node.children('redirdev').map((r) => parseRedirdev(r, boot));
  devices.watchdogs = node.children('watchdog').map(parseWatchdog);
  if (devices.watchdogs.length > 1) throw (node.children('watchdog')[1] as XNode).unsupported('only one <watchdog> is supported');
  devices.rngs = node.children('rng').map((n) => parseRng(n, opts.live));
  devices.panics = node.children('panic').map(parsePanic);
  devices.memories = node.children('memory').map((m) => parseMemoryDevice(m, opts.live));
  const balloon = node.child('memballoon');
  if (balloon !== undefined) devices.memballoon = parseMemballoon(balloon);

  const out: ParsedDevices = { devices };
  if (boot.first !== undefined) out.firstBootOrder = boot.first;
  return out;
}

function defaultBus(target: string): DiskBus {
  // libvirt derives the bus from the name: hdX -> ide, sdX -> scsi, vdX -> virtio, fdX -> fdc.
  if (target.startsWith('hd')) return 'ide';
  if (target.startsWith('sd')) return 'scsi';
  if (target.startsWith('fd')) return 'fdc';
  return 'virtio';
}

/**
 * One <disk>. `live`: a running guest's XML (node numbers kept). `reference`: a disk named only
 * to be found (detach-device, detach-disk), which libvirt lets go without a source.
 */
export function parseDisk(node: XNode, boot: BootOrders, live = false, reference = false): Disk {
  // The kind of disk decides what may be inside, so it is checked first.
  const type = diskSourceType(node);
  const device = node.enumAttr('device', ['disk', 'cdrom', 'floppy'] as const, 'disk');
  node.check({
    attrs: ['type', 'device'],
    one: ['driver', 'source', 'target', 'iotune', 'readonly', 'shareable', 'serial', 'boot', 'address'],
    // <backingStore> is the chain libvirt found in the image when it printed the XML: QEMU reads
    // the chain from the image itself, so a copied dump defines without it mattering.
    ignore: [...RUNTIME_ONLY, 'backingStore'],
  });

  const driver = node.child('driver')?.check({ attrs: ['name', 'type', 'cache', 'io', 'discard', 'detect_zeroes', 'iothread'] });
  driver?.enumAttr('name', ['qemu'] as const, 'qemu');
  const parsed = parseDiskSource(node.child('source'), type);
  const { sourceType } = parsed;
  // A volume disk without a type takes none (libvirt prints <driver name='qemu'/>, and runs it raw).
  const format = driver?.enumAttr('type', ['raw', 'qcow2'] as const) ?? (sourceType === 'volume' ? undefined : 'raw');
  if (parsed.source === undefined && parsed.volume === undefined && parsed.network === undefined && device === 'disk' && !reference) {
    const wanted = { file: "file='...'", block: "dev='...'", volume: "pool='...' volume='...'", network: "protocol='iscsi' name='...'" }[type];
    throw node.invalid(`a disk with device='disk' needs <source ${wanted}/>`);
  }

  const targetNode = node.child('target');
  if (targetNode === undefined) throw node.invalid('missing element <target dev=.../>');
  targetNode.check({ attrs: ['dev', 'bus', 'tray'] });
  const target = targetNode.requireAttr('dev');
  if (!/^(vd|sd|hd|fd)[a-z]+$/.test(target)) {
    throw targetNode.invalidAttr('dev', target, 'expected a name like vda, sda, hda or fda');
  }
  const bus = targetNode.enumAttr('bus', DISK_BUSES, defaultBus(target));
  if (device === 'cdrom' && bus === 'virtio') {
    throw targetNode.invalid("a cdrom cannot be on bus 'virtio'; use sata, scsi or ide");
  }
  if ((device === 'floppy') !== (bus === 'fdc')) {
    throw targetNode.invalid(device === 'floppy' ? "a floppy must be on bus 'fdc'" : "bus 'fdc' is for device='floppy' only");
  }
  const tray = targetNode.enumAttr('tray', ['open', 'closed'] as const);
  if (tray !== undefined && device === 'disk') throw targetNode.invalid("attribute 'tray' applies to cdrom and floppy drives only");

  node.child('readonly')?.check({});
  node.child('shareable')?.check({});
  // libvirt always treats a cdrom as read-only.
  const readonly = device === 'cdrom' || node.child('readonly') !== undefined;
  const shareable = node.child('shareable') !== undefined;

  const disk: Disk = { device, sourceType, target, bus, readonly, shareable };
  if (format !== undefined) disk.format = format;
  if (parsed.source !== undefined) disk.source = parsed.source;
  if (parsed.volume !== undefined) disk.volume = parsed.volume;
  if (parsed.network !== undefined) disk.network = parsed.network;
  const cache = driver?.enumAttr('cache', CACHE_MODES);
  const io = driver?.enumAttr('io', ['native', 'threads', 'io_uring'] as const);
  const discard = driver?.enumAttr('discard', ['unmap', 'ignore'] as const);
  const detectZeroes = driver?.enumAttr('detect_zeroes', ['off', 'on', 'unmap'] as const);
  if (cache !== undefined) disk.cache = cache;
  if (io !== undefined) {
    if (io === 'native' && cache !== 'none' && cache !== 'directsync') {
      throw (driver as XNode).invalid("io='native' needs cache='none' or cache='directsync' (QEMU requires O_DIRECT for native AIO)");
    }
    disk.io = io;
  }
  if (discard !== undefined) disk.discard = discard;
  if (detectZeroes !== undefined) disk.detectZeroes = detectZeroes;
  const iothread = driver === undefined ? undefined : positiveIdAttr(driver, 'iothread', 'driver');
  if (iothread !== undefined) disk.iothread = iothread;
  if (tray !== undefined) disk.tray = tray;
  const serialNode = node.child('serial');
  if (serialNode !== undefined) {
    const serial = serialNode.check({ text: true }).text();
    if (!DISK_SERIAL.test(serial)) {
      throw serialNode.invalidValue(serial, 'disk serial', 'use letters, digits, space and _ . + -');
    }
    disk.serial = serial;
  }
  const order = boot.read(node.child('boot'));
  if (order !== undefined) disk.bootOrder = order;
  const address = parseAddress(node, bus === 'virtio' ? ['pci'] as const : ['drive'] as const);
  if (address !== undefined) disk.address = address;
  const iotuneNode = node.child('iotune');
  if (iotuneNode !== undefined) {
    try {
      const t = parseIotune(iotuneNode);
      if (Object.keys(t).length > 0) disk.iotune = t;
    } catch (e) {
      if (e instanceof IotuneError) throw iotuneNode.invalid(e.message);
      throw e;
    }
  }
  const index = live ? node.child('source')?.attr('index') : undefined;
  if (index !== undefined && /^[1-9]\d{0,5}$/.test(index)) disk.nodeIndex = Number(index);
  return disk;
}

const CONTROLLER_TYPES: readonly ControllerType[] = ['pci', 'usb', 'virtio-serial', 'scsi', 'sata', 'ide', 'fdc'];
const PCI_MODELS: readonly PciControllerModel[] = ['pci-root', 'pcie-root', 'pcie-root-port', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-to-pci-bridge'];
const USB_MODELS: readonly UsbControllerModel[] = [
  'qemu-xhci', 'nec-xhci', 'piix3-uhci', 'piix4-uhci', 'ehci', 'ich9-ehci1', 'ich9-uhci1', 'ich9-uhci2', 'ich9-uhci3', 'pci-ohci', 'none',
];
const SCSI_MODELS: readonly ScsiControllerModel[] = ['virtio-scsi', 'lsilogic'];
/** QEMU device names libvirt prints in <model name=...> of PCI controllers. */
export const PCI_MODEL_NAMES: Record<PciControllerModel, string | undefined> = {
  'pci-root': undefined,
  'pcie-root': undefined,
  'pcie-root-port': 'pcie-root-port',
  'pci-bridge': 'pci-bridge',
  'dmi-to-pci-bridge': 'i82801b11-bridge',
  'pcie-to-pci-bridge': 'pcie-pci-bridge',
};

/** Controllers in document order; a missing index becomes the lowest one unused for its type. */
function parseControllers(nodes: XNode[]): Controller[] {
  const parsed = nodes.map((n) => ({ node: n, ctrl: parseController(n) }));
  // USB companion controllers share the index of their EHCI master (the one written before them).
  let master = 0;
  for (const { ctrl } of parsed) {
    if (ctrl.type !== 'usb') continue;
    if (ctrl.masterStartport === undefined) master = ctrl.index < 0 ? master : ctrl.index;
    else if (ctrl.index < 0) ctrl.index = master;
  }
  const used = new Map<string, Map<number, XNode>>();
  for (const { node, ctrl } of parsed) {
    if (ctrl.index < 0 || ctrl.masterStartport !== undefined) continue;
    const byType = used.get(ctrl.type) ?? new Map<number, XNode>();
    const prev = byType.get(ctrl.index);
    if (prev !== undefined) throw node.invalid(`${ctrl.type} controller index ${ctrl.index} is already used at line ${prev.line}`);
    byType.set(ctrl.index, node);
    used.set(ctrl.type, byType);
  }
  for (const { node, ctrl } of parsed) {
    if (ctrl.index >= 0) continue;
    const byType = used.get(ctrl.type) ?? new Map<number, XNode>();
    let i = ctrl.type === 'pci' && ctrl.model !== 'pci-root' && ctrl.model !== 'pcie-root' ? 1 : 0;
    while (byType.has(i)) i++;
    ctrl.index = i;
    byType.set(i, node);
    used.set(ctrl.type, byType);
  }
  return parsed.map((p) => p.ctrl);
}

/** One <controller>; a missing index is -1 (parseControllers, or a hot-plug, picks one). */
export function parseController(node: XNode): Controller {
  const type = node.enumAttr('type', CONTROLLER_TYPES) ?? missing(node, `attribute 'type' (${CONTROLLER_TYPES.join(', ')})`);
  const attrs = ['type', 'index', 'model'];
  const one: string[] = ['address'];
  if (type === 'usb') {
    attrs.push('ports');
    one.push('master');
  }
  if (type === 'virtio-serial') attrs.push('ports', 'vectors');
  if (type === 'pci') one.push('model', 'target');
  if (type === 'scsi') one.push('driver');
  node.check({ attrs, one, ignore: RUNTIME_ONLY });
  const ctrl: Controller = { type, index: node.intAttr('index', 0, 255) ?? -1 };
  switch (type) {
    case 'pci': {
      const model = node.enumAttr('model', PCI_MODELS) ?? missing(node, `attribute 'model' (${PCI_MODELS.join(', ')})`);
      ctrl.model = model;
      if ((model === 'pci-root' || model === 'pcie-root') && ctrl.index > 0) throw node.invalid(`a ${model} controller must have index 0`);
      if (model !== 'pci-root' && model !== 'pcie-root' && ctrl.index === 0) throw node.invalid('PCI controller index 0 is the root bus (pci-root or pcie-root)');
      const modelName = node.child('model');
      if (modelName !== undefined) {
        modelName.check({ attrs: ['name'] });
        const expected = PCI_MODEL_NAMES[model];
        const name = modelName.requireAttr('name');
        if (name !== expected) throw modelName.unsupported(`device '${name}' for a ${model} controller is not supported; supported: ${expected ?? 'none'}`);
      }
      const target = node.child('target');
      if (target !== undefined) {
        target.check({ attrs: ['chassis', 'port', 'busNr', 'chassisNr', 'hotplug'] });
        if (target.attr('chassisNr') !== undefined || target.attr('hotplug') !== undefined) {
          throw target.unsupported("attributes 'chassisNr' and 'hotplug' are not supported yet");
        }
        const t: NonNullable<Controller['target']> = {};
        const chassis = target.numAttr('chassis', 0, 255);
        const port = target.numAttr('port', 0, 255);
        const busNr = target.numAttr('busNr', 0, 255);
        if (chassis !== undefined) t.chassis = chassis;
        if (port !== undefined) t.port = port;
        if (busNr !== undefined) t.busNr = busNr;
        ctrl.target = t;
      }
      break;
    }
    case 'usb': {
      const model = node.enumAttr('model', USB_MODELS);
      if (model !== undefined) ctrl.model = model;
      const ports = node.intAttr('ports', 1, 15);
      if (ports !== undefined) {
        if (model !== 'qemu-xhci' && model !== 'nec-xhci') throw node.invalid("attribute 'ports' applies to USB 3 (xhci) controllers only");
        ctrl.ports = ports;
      }
      const master = node.child('master');
      if (master !== undefined) {
        master.check({ attrs: ['startport'] });
        if (model === undefined || !model.startsWith('ich9-uhci')) throw master.invalid('<master> applies to ich9-uhci companion controllers only');
        ctrl.masterStartport = master.intAttr('startport', 0, 15) ?? missing(master, "attribute 'startport'");
      }
      break;
    }
    case 'scsi': {
      const model = node.enumAttr('model', SCSI_MODELS);
      if (model !== undefined) ctrl.model = model;
      const driver = node.child('driver');
      if (driver !== undefined) {
        driver.check({ attrs: ['queues', 'iothread'] });
        const queues = driver.intAttr('queues', 1, 1024);
        if (queues !== undefined) {
          if (model !== 'virtio-scsi') throw driver.invalid("<driver queues> applies to model 'virtio-scsi' only");
          ctrl.queues = queues;
        }
        const iothread = positiveIdAttr(driver, 'iothread', 'driver');
        if (iothread !== undefined) {
          if (model !== 'virtio-scsi') throw driver.invalid("'iothread' attribute only supported for virtio scsi controllers");
          ctrl.iothread = iothread;
        }
      }
      break;
    }
    case 'virtio-serial': {
      if (node.attr('model') !== undefined) throw node.unsupported("attribute 'model' on a virtio-serial controller is not supported");
      const ports = node.intAttr('ports', 1, 31);
      const vectors = node.intAttr('vectors', 1, 255);
      if (ports !== undefined) ctrl.ports = ports;
      if (vectors !== undefined) ctrl.vectors = vectors;
      break;
    }
    default:
      if (node.attr('model') !== undefined) throw node.unsupported(`attribute 'model' on a ${type} controller is not supported`);
  }
  const address = parseAddress(node, ['pci'] as const);
  if (address !== undefined) ctrl.address = address;
  return ctrl;
}
