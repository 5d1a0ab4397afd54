/**
 * The typed model of a libvirt domain definition, as far as vireo supports it.
 *
 * Names describe the feature, not QEMU's spelling of it. parseDomainXml() fills
 * every default, so code above conf/ never has to guess a missing value; the
 * formatter prints the model back as libvirt-compatible XML.
 */

export type DomainType = 'kvm' | 'qemu';
export type LifecycleAction = 'destroy' | 'restart' | 'preserve' | 'rename-restart';
export type CrashAction = LifecycleAction | 'coredump-destroy' | 'coredump-restart';
export type BootDevice = 'hd' | 'cdrom' | 'network' | 'fd';

export interface OsConfig {
  type: 'hvm';
  arch: 'x86_64';
  /** Machine type as written by the user, e.g. 'q35', 'pc', 'pc-q35-7.2'. */
  machine: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** <boot dev=.../> in order; empty when per-device boot order is used. */
  boot: BootDevice[];
}

export interface Features {
  acpi: boolean;
  apic: boolean;
}

export interface ClockConfig {
  offset: 'utc' | 'localtime';
}

export type DiskBus = 'virtio' | 'sata' | 'scsi' | 'ide';
export type DiskFormat = 'raw' | 'qcow2';

export interface Disk {
  device: 'disk' | 'cdrom';
  /** Only file-backed disks for now. */
  sourceType: 'file';
  /** Host path; absent for an empty cdrom drive. */
  source?: string;
  format: DiskFormat;
  /** Guest device name, e.g. 'vda', 'sda'. */
  target: string;
  bus: DiskBus;
  readonly: boolean;
  /** Per-device boot order (<boot order='N'/>). */
  bootOrder?: number;
  /** Optional cache mode from <driver cache=...>. */
  cache?: 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe' | 'default';
  /** Optional serial number presented to the guest. */
  serial?: string;
}

export type NicModel = 'virtio' | 'e1000' | 'e1000e' | 'rtl8139';

export interface Interface {
  type: 'user';
  /** Lower-case colon-separated MAC; a 52:54:00 address is generated when absent. */
  mac: string;
  model: NicModel;
  bootOrder?: number;
}

/** Where a serial port or console is connected on the host side. */
export type CharSource =
  | { type: 'pty'; path?: string }
  | { type: 'file'; path: string; append?: boolean }
  | { type: 'unix'; path: string; mode: 'bind' | 'connect' };

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

export interface Graphics {
  type: 'vnc';
  /** -1 means autoport. */
  port: number;
  autoport: boolean;
  listen: string;
  passwd?: string;
}

export interface Video {
  model: 'vga' | 'cirrus' | 'virtio' | 'qxl' | 'bochs' | 'none';
  vram?: number;
  heads?: number;
}

export interface MemBalloon {
  model: 'virtio' | 'none';
}

export interface Devices {
  /** Emulator binary; defaults to the host's qemu-system-x86_64. */
  emulator?: string;
  disks: Disk[];
  interfaces: Interface[];
  serials: SerialPort[];
  consoles: Console[];
  graphics: Graphics[];
  videos: Video[];
  memballoon: MemBalloon;
}

export interface DomainDef {
  type: DomainType;
  name: string;
  /** Lower-case canonical UUID; generated when absent. */
  uuid: string;
  title?: string;
  description?: string;
  /** Maximum memory in KiB (<memory>). */
  memoryKiB: number;
  /** Current (balloon target) memory in KiB (<currentMemory>); defaults to memoryKiB. */
  currentMemoryKiB: number;
  vcpus: number;
  os: OsConfig;
  features: Features;
  clock: ClockConfig;
  onPoweroff: LifecycleAction;
  onReboot: LifecycleAction;
  onCrash: CrashAction;
  devices: Devices;
}
