/**
 * The remaining devices: network cards, input, TPM, audio and graphics (VNC, SPICE), video,
 * sound, USB redirection, watchdog, memory balloon, RNG and panic notifiers.
 */

import { VireoError } from '../../api/errors.js';
import type { DomainDef, Graphics, Input, Interface, Rng, Video } from '../../conf/domain-model.js';
import { chardevArg } from './chardev.js';
import type { LaunchPaths } from './index.js';
import { esc, json, pciProps, usbProps, type Argv, type Json } from './util.js';

const NIC_DRIVERS: Record<string, string> = { virtio: 'virtio-net-pci', e1000: 'e1000', e1000e: 'e1000e', rtl8139: 'rtl8139' };

/** The NIC types whose host side is a tap device that vireod makes (and attaches) before QEMU starts. */
export const TAP_NIC_TYPES: ReadonlyArray<Interface['type']> = ['network', 'bridge', 'ethernet'];

/**
 * Whether a NIC gets the in-kernel vhost-net backend, decided as libvirt 9 does: only for KVM
 * guests (a plain QEMU guest never asks for it), only for virtio, never against <driver name='qemu'>,
 * and only where /dev/vhost-net can be opened (otherwise QEMU refuses to start the tap at all).
 * An explicit <driver name='vhost'> that cannot be honoured is refused earlier (checkHostSupport).
 */
export function usesVhost(def: DomainDef, nic: Interface, vhostNet: boolean): boolean {
  return def.type === 'kvm' && nic.type !== 'user' && nic.model === 'virtio' && nic.driver?.name !== 'qemu' && vhostNet;
}

/**
 * The -netdev backend of NIC `i` (the same object is netdev_add's arguments when it is plugged
 * live). libvirt opens the tap itself and passes `fd=`; vireod instead makes a persistent tap named
 * by the live definition's <target dev> before QEMU starts, and QEMU (run as root today) opens it
 * by name: Node cannot hand QEMU a descriptor at spawn without a helper, and a name also survives a
 * daemon restart. script/downscript=no because vireod, not QEMU, sets the tap up and removes it.
 * Without a target name (domxml-to-native of an inactive guest) the name is the tap's likely one.
 */
export function netdevProps(def: DomainDef, nic: Interface, i: number, vhostNet: boolean): Json {
  if (nic.type === 'user') return { type: 'user', id: `host${nicAlias(nic, i)}` };
  const dev: Json = { type: 'tap', ifname: nic.targetDev ?? `vnet${i}`, script: 'no', downscript: 'no' };
  const q = nic.driver?.queues;
  if (q !== undefined && q > 1) dev.queues = q;
  if (usesVhost(def, nic, vhostNet)) dev.vhost = true;
  dev.id = `host${nicAlias(nic, i)}`;
  return dev;
}

/**
 * The device id of NIC `i` (libvirt's alias): the live definition's, which stays with the NIC
 * when others are plugged or unplugged, else net<i>. Its netdev is 'host' + that id.
 */
export function nicAlias(nic: Interface, i: number): string {
  return nic.alias ?? `net${i}`;
}

/**
 * The -device of NIC `i` (device_add's arguments when plugged live), properties in libvirt's order.
 * Link state is not here: libvirt and vireo set it over QMP before the guest runs (monitorSetup).
 */
export function nicDeviceProps(def: DomainDef, nic: Interface, i: number, bootIndex?: number): Json {
  const dev: Json = { driver: NIC_DRIVERS[nic.model] ?? nic.model };
  const q = nic.driver?.queues;
  if (nic.model === 'virtio') {
    if (q !== undefined && q > 1) Object.assign(dev, { mq: true, vectors: 2 * q + 2 });
    if (nic.mtu !== undefined) dev.host_mtu = nic.mtu;
  }
  const alias = nicAlias(nic, i);
  Object.assign(dev, { netdev: `host${alias}`, id: alias, mac: nic.mac });
  if (bootIndex !== undefined) dev.bootindex = bootIndex;
  return { ...dev, ...pciProps(def, nic.address) };
}

export function netArgs(def: DomainDef, out: Argv, bootIndex: (nic: Interface) => number | undefined, vhostNet: boolean): void {
  def.devices.interfaces.forEach((nic, i) => {
    out.push('-netdev', json(netdevProps(def, nic, i, vhostNet)));
    out.device(nicDeviceProps(def, nic, i, bootIndex(nic)));
  });
}

const INPUT_DRIVERS = {
  usb: { tablet: 'usb-tablet', mouse: 'usb-mouse', keyboard: 'usb-kbd' },
  virtio: { tablet: 'virtio-tablet-pci', mouse: 'virtio-mouse-pci', keyboard: 'virtio-keyboard-pci' },
} as const;

