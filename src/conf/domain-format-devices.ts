/** <devices> as `virsh dumpxml` prints them (libvirt's device order, addresses last). */

import type {
  BandwidthRate,
  Channel,
  CharSource,
  Console,
  Controller,
  DeviceAddress,
  Disk,
  DomainDef,
  Graphics,
  Input,
  Interface,
  MemBalloon,
  ParallelPort,
  RedirDev,
  Rng,
  SerialPort,
  Sound,
  SpiceOptions,
  Tpm,
  Video,
  Watchdog,
  Panic,
} from './domain-model.js';
import type { FormatOptions } from './domain-format.js';
import { PCI_MODEL_NAMES } from './domain-parse-devices.js';
import { SPICE_ELEMENT } from './domain-parse-display.js';
import { el, type XmlOut } from './xml.js';
import { iotuneEntries } from './domain-iotune.js';
import { formatMemoryDevice } from './domain-parse-memory.js';

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/** <address> of a device, if it has one. */
export function formatAddress(a: DeviceAddress | undefined): XmlOut | undefined {
  if (a === undefined) return undefined;
  switch (a.type) {
    case 'pci':
      return el('address', {
        type: 'pci', domain: hex(a.domain, 4), bus: hex(a.bus, 2), slot: hex(a.slot, 2), function: hex(a.function, 1), multifunction: a.multifunction,
      });
    case 'drive':
      return el('address', { type: 'drive', controller: a.controller, bus: a.bus, target: a.target, unit: a.unit });
    case 'usb':
      return el('address', { type: 'usb', bus: a.bus, port: a.port });
    case 'virtio-serial':
      return el('address', { type: 'virtio-serial', controller: a.controller, bus: a.bus, port: a.port });
    case 'isa':
      return el('address', { type: 'isa', iobase: a.iobase === undefined ? undefined : hex(a.iobase, 1), irq: a.irq === undefined ? undefined : hex(a.irq, 1) });
  }
}

export function formatDevices(def: DomainDef, opts: FormatOptions): XmlOut {
  const d = def.devices;
  return el('devices', {}, [
    d.emulator !== undefined && el('emulator', {}, d.emulator),
    ...d.disks.map(formatDisk),
    ...d.controllers.map(formatController),
    ...d.interfaces.map(formatInterface),
    ...d.serials.map(formatSerial),
    ...d.parallels.map(formatParallel),
    ...d.consoles.map((c) => formatConsole(c, d.serials)),
    ...d.channels.map(formatChannel),
    ...d.inputs.map(formatInput),
    ...d.tpms.map(formatTpm),
    ...d.graphics.map((g) => formatGraphics(g, opts)),
    ...d.sounds.map(formatSound),
    ...d.audios.map((a) => el('audio', { id: a.id, type: a.type })),
    ...d.videos.map(formatVideo),
    ...d.redirdevs.map(formatRedirdev),
    ...d.watchdogs.map(formatWatchdog),
    formatMemballoon(d.memballoon),
    ...d.rngs.map(formatRng),
    ...d.panics.map(formatPanic),
    ...d.memories.map(formatMemoryDevice),
  ]);
}

/** <source> as libvirt prints it: a volume disk by pool and volume, even while it runs. */
function formatDiskSource(disk: Disk): XmlOut | undefined {
  const index = disk.nodeIndex;
  if (disk.volume !== undefined) return el('source', { pool: disk.volume.pool, volume: disk.volume.volume, mode: disk.volume.mode, index });
  const n = disk.network;
  if (n !== undefined) {
    return el('source', { protocol: n.protocol, name: n.name, index }, [
      el('host', { name: n.host.name, port: n.host.port }),
      n.initiatorIqn !== undefined && el('initiator', {}, [el('iqn', { name: n.initiatorIqn })]),
      n.auth !== undefined && el('auth', { username: n.auth.username }, [el('secret', { type: n.auth.secretType, usage: n.auth.usage, uuid: n.auth.uuid })]),
    ]);
  }
  if (disk.source === undefined) return undefined;
  return el('source', { [disk.sourceType === 'block' ? 'dev' : 'file']: disk.source, index });
}

