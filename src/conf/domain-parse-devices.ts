/**
 * <devices> of libvirt domain XML -> Devices: disks, interfaces, graphics, video, memballoon
 * (serial ports and consoles are in domain-parse-chr.ts). Defaults follow libvirt 9.0's QEMU
 * driver on x86_64.
 */

import type {
  Devices,
  Disk,
  DiskBus,
  Graphics,
  Interface,
  MemBalloon,
  NicModel,
  Video,
} from './domain-model.js';
import { parseChardevs } from './domain-parse-chr.js';
import { generateMac, isMulticastMac, parseMac } from './names.js';
import type { XNode } from './xml-reader.js';

/** Devices plus what the top level needs to check boot order. */
export interface ParsedDevices {
  devices: Devices;
  /** The first per-device <boot order=.../> element, if any. */
  firstBootOrder?: XNode;
}

/** Device-address bookkeeping elements we accept and drop (the QEMU driver assigns addresses). */
const IGNORED = ['address', 'alias'] as const;
const DISK_BUSES: readonly DiskBus[] = ['virtio', 'sata', 'scsi', 'ide'];
const NIC_MODELS: readonly NicModel[] = ['virtio', 'e1000', 'e1000e', 'rtl8139'];
/** libvirt 9 picks rtl8139 for x86 guests on every machine type when <model> is absent. */
const DEFAULT_NIC_MODEL: NicModel = 'rtl8139';
const CACHE_MODES = ['none', 'writeback', 'writethrough', 'directsync', 'unsafe', 'default'] as const;
const VIDEO_MODELS: readonly Video['model'][] = ['vga', 'cirrus', 'virtio', 'qxl', 'bochs', 'none'];
/** libvirt's implicit video model for x86 QEMU guests with graphics but no <video>. */
const DEFAULT_VIDEO_MODEL: Video['model'] = 'cirrus';
/** Disk serials end up in QEMU arguments; libvirt allows only these characters. */
const DISK_SERIAL = /^[A-Za-z0-9_ .+-]+$/;

/** Parse <devices> (absent means none, plus libvirt's implicit memballoon). */
export function parseDevices(node: XNode | undefined): ParsedDevices {
  const devices: Devices = {
    disks: [],
    interfaces: [],
    serials: [],
    consoles: [],
    graphics: [],
    videos: [],
    memballoon: { model: 'virtio' },
  };
  const boot = new BootOrders();
  if (node === undefined) return { devices };
  node.check({
    one: ['emulator', 'memballoon'],
    many: ['disk', 'interface', 'serial', 'console', 'graphics', 'video'],
  });

  const emulator = node.child('emulator');
  if (emulator !== undefined) devices.emulator = emulator.check({ text: true }).requireText();

  const targets = new Map<string, XNode>();
  for (const diskNode of node.children('disk')) {
    const disk = parseDisk(diskNode, boot);
    const previous = targets.get(disk.target);
    if (previous !== undefined) {
      throw diskNode.invalid(`disk target '${disk.target}' is already used by the disk at line ${previous.line}`);
    }
    targets.set(disk.target, diskNode);
    devices.disks.push(disk);
  }
  for (const nicNode of node.children('interface')) devices.interfaces.push(parseInterface(nicNode, boot));

  const chr = parseChardevs(node.children('serial'), node.children('console'));
  devices.serials = chr.serials;
  devices.consoles = chr.consoles;

  const graphicsNodes = node.children('graphics');
  if (graphicsNodes.length > 1) {
    throw (graphicsNodes[1] as XNode).unsupported('only one <graphics> device is supported');
  }
  devices.graphics = graphicsNodes.map(parseGraphics);
  devices.videos = parseVideos(node.children('video'));
  if (devices.videos.length === 0 && devices.graphics.length > 0) {
    devices.videos.push(withVideoDefaults({ model: DEFAULT_VIDEO_MODEL }));
  }
  const balloon = node.child('memballoon');
  if (balloon !== undefined) devices.memballoon = parseMemballoon(balloon);

  const out: ParsedDevices = { devices };
  if (boot.first !== undefined) out.firstBootOrder = boot.first;
  return out;
}

/** Per-device boot orders must be unique across disks and interfaces. */
class BootOrders {
  first: XNode | undefined;
  private readonly used = new Map<number, XNode>();