export function inputArgs(def: DomainDef, out: Argv): void {
  def.devices.inputs.forEach((inp, i) => {
    // PS/2 mouse and keyboard are part of the PC's i8042; they need no -device.
    if (inp.bus === 'ps2') return;
    out.device(inputDevice(def, inp, inp.alias ?? `input${i}`));
  });
}

/** A USB or virtio input device (device_add's properties too). */
export function inputDevice(def: DomainDef, inp: Input, id: string): Json {
  if (inp.bus === 'ps2') throw VireoError.of('INTERNAL', 'a PS/2 input has no device of its own');
  const driver = INPUT_DRIVERS[inp.bus][inp.type];
  const where = inp.bus === 'usb' ? usbProps(inp.address) : pciProps(def, inp.address?.type === 'pci' ? inp.address : undefined);
  return { driver, id, ...where };
}

export function tpmArgs(def: DomainDef, paths: LaunchPaths, out: Argv): void {
  for (const t of def.devices.tpms) {
    if (t.backend.type === 'emulator') {
      out.push('-chardev', `socket,id=chrtpm,path=${esc(paths.tpmSocket)}`);
      out.push('-tpmdev', 'emulator,id=tpm-tpm0,chardev=chrtpm');
    } else {
      out.push('-tpmdev', `passthrough,id=tpm-tpm0,path=${esc(t.backend.device)}`);
    }
    out.device({ driver: t.model, tpmdev: 'tpm-tpm0', id: 'tpm0' });
  }
}

const SPICE_OPTS: Record<string, (v: string) => string> = {
  image: (v) => `image-compression=${v}`,
  jpeg: (v) => `jpeg-wan-compression=${v}`,
  zlib: (v) => `zlib-glz-wan-compression=${v}`,
  playback: (v) => `playback-compression=${v}`,
  streaming: (v) => `streaming-video=${v}`,
  copypaste: (v) => (v === 'no' ? 'disable-copy-paste=on' : ''),
  mouse: (v) => `agent-mouse=${v === 'client' ? 'on' : 'off'}`,
  filetransfer: (v) => (v === 'no' ? 'disable-agent-file-xfer=on' : ''),
};

const listenHost = (listen: string): string => (listen.includes(':') ? `[${listen}]` : listen);

function vncArg(g: Graphics, audio: string | undefined): string {
  // vireod allocates autoport ports before start (qemu/prepare.ts); a port not allocated (the
  // command line domxml-to-native prints) leaves QEMU to pick the first free display ('to=99').
  const display = g.port >= 5900 ? String(g.port - 5900) : '0,to=99';
  const parts = [`${esc(listenHost(g.listen))}:${display}`];
  // The password itself is set over QMP after start, so it never shows in the process list.
  if (g.passwd !== undefined) parts.push('password=on');
  if (audio !== undefined) parts.push(`audiodev=${audio}`);
  return parts.join(',');
}

function spiceArg(g: Graphics): string {
  // The daemon picks a port for autoport before building the command line; 0 means "not picked".
  const parts = [`port=${g.port > 0 ? g.port : 0}`, `addr=${esc(g.listen)}`];
  if (g.passwd === undefined) parts.push('disable-ticketing=on');
  for (const [k, v] of Object.entries(g.spice ?? {})) {
    const opt = SPICE_OPTS[k]?.(v as string) ?? '';
    if (opt !== '') parts.push(opt);
  }
  parts.push('seamless-migration=on');
  return parts.join(',');
}

export function displayArgs(def: DomainDef, out: Argv): void {
  const d = def.devices;
  const audio = d.audios[0];
  const audioId = audio === undefined ? undefined : `audio${audio.id}`;
  if (audio !== undefined) out.push('-audiodev', json({ id: audioId, driver: audio.type }));
  if (d.graphics.length === 0) out.push('-display', 'none');
  for (const g of d.graphics) {
    if (g.type === 'vnc') {
      out.push('-vnc', vncArg(g, audioId));
      if (g.keymap !== undefined) out.push('-k', g.keymap);
    } else {
      out.push('-spice', spiceArg(g));
    }
  }
  d.videos.forEach((v, i) => {
    if (v.model === 'none') return;
    out.device({ ...videoDevice(v, i === 0, i), ...pciProps(def, v.address) });
  });
  d.sounds.forEach((s, i) => {
    const id = `sound${i}`;
    const pci = pciProps(def, s.address);
    switch (s.model) {
      case 'ich9':
      case 'ich6': {
        out.device({ driver: s.model === 'ich9' ? 'ich9-intel-hda' : 'intel-hda', id, ...pci });
        const codecs = s.codecs.length === 0 ? ['duplex' as const] : s.codecs;
        codecs.forEach((c, j) => out.device({ driver: `hda-${c}`, id: `${id}-codec${j}`, bus: `${id}.0`, cad: j, ...(audioId === undefined ? {} : { audiodev: audioId }) }));
        break;
      }
      default: {
        const driver = { ac97: 'AC97', es1370: 'ES1370', sb16: 'sb16' }[s.model];
        out.device({ driver, id, ...(audioId === undefined ? {} : { audiodev: audioId }), ...pci });
      }
    }
  });
}

