/**
 * Devices of a domain definition (<devices>), with the guest addresses that keep the guest's
 * view of its hardware stable across restarts and redefinitions.
 */
import type { Iotune } from './domain-iotune.js';

/** A slot on a PCI bus; bus N is the bus provided by PCI controller index N (0 is the root). */
export interface PciAddress {
  type: 'pci';
  domain: number;
  bus: number;
  slot: number;
  function: number;
  multifunction?: 'on' | 'off';
}

/** A unit on a disk controller (SATA, IDE, SCSI, floppy). */
export interface DriveAddress {
  type: 'drive';
  controller: number;
  bus: number;
  target: number;
  unit: number;
}

/** A port on a USB bus (port is a dotted path through hubs, e.g. '1' or '1.2'). */
export interface UsbAddress {
  type: 'usb';
  bus: number;
  port: string;
}

/** A port on a virtio-serial controller. */
export interface VirtioSerialAddress {
  type: 'virtio-serial';
  controller: number;
  bus: number;
  port: number;
}

export interface IsaAddress {
  type: 'isa';
  iobase?: number;
  irq?: number;
}

export type DeviceAddress = PciAddress | DriveAddress | UsbAddress | VirtioSerialAddress | IsaAddress;

export type DiskBus = 'virtio' | 'sata' | 'scsi' | 'ide' | 'fdc';
export type DiskFormat = 'raw' | 'qcow2';
export type CacheMode = 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe' | 'default';

/** Where a disk's data is: a file, a host block device, a storage pool's volume, or a network server. */
export type DiskSourceType = 'file' | 'block' | 'volume' | 'network';

/** CHAP credentials of an iSCSI disk: a user name and libvirt's secret (by usage or UUID) holding the password. */
export interface DiskAuth {
  username: string;
  secretType: 'iscsi';
  usage?: string;
  uuid?: string;
}

/** `<disk type='network'>` with protocol iscsi: QEMU's own initiator (libiscsi) reaches the target. */
export interface IscsiSource {
  protocol: 'iscsi';
  /** 'TARGET-IQN/LUN' (libvirt adds '/0' when the LUN is left out). */
  name: string;
  host: { name: string; port: number };
  /** The initiator IQN QEMU logs in with (QEMU makes one up when absent). */
  initiatorIqn?: string;
  auth?: DiskAuth;
}

/** `<disk type='volume'>`: a volume of a storage pool, resolved when the guest starts. */
export interface VolumeSource {
  pool: string;
  volume: string;
  /** iscsi pools only (host: the kernel's device; direct: QEMU's initiator). */
  mode?: 'host' | 'direct';
}

/**
 * What a volume disk's volume turned out to be when the guest started: a file, a block device or
 * an iSCSI LUN. Runtime only: libvirt 9.0 prints a volume disk as pool and volume even live.
 */
export type ResolvedVolume = { type: 'file' | 'block'; path: string } | { type: 'network'; network: IscsiSource };

export interface Disk {
  device: 'disk' | 'cdrom' | 'floppy';
  sourceType: DiskSourceType;
  /** Host path (file or block device); absent for an empty cdrom or floppy drive and for volume and network disks. */
  source?: string;
  /** The pool and volume of a volume disk. */
  volume?: VolumeSource;
  /** The server of a network disk. */
  network?: IscsiSource;
  /** A volume disk's volume, in a running guest's live definition (found at start, never printed). */
  resolved?: ResolvedVolume;
  /** Absent only for a volume disk whose <driver> names no type (raw when it starts, as libvirt). */
  format?: DiskFormat;
  /** Guest device name, e.g. 'vda', 'sda', 'fda'. */
  target: string;
  bus: DiskBus;
  readonly: boolean;
  shareable: boolean;
  /** Per-device boot order (<boot order='N'/>). */
  bootOrder?: number;
  cache?: CacheMode;
  io?: 'native' | 'threads' | 'io_uring';
  discard?: 'unmap' | 'ignore';
  detectZeroes?: 'off' | 'on' | 'unmap';
  /** Serial number presented to the guest. */
  serial?: string;
  /** cdrom/floppy tray. */
  tray?: 'open' | 'closed';
  address?: PciAddress | DriveAddress;
  /** <driver iothread>: the I/O thread a virtio disk runs in. */
  iothread?: number;
  /** <iotune>: QEMU's I/O throttling of the disk (blkdeviotune). */
  iotune?: Iotune;
  /**
   * Live definitions only: the number of the disk's block nodes in QEMU (vireo-N-storage and
   * vireo-N-format), printed as libvirt prints its own, <source index='N'>. Kept because a
   * hot-plug or unplug makes it differ from the disk's position.
   */
  nodeIndex?: number;
}