  read(node: XNode | undefined): number | undefined {
    if (node === undefined) return undefined;
    node.check({ attrs: ['order'] });
    if (node.attr('order') === undefined) throw node.invalid("missing attribute 'order'");
    const order = node.intAttr('order', 1, 65535) as number;
    const previous = this.used.get(order);
    if (previous !== undefined) {
      throw node.invalid(`boot order ${order} is already used at line ${previous.line}`);
    }
    this.used.set(order, node);
    this.first ??= node;
    return order;
  }
}

function defaultBus(target: string): DiskBus {
  // libvirt derives the bus from the name: hdX -> ide, sdX -> scsi, vdX -> virtio.
  if (target.startsWith('hd')) return 'ide';
  if (target.startsWith('sd')) return 'scsi';
  return 'virtio';
}

function parseDisk(node: XNode, boot: BootOrders): Disk {
  // The kind of disk decides what may be inside, so it is checked first.
  node.enumAttr('type', ['file'] as const, 'file');
  const device = node.enumAttr('device', ['disk', 'cdrom'] as const, 'disk');
  node.check({
    attrs: ['type', 'device'],
    one: ['driver', 'source', 'target', 'readonly', 'serial', 'boot'],
    ignore: IGNORED,
  });

  const driver = node.child('driver')?.check({ attrs: ['name', 'type', 'cache'] });
  driver?.enumAttr('name', ['qemu'] as const, 'qemu');
  const format = driver?.enumAttr('type', ['raw', 'qcow2'] as const, 'raw') ?? 'raw';
  const cache = driver?.enumAttr('cache', CACHE_MODES);

  const sourceNode = node.child('source')?.check({ attrs: ['file'] });
  const source = sourceNode?.attr('file');
  if (source === '') throw (sourceNode as XNode).invalid("attribute 'file' must not be empty");
  if (source === undefined && device === 'disk') {
    throw node.invalid("a disk with device='disk' needs <source file=.../>");
  }

  const targetNode = node.child('target');
  if (targetNode === undefined) throw node.invalid('missing element <target dev=.../>');
  targetNode.check({ attrs: ['dev', 'bus'] });
  const target = targetNode.requireAttr('dev');
  if (!/^(vd|sd|hd)[a-z]+$/.test(target)) {
    throw targetNode.invalidAttr('dev', target, 'expected a name like vda, sda or hda');
  }
  const bus = targetNode.enumAttr('bus', DISK_BUSES, defaultBus(target));
  if (device === 'cdrom' && bus === 'virtio') {
    throw targetNode.invalid("a cdrom cannot be on bus 'virtio'; use sata, scsi or ide");
  }

  node.child('readonly')?.check({});
  // libvirt always treats a cdrom as read-only.
  const readonly = device === 'cdrom' || node.child('readonly') !== undefined;

  const disk: Disk = { device, sourceType: 'file', format, target, bus, readonly };
  if (source !== undefined) disk.source = source;
  if (cache !== undefined) disk.cache = cache;
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
  return disk;
}

function parseInterface(node: XNode, boot: BootOrders): Interface {
  if (node.attr('type') === undefined) throw node.invalid("missing attribute 'type'");
  node.enumAttr('type', ['user'] as const, 'user');
  node.check({ attrs: ['type'], one: ['mac', 'model', 'boot'], ignore: IGNORED });

  let mac = generateMac();
  const macNode = node.child('mac');
  if (macNode !== undefined) {
    macNode.check({ attrs: ['address'] });
    const written = macNode.requireAttr('address');
    const parsed = parseMac(written);
    if (parsed === undefined) {
      throw macNode.invalidValue(written, 'MAC address', 'expected six hex bytes like 52:54:00:12:34:56');
    }
    if (isMulticastMac(parsed)) {
      throw macNode.invalidValue(written, 'MAC address', 'a multicast address cannot be used by a network card');
    }
    mac = parsed;
  }
  const modelNode = node.child('model')?.check({ attrs: ['type'] });
  if (modelNode !== undefined && modelNode.attr('type') === undefined) throw modelNode.invalid("missing attribute 'type'");
  const model = modelNode?.enumAttr('type', NIC_MODELS, DEFAULT_NIC_MODEL) ?? DEFAULT_NIC_MODEL;

  const nic: Interface = { type: 'user', mac, model };
  const order = boot.read(node.child('boot'));
  if (order !== undefined) nic.bootOrder = order;
  return nic;
}

const LISTEN_ADDRESS = /^[0-9A-Za-z.:%_-]+$/;