function videoDevice(v: Video, primary: boolean, i: number): Json {
  const id = `video${i}`;
  const mib = (kib: number | undefined): number | undefined => (kib === undefined ? undefined : Math.floor(kib / 1024));
  switch (v.model) {
    case 'vga': return { driver: 'VGA', id, vgamem_mb: mib(v.vram) };
    case 'cirrus': return { driver: 'cirrus-vga', id };
    case 'bochs': return { driver: 'bochs-display', id, vgamem: (v.vram ?? 16384) * 1024 };
    case 'virtio': return { driver: primary ? 'virtio-vga' : 'virtio-gpu-pci', id, max_outputs: v.heads ?? 1 };
    case 'qxl': return {
      driver: primary ? 'qxl-vga' : 'qxl', id, max_outputs: v.heads ?? 1, ram_size: (v.ram ?? 65536) * 1024, vram_size: (v.vram ?? 65536) * 1024,
      vram64_size_mb: mib(v.vram64) ?? 0, vgamem_mb: mib(v.vgamem) ?? 16,
    };
    default: throw VireoError.of('XML_UNSUPPORTED', `unsupported video model '${v.model}'`);
  }
}

export function redirdevArgs(def: DomainDef, out: Argv, bootIndex: (i: number) => number | undefined): void {
  def.devices.redirdevs.forEach((r, i) => {
    const chr = `charredir${i}`;
    out.push('-chardev', r.source.type === 'spicevmc' ? `spicevmc,id=${chr},name=usbredir` : chardevArg(chr, r.source));
    const dev: Json = { driver: 'usb-redir', chardev: chr, id: `redir${i}`, ...usbProps(r.address) };
    const boot = bootIndex(i);
    if (boot !== undefined) dev.bootindex = boot;
    out.device(dev);
  });
}

export function watchdogArgs(def: DomainDef, out: Argv): void {
  for (const w of def.devices.watchdogs) {
    out.device({ driver: w.model, id: 'watchdog0', ...pciProps(def, w.address) });
    out.push('-watchdog-action', w.action);
  }
}

/** The backend object of rng `id` (object-add's properties too): objrngN, as libvirt names it. */
export function rngObject(r: Rng, id: string): Json {
  const be = r.backend;
  if (be.model === 'random') return { 'qom-type': 'rng-random', id: `obj${id}`, filename: be.device };
  if (be.model === 'builtin') return { 'qom-type': 'rng-builtin', id: `obj${id}` };
  return { 'qom-type': 'rng-egd', id: `obj${id}`, chardev: `char${id}` };
}

/** The virtio-rng device of rng `id` (device_add's properties too). */
export function rngDevice(def: DomainDef, r: Rng, id: string): Json {
  const dev: Json = { driver: 'virtio-rng-pci', rng: `obj${id}`, id };
  if (r.rate !== undefined) Object.assign(dev, { 'max-bytes': r.rate.bytes, period: r.rate.periodMs ?? 1000 });
  return { ...dev, ...pciProps(def, r.address) };
}

export function balloonRngPanicArgs(def: DomainDef, out: Argv): void {
  const b = def.devices.memballoon;
  if (b.model === 'virtio') {
    const dev: Json = { driver: 'virtio-balloon-pci', id: 'balloon0' };
    if (b.autodeflate !== undefined) dev['deflate-on-oom'] = b.autodeflate === 'on';
    if (b.freePageReporting !== undefined) dev['free-page-reporting'] = b.freePageReporting === 'on';
    out.device({ ...dev, ...pciProps(def, b.address) });
  }
  def.devices.rngs.forEach((r, i) => {
    const id = r.alias ?? `rng${i}`;
    const be = r.backend;
    if (be.model === 'egd') out.push('-chardev', chardevArg(`char${id}`, be.source));
    out.push('-object', json(rngObject(r, id)));
    out.device(rngDevice(def, r, id));
  });
  for (const p of def.devices.panics) {
    if (p.model === 'isa') {
      const dev: Json = { driver: 'pvpanic' };
      if (p.address?.type === 'isa' && p.address.iobase !== undefined) dev.ioport = p.address.iobase;
      out.device(dev);
    }
    // 'hyperv' is a CPU flag (hv-crash), set with -cpu.
  }
}