export type ControllerType = 'pci' | 'usb' | 'virtio-serial' | 'scsi' | 'sata' | 'ide' | 'fdc';
export type PciControllerModel = 'pci-root' | 'pcie-root' | 'pcie-root-port' | 'pci-bridge' | 'dmi-to-pci-bridge' | 'pcie-to-pci-bridge';
export type UsbControllerModel =
  | 'qemu-xhci' | 'nec-xhci' | 'piix3-uhci' | 'piix4-uhci' | 'ehci' | 'ich9-ehci1'
  | 'ich9-uhci1' | 'ich9-uhci2' | 'ich9-uhci3' | 'pci-ohci' | 'none';
export type ScsiControllerModel = 'virtio-scsi' | 'lsilogic';

export interface Controller {
  type: ControllerType;
  index: number;
  /** The model for pci, usb and scsi controllers. */
  model?: PciControllerModel | UsbControllerModel | ScsiControllerModel;
  /** USB ports (xhci) or virtio-serial ports. */
  ports?: number;
  /** virtio-serial MSI vectors. */
  vectors?: number;
  /** USB companion controllers: <master startport>. */
  masterStartport?: number;
  /** PCI controllers: <target chassis port busNr>. */
  target?: { chassis?: number; port?: number; busNr?: number };
  /** virtio-scsi <driver queues>. */
  queues?: number;
  /** virtio-scsi <driver iothread>. */
  iothread?: number;
  address?: PciAddress;
}

export type NicModel = 'virtio' | 'e1000' | 'e1000e' | 'rtl8139';

/**
 * One direction of a NIC's <bandwidth>, in libvirt's units: rates in kilobytes per second, burst
 * in kibibytes. A value of 0 is never stored (libvirt drops it). `floor` (inbound only) is a
 * guaranteed minimum, which needs a network with its own <bandwidth>.
 */
export interface BandwidthRate {
  average?: number;
  peak?: number;
  burst?: number;
  floor?: number;
}

/** A NIC's <bandwidth>: inbound is traffic to the guest, outbound traffic from it. */
export interface Bandwidth {
  inbound?: BandwidthRate;
  outbound?: BandwidthRate;
}

export interface Interface {
  /** user: QEMU's own NAT; network/bridge/ethernet: a tap device that vireod makes before QEMU starts. */
  type: 'user' | 'network' | 'bridge' | 'ethernet';
  /** Lower-case colon-separated MAC; a 52:54:00 address is generated when absent. */
  mac: string;
  model: NicModel;
  /** <source network=...> for type network, <source bridge=...> for type bridge. */
  source?: string;
  /** <target dev>: the host tap device name. */
  targetDev?: string;
  /**
   * <target managed>, as written. false (type ethernet only): the tap `targetDev` already exists,
   * made by the user; vireod opens it but neither creates, configures nor deletes it.
   */
  targetManaged?: boolean;
  linkState?: 'up' | 'down';
  mtu?: number;
  /** <driver name queues>. */
  driver?: { name?: 'qemu' | 'vhost'; queues?: number };
  bootOrder?: number;
  /** <bandwidth>: limits on the traffic to (inbound) and from (outbound) the guest. */
  bandwidth?: Bandwidth;
  address?: PciAddress;
  /**
   * Live definitions only: the device id QEMU knows the NIC by (net0, net1, ...; its netdev is
   * host + alias). Kept because a hot-plug or unplug makes it differ from the NIC's index.
   */
  alias?: string;
}

/** Where a character device is connected on the host side. */
export type CharSource =
  | { type: 'pty'; path?: string }
  | { type: 'file'; path: string; append?: boolean }
  /** A UNIX socket; a bind channel without a path gets one in the domain's run directory. */
  | { type: 'unix'; path?: string; mode: 'bind' | 'connect' }
  | { type: 'tcp'; mode: 'bind' | 'connect'; host: string; service: string; protocol: 'raw' | 'telnet' }
  /** A SPICE channel (needs <graphics type='spice'>). */
  | { type: 'spicevmc' }
  | { type: 'null' };

export interface SerialPort {
  source: CharSource;
  /** Port number (target port), 0 for ttyS0. */
  port: number;
}

export interface Console {
  source: CharSource;
  /** 'serial' consoles alias a serial port; 'virtio' is a virtio-console (hvc0). */
  targetType: 'serial' | 'virtio';
  port: number;
}

export interface ParallelPort {
  source: CharSource;
  port: number;
}

export interface Channel {
  source: CharSource;
  /** virtio-serial port name, e.g. org.qemu.guest_agent.0 or com.redhat.spice.0. */
  name?: string;
  address?: VirtioSerialAddress;
}

export interface Input {
  type: 'tablet' | 'mouse' | 'keyboard';
  bus: 'usb' | 'ps2' | 'virtio';
  address?: PciAddress | UsbAddress;
  /** Live definitions only: its device id (inputN), kept because hot-plug makes it differ from its index. */
  alias?: string;
}