function formatDisk(disk: Disk): XmlOut {
  return el('disk', { type: disk.sourceType, device: disk.device }, [
    el('driver', { name: 'qemu', type: disk.format, cache: disk.cache, io: disk.io, discard: disk.discard, iothread: disk.iothread, detect_zeroes: disk.detectZeroes }),
    formatDiskSource(disk),
    el('target', { dev: disk.target, bus: disk.bus, tray: disk.tray }),
    disk.iotune !== undefined && el('iotune', {}, iotuneEntries(disk.iotune).map(([k, v]) => el(k, {}, v))),
    disk.readonly && el('readonly'),
    disk.shareable && el('shareable'),
    disk.serial !== undefined && el('serial', {}, disk.serial),
    disk.bootOrder !== undefined && el('boot', { order: disk.bootOrder }),
    formatAddress(disk.address),
  ]);
}

function formatController(c: Controller): XmlOut {
  const modelName = c.type === 'pci' && c.model !== undefined ? PCI_MODEL_NAMES[c.model as keyof typeof PCI_MODEL_NAMES] : undefined;
  return el('controller', { type: c.type, index: c.index, model: c.model, ports: c.ports, vectors: c.vectors }, [
    c.masterStartport !== undefined && el('master', { startport: c.masterStartport }),
    (c.queues !== undefined || c.iothread !== undefined) && el('driver', { queues: c.queues, iothread: c.iothread }),
    modelName !== undefined && el('model', { name: modelName }),
    c.target !== undefined && Object.keys(c.target).length > 0 && el('target', {
      chassis: c.target.chassis,
      port: c.target.port === undefined ? undefined : hex(c.target.port, 1),
      busNr: c.target.busNr,
    }),
    formatAddress(c.address),
  ]);
}

/** libvirt's attribute order. */
const rateAttrs = (r: BandwidthRate): Record<string, number | undefined> => ({ average: r.average, peak: r.peak, floor: r.floor, burst: r.burst });

function formatInterface(nic: Interface): XmlOut {
  return el('interface', { type: nic.type }, [
    el('mac', { address: nic.mac }),
    nic.source !== undefined && el('source', { [nic.type]: nic.source }),
    nic.bandwidth !== undefined && el('bandwidth', {}, [
      nic.bandwidth.inbound !== undefined && el('inbound', rateAttrs(nic.bandwidth.inbound)),
      nic.bandwidth.outbound !== undefined && el('outbound', rateAttrs(nic.bandwidth.outbound)),
    ]),
    nic.targetDev !== undefined && el('target', { dev: nic.targetDev, managed: nic.targetManaged === undefined ? undefined : nic.targetManaged ? 'yes' : 'no' }),
    el('model', { type: nic.model }),
    nic.driver !== undefined && el('driver', { name: nic.driver.name, queues: nic.driver.queues }),
    nic.linkState !== undefined && el('link', { state: nic.linkState }),
    nic.mtu !== undefined && el('mtu', { size: nic.mtu }),
    nic.bootOrder !== undefined && el('boot', { order: nic.bootOrder }),
    nic.alias !== undefined && el('alias', { name: nic.alias }),
    formatAddress(nic.address),
  ]);
}

/** <source> (and <protocol>) of a character device; a pty's path is printed only once known. */
function formatSource(source: CharSource): Array<XmlOut | undefined> {
  switch (source.type) {
    case 'pty':
      return [source.path === undefined ? undefined : el('source', { path: source.path })];
    case 'file':
      return [el('source', { path: source.path, append: source.append === undefined ? undefined : source.append ? 'on' : 'off' })];
    case 'unix':
      return [el('source', { mode: source.mode, path: source.path })];
    case 'tcp':
      return [el('source', { mode: source.mode, host: source.host, service: source.service }), el('protocol', { type: source.protocol })];
    case 'spicevmc':
    case 'null':
      return [];
  }
}

function formatSerial(serial: SerialPort): XmlOut {
  return el('serial', { type: serial.source.type }, [
    ...formatSource(serial.source),
    el('target', { type: 'isa-serial', port: serial.port }, [el('model', { name: 'isa-serial' })]),
  ]);
}

function formatParallel(p: ParallelPort): XmlOut {
  return el('parallel', { type: p.source.type }, [...formatSource(p.source), el('target', { port: p.port })]);
}