function parseGraphics(node: XNode): Graphics {
  if (node.attr('type') === undefined) throw node.invalid("missing attribute 'type'");
  node.enumAttr('type', ['vnc'] as const, 'vnc');
  node.check({ attrs: ['type', 'port', 'autoport', 'listen', 'passwd'], many: ['listen'] });

  const writtenPort = node.intAttr('port', -1, 65535);
  const autoportAttr = node.boolAttr('autoport');
  // libvirt: port -1 or autoport='yes' means "pick a free port at start"; no port at all also does.
  const autoport = autoportAttr ?? (writtenPort === undefined || writtenPort === -1);
  let port = -1;
  if (!autoport) {
    if (writtenPort === undefined || writtenPort === -1) throw node.invalid("autoport='no' needs a port");
    if (writtenPort < 5900) {
      throw node.invalidAttr('port', String(writtenPort), 'a VNC port must be from 5900 to 65535');
    }
    port = writtenPort;
  }

  const listenNodes = node.children('listen');
  if (listenNodes.length > 1) throw (listenNodes[1] as XNode).unsupported('only one <listen> is supported');
  const listenAttr = node.attr('listen');
  let listenChild: string | undefined;
  const listenNode = listenNodes[0];
  if (listenNode !== undefined) {
    if (listenNode.attr('type') === undefined) throw listenNode.invalid("missing attribute 'type'");
    listenNode.enumAttr('type', ['address'] as const, 'address');
    listenNode.check({ attrs: ['type', 'address'] });
    listenChild = listenNode.attr('address');
  }
  if (listenAttr !== undefined && listenChild !== undefined && listenAttr !== listenChild) {
    throw node.invalid(
      `attribute listen='${listenAttr}' must match the address '${listenChild}' of <graphics>/<listen>`,
    );
  }
  const listen = listenChild ?? listenAttr ?? '127.0.0.1';
  if (!LISTEN_ADDRESS.test(listen)) {
    throw node.invalidValue(listen, 'listen address', 'expected an IP address or host name');
  }
  const graphics: Graphics = { type: 'vnc', port, autoport, listen };
  const passwd = node.attr('passwd');
  if (passwd !== undefined) graphics.passwd = passwd;
  return graphics;
}

/** libvirt's default video RAM in KiB for a model, when <model vram> is absent. */
function defaultVram(model: Video['model']): number | undefined {
  switch (model) {
    case 'vga':
    case 'cirrus':
    case 'bochs':
      return 16384;
    case 'qxl':
      return 65536;
    default:
      return undefined;
  }
}

function withVideoDefaults(video: Video): Video {
  if (video.model === 'none') return video;
  const vram = video.vram ?? defaultVram(video.model);
  const out: Video = { model: video.model };
  if (vram !== undefined) out.vram = vram;
  out.heads = video.heads ?? 1;
  return out;
}

function parseVideos(nodes: XNode[]): Video[] {
  const videos: Video[] = [];
  nodes.forEach((node, index) => {
    node.check({ one: ['model'], ignore: IGNORED });
    const modelNode = node.child('model')?.check({ attrs: ['type', 'vram', 'heads', 'primary'] });
    const model = modelNode?.enumAttr('type', VIDEO_MODELS, DEFAULT_VIDEO_MODEL) ?? DEFAULT_VIDEO_MODEL;
    const video: Video = { model };
    if (modelNode !== undefined) {
      const primary = modelNode.boolAttr('primary');
      if (primary === true && index !== 0) {
        throw modelNode.unsupported("primary='yes' is supported only on the first <video>");
      }
      const vram = modelNode.intAttr('vram', 1, 4294967295);
      const heads = modelNode.intAttr('heads', 1, 16);
      if (model === 'none' && (vram !== undefined || heads !== undefined)) {
        throw modelNode.invalid("a video model 'none' takes no vram or heads");
      }
      if (vram !== undefined) video.vram = vram;
      if (heads !== undefined) video.heads = heads;
    }
    if (model === 'none' && nodes.length > 1) {
      throw node.invalid("a video of model 'none' must be the only <video>");
    }
    videos.push(withVideoDefaults(video));
  });
  return videos;
}

function parseMemballoon(node: XNode): MemBalloon {
  if (node.attr('model') === undefined) throw node.invalid("missing attribute 'model' (virtio or none)");
  const model = node.enumAttr('model', ['virtio', 'none'] as const, 'virtio');
  node.check({ attrs: ['model'], ignore: IGNORED });
  return { model };
}