export interface SpiceOptions {
  image?: 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz' | 'off';
  jpeg?: 'auto' | 'never' | 'always';
  zlib?: 'auto' | 'never' | 'always';
  playback?: 'on' | 'off';
  streaming?: 'filter' | 'all' | 'off';
  copypaste?: 'yes' | 'no';
  mouse?: 'server' | 'client';
  filetransfer?: 'yes' | 'no';
}

export interface Graphics {
  type: 'vnc' | 'spice';
  /** -1 means autoport. */
  port: number;
  autoport: boolean;
  /** SPICE TLS port; -1 with autoport. */
  tlsPort?: number;
  listen: string;
  passwd?: string;
  keymap?: string;
  spice?: SpiceOptions;
}

export type VideoModel = 'vga' | 'cirrus' | 'virtio' | 'qxl' | 'bochs' | 'ramfb' | 'none';

export interface Video {
  model: VideoModel;
  /** KiB */
  vram?: number;
  heads?: number;
  /** qxl RAM bar, KiB. */
  ram?: number;
  /** qxl 64-bit VRAM bar, KiB. */
  vram64?: number;
  /** VGA memory, KiB. */
  vgamem?: number;
  accel3d?: boolean;
  address?: PciAddress;
}

export interface Sound {
  model: 'ich9' | 'ich6' | 'ac97' | 'es1370' | 'sb16';
  /** HDA codecs; ich6/ich9 get one 'duplex' codec when none is written. */
  codecs: Array<'duplex' | 'micro' | 'output'>;
  address?: PciAddress;
}

/** <audio>: the host audio backend sound devices and graphics use. */
export interface Audio {
  id: number;
  type: 'none' | 'spice';
}

export interface RedirDev {
  bus: 'usb';
  source: CharSource;
  bootOrder?: number;
  address?: UsbAddress;
}

export type RngBackend =
  | { model: 'random'; device: string }
  | { model: 'builtin' }
  | { model: 'egd'; source: CharSource };

export interface Rng {
  model: 'virtio';
  backend: RngBackend;
  /** Rate limit: bytes per period (ms). */
  rate?: { bytes: number; periodMs?: number };
  address?: PciAddress;
  /** Live definitions only: its device id (rngN; its backend is objrngN), kept because hot-plug makes it differ from its index. */
  alias?: string;
}

export interface MemBalloon {
  model: 'virtio' | 'none';
  autodeflate?: OnOffValue;
  freePageReporting?: OnOffValue;
  /** Statistics polling period in seconds. */
  statsPeriod?: number;
  address?: PciAddress;
}

type OnOffValue = 'on' | 'off';

export interface Watchdog {
  model: 'i6300esb' | 'ib700';
  action: 'reset' | 'shutdown' | 'poweroff' | 'pause' | 'none' | 'dump' | 'inject-nmi';
  address?: PciAddress;
}

export interface Panic {
  model: 'isa' | 'hyperv';
  address?: IsaAddress;
}

export type TpmBackend =
  | { type: 'emulator'; version: '2.0' | '1.2' }
  | { type: 'passthrough'; device: string };

export interface Tpm {
  model: 'tpm-tis' | 'tpm-crb';
  backend: TpmBackend;
}

/**
 * A memory module (<memory model='dimm'>): guest RAM beyond the boot memory, hot-pluggable up to
 * <maxMemory> into one of its slots.
 */
export interface MemoryDevice {
  model: 'dimm';
  /** Shared or private mapping of its backing memory (default: <memoryBacking><access>). */
  access?: 'shared' | 'private';
  /** Give the backing memory back to the host when the module goes (discard-data). */
  discard?: boolean;
  /** <source><pagesize>: back it with huge pages of this size, KiB. */
  pagesizeKiB?: number;
  sizeKiB: number;
  /** The guest NUMA node (<cpu><numa> cell id) it adds memory to. */
  node: number;
  /** <address type='dimm' slot>: assigned (the lowest free) when the definition is completed. */
  slot?: number;
  /** <address base>: the guest-physical address; QEMU picks it unless written, the live XML shows it. */
  base?: number;
  /** The device id in a running guest (dimmN), printed in live XML only. */
  alias?: string;
}

export interface Devices {
  /** Emulator binary; defaults to the host's qemu-system-x86_64. */
  emulator?: string;
  disks: Disk[];
  controllers: Controller[];
  interfaces: Interface[];
  serials: SerialPort[];
  parallels: ParallelPort[];
  consoles: Console[];
  channels: Channel[];
  inputs: Input[];
  tpms: Tpm[];
  graphics: Graphics[];
  sounds: Sound[];
  audios: Audio[];
  videos: Video[];
  redirdevs: RedirDev[];
  watchdogs: Watchdog[];
  memballoon: MemBalloon;
  rngs: Rng[];
  panics: Panic[];
  memories: MemoryDevice[];
}