function formatConsole(console: Console, serials: SerialPort[]): XmlOut {
  // A serial console is an alias: it always shows serial port 0's host side, as libvirt prints it.
  const serial0 = serials[0];
  const source = console.targetType === 'serial' && serial0 !== undefined ? serial0.source : console.source;
  const port = console.targetType === 'serial' && serial0 !== undefined ? serial0.port : console.port;
  const tty = source.type === 'pty' ? source.path : undefined;
  return el('console', { type: source.type, tty }, [
    ...formatSource(source),
    el('target', { type: console.targetType, port }),
  ]);
}

function formatChannel(ch: Channel): XmlOut {
  return el('channel', { type: ch.source.type }, [
    ...formatSource(ch.source),
    el('target', { type: 'virtio', name: ch.name }),
    formatAddress(ch.address),
  ]);
}

function formatInput(i: Input): XmlOut {
  return el('input', { type: i.type, bus: i.bus }, [i.alias !== undefined && el('alias', { name: i.alias }), formatAddress(i.address)]);
}

function formatTpm(t: Tpm): XmlOut {
  const b = t.backend;
  return el('tpm', { model: t.model }, [
    b.type === 'emulator'
      ? el('backend', { type: 'emulator', version: b.version })
      : el('backend', { type: 'passthrough' }, [el('device', { path: b.device })]),
  ]);
}

function formatGraphics(g: Graphics, opts: FormatOptions): XmlOut {
  const spice = g.spice ?? {};
  return el(
    'graphics',
    {
      type: g.type,
      port: g.port,
      tlsPort: g.type === 'spice' ? g.tlsPort : undefined,
      autoport: g.autoport ? 'yes' : 'no',
      listen: g.listen,
      keymap: g.keymap,
      passwd: opts.omitSecrets === true ? undefined : g.passwd,
    },
    [
      el('listen', { type: 'address', address: g.listen }),
      ...(Object.keys(SPICE_ELEMENT) as Array<keyof SpiceOptions>).filter((k) => spice[k] !== undefined).map((k) => {
        const attr = k === 'image' || k === 'jpeg' || k === 'zlib' || k === 'playback' ? 'compression'
          : k === 'streaming' || k === 'mouse' ? 'mode' : k === 'copypaste' ? 'copypaste' : 'enable';
        return el(SPICE_ELEMENT[k], { [attr]: spice[k] });
      }),
    ],
  );
}

function formatSound(s: Sound): XmlOut {
  return el('sound', { model: s.model }, [...s.codecs.map((type) => el('codec', { type })), formatAddress(s.address)]);
}

function formatVideo(video: Video, index: number): XmlOut {
  const primary = index === 0 && video.model !== 'none' ? 'yes' : undefined;
  return el('video', {}, [
    el('model', {
      type: video.model, ram: video.ram, vram: video.vram, vram64: video.vram64, vgamem: video.vgamem, heads: video.heads, primary,
    }, video.accel3d === undefined ? undefined : [el('acceleration', { accel3d: video.accel3d ? 'yes' : 'no' })]),
    formatAddress(video.address),
  ]);
}

function formatRedirdev(r: RedirDev): XmlOut {
  return el('redirdev', { bus: r.bus, type: r.source.type }, [
    ...formatSource(r.source),
    r.bootOrder !== undefined && el('boot', { order: r.bootOrder }),
    formatAddress(r.address),
  ]);
}

function formatWatchdog(w: Watchdog): XmlOut {
  return el('watchdog', { model: w.model, action: w.action }, [formatAddress(w.address)]);
}

function formatMemballoon(b: MemBalloon): XmlOut {
  return el('memballoon', { model: b.model, autodeflate: b.autodeflate, freePageReporting: b.freePageReporting }, [
    b.statsPeriod !== undefined && el('stats', { period: b.statsPeriod }),
    formatAddress(b.address),
  ]);
}

function formatRng(r: Rng): XmlOut {
  const b = r.backend;
  return el('rng', { model: r.model }, [
    r.rate !== undefined && el('rate', { bytes: r.rate.bytes, period: r.rate.periodMs }),
    b.model === 'random' ? el('backend', { model: 'random' }, b.device)
      : b.model === 'builtin' ? el('backend', { model: 'builtin' })
      : el('backend', { model: 'egd', type: b.source.type }, formatSource(b.source)),
    r.alias !== undefined && el('alias', { name: r.alias }),
    formatAddress(r.address),
  ]);
}

function formatPanic(p: Panic): XmlOut {
  return el('panic', { model: p.model }, [formatAddress(p.address)]);
}
