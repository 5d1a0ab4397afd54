/**
 * The typed model of a libvirt domain definition, as far as vireo supports it.
 *
 * Names describe the feature, not QEMU's spelling of it. parseDomainXml() fills
 * every default (implicit controllers and devices, device addresses), so code above conf/
 * never has to guess a missing value; the formatter prints the model back as
 * libvirt-compatible XML. Devices are in domain-model-devices.ts.
 */

import type { Devices } from './domain-model-devices.js';
import type { XmlTreeNode } from './xml.js';

export type * from './domain-model-devices.js';

export type DomainType = 'kvm' | 'qemu';
export type LifecycleAction = 'destroy' | 'restart' | 'preserve' | 'rename-restart';
export type CrashAction = LifecycleAction | 'coredump-destroy' | 'coredump-restart';
export type BootDevice = 'hd' | 'cdrom' | 'network' | 'fd';
/** libvirt's tri-state switches ('on'/'off' in the XML). */
export type OnOff = 'on' | 'off';

/** An element kept verbatim (e.g. a <metadata> child): name with prefix, attributes in order, mixed content. */
export type XmlTree = XmlTreeNode;

export interface FirmwareFeature {
  name: 'secure-boot' | 'enrolled-keys';
  enabled: boolean;
}

export interface Loader {
  /** Firmware image; absent when firmware autoselection fills it in at start. */
  path?: string;
  readonly?: boolean;
  type?: 'rom' | 'pflash';
  secure?: boolean;
}

export interface Nvram {
  /** Per-domain variable store; derived from the domain name when absent. */
  path?: string;
  /** Variable store template copied to `path` when that file does not exist yet. */
  template?: string;
}

export interface OsConfig {
  type: 'hvm';
  arch: 'x86_64';
  /** Machine type as written by the user, e.g. 'q35', 'pc', 'pc-q35-7.2'. */
  machine: string;
  /** <os firmware='efi'>: pick a matching firmware image at start. */
  firmware?: 'efi' | 'bios';
  /** <os><firmware><feature .../></firmware>: requirements for firmware autoselection. */
  firmwareFeatures?: FirmwareFeature[];
  loader?: Loader;
  nvram?: Nvram;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** <boot dev=.../> in order; empty when per-device boot order is used. */
  boot: BootDevice[];
  bootmenu?: { enable: boolean; timeoutMs?: number };
  /** Where SMBIOS tables come from: <sysinfo> ('sysinfo'), the host, or QEMU's defaults ('emulate'). */
  smbios?: 'sysinfo' | 'host' | 'emulate';
  /** <bios useserial rebootTimeout>. */
  bios?: { useserial?: boolean; rebootTimeoutMs?: number };
}

/** Hyper-V enlightenments with an on/off state (in libvirt's print order). */
export const HYPERV_FLAGS = [
  'relaxed', 'vapic', 'spinlocks', 'vpindex', 'runtime', 'synic', 'stimer', 'reset', 'vendor_id',
  'frequencies', 'reenlightenment', 'tlbflush', 'ipi', 'evmcs', 'avic',
] as const;
export type HypervFlag = (typeof HYPERV_FLAGS)[number];

export interface Hyperv {
  mode: 'custom' | 'passthrough';
  /** Every enlightenment written, with its state. */
  flags: Partial<Record<HypervFlag, OnOff>>;
  /** <spinlocks retries>. */
  spinlockRetries?: number;
  /** <stimer><direct state>. */
  stimerDirect?: OnOff;
  /** <vendor_id value>. */
  vendorId?: string;
}

export interface Features {
  acpi: boolean;
  apic: boolean;
  pae: boolean;
  /** <apic eoi>. */
  apicEoi?: OnOff;
  vmport?: OnOff;
  smm?: OnOff;
  hyperv?: Hyperv;
  /** <kvm><hidden state>: hide the KVM signature from the guest. */
  kvmHidden?: OnOff;
  pvspinlock?: OnOff;
  vmcoreinfo?: OnOff;
  pmu?: OnOff;
  /** <ioapic driver>. */
  ioapic?: 'qemu' | 'kvm';
}

export type TimerName = 'rtc' | 'pit' | 'hpet' | 'kvmclock' | 'hypervclock' | 'tsc' | 'platform';

export interface Timer {
  name: TimerName;
  present?: boolean;
  tickpolicy?: 'delay' | 'catchup' | 'merge' | 'discard';
  track?: 'boot' | 'guest' | 'wall' | 'realtime';
}

export interface ClockConfig {
  offset: 'utc' | 'localtime' | 'variable';
  /** Seconds added to the basis when offset='variable'. */
  adjustment?: number;
  basis?: 'utc' | 'localtime';
  timers: Timer[];
}

export interface PowerManagement {
  suspendToMem?: boolean;
  suspendToDisk?: boolean;
}

export interface VcpuConfig {
  /** Maximum vCPUs (<vcpu> text). */
  max: number;
  /** vCPUs online at boot (<vcpu current>). */
  current: number;
  placement: 'static' | 'auto';
  /** Host CPUs the vCPUs may run on, as written (e.g. '0-3,^2'). */
  cpuset?: string;
}

export interface CpuFeature {
  policy: 'force' | 'require' | 'optional' | 'disable' | 'forbid';
  name: string;
}

export interface NumaCell {
  id: number;
  cpus: string;
  memoryKiB: number;
  memAccess?: 'shared' | 'private';
}

export interface CpuConfig {
  mode: 'custom' | 'host-model' | 'host-passthrough' | 'maximum';
  match?: 'exact' | 'minimum' | 'strict';
  check?: 'none' | 'partial' | 'full';
  migratable?: OnOff;
  model?: { name: string; fallback?: 'allow' | 'forbid' };
  vendor?: string;
  topology?: { sockets: number; dies: number; cores: number; threads: number };
  features: CpuFeature[];
  cache?: { mode: 'emulate' | 'passthrough' | 'disable'; level?: number };
  numa?: NumaCell[];
}

export interface MemoryBacking {
  /** <hugepages>; an empty list means the default huge page size. */
  hugepages?: Array<{ sizeKiB?: number; nodeset?: string }>;
  nosharepages?: boolean;
  locked?: boolean;
  source?: 'file' | 'anonymous' | 'memfd';
  access?: 'shared' | 'private';
  allocation?: { mode: 'immediate' | 'ondemand'; threads?: number };
  discard?: boolean;
}

/** <vcpusched>: a real-time (or batch/idle) policy for some vCPU threads. */
export interface VcpuSched {
  vcpus: string;
  scheduler: 'fifo' | 'rr' | 'batch' | 'idle';
  priority?: number;
}

/** cputune: CFS shares/period/quota, pinning and vCPU scheduling, applied through cgroups at start and live. */
export interface CpuTune {
  shares?: number;
  period?: number;
  quota?: number;
  globalPeriod?: number;
  globalQuota?: number;
  emulatorPeriod?: number;
  emulatorQuota?: number;
  iothreadPeriod?: number;
  iothreadQuota?: number;
  vcpupin: Array<{ vcpu: number; cpuset: string }>;
  emulatorpin?: string;
  vcpusched?: VcpuSched[];
  /** <iothreadpin iothread cpuset>: the host CPUs an I/O thread may run on. */
  iothreadpin?: Array<{ iothread: number; cpuset: string }>;
  /** <iothreadsched iothreads scheduler priority>. */
  iothreadsched?: Array<{ iothreads: string; scheduler: VcpuSched['scheduler']; priority?: number }>;
}

/**
 * One I/O thread (<iothreadids><iothread>): QEMU's `iothread` object `iothreadID` that virtio
 * disks and virtio-scsi controllers may run their I/O in, off the main loop.
 */
export interface IOThread {
  id: number;
  /** thread_pool_min/max: the bounds of the thread's worker pool. */
  poolMin?: number;
  poolMax?: number;
  /**
   * Filled in from <iothreads>N alone (libvirt's autofill): printed in <iothreadids> only when
   * some other thread was given by id, as libvirt prints them.
   */
  autofill?: true;
}

/** memtune limits in KiB, applied to the guest's memory cgroup. */
export interface MemTune {
  hardLimitKiB?: number;
  softLimitKiB?: number;
  swapHardLimitKiB?: number;
  minGuaranteeKiB?: number;
}

export interface NumaTune {
  memory?: { mode: 'strict' | 'preferred' | 'interleave' | 'restrictive'; placement: 'static' | 'auto'; nodeset?: string };
  memnodes: Array<{ cellid: number; mode: 'strict' | 'preferred' | 'interleave' | 'restrictive'; nodeset: string }>;
}

export interface BlkioDevice {
  path: string;
  weight?: number;
  readBytesSec?: number;
  writeBytesSec?: number;
  readIopsSec?: number;
  writeIopsSec?: number;
}

export interface BlkioTune {
  weight?: number;
  devices: BlkioDevice[];
}

export interface SysinfoEntry {
  name: string;
  value: string;
}

/** <sysinfo type='smbios'>: the SMBIOS tables the guest sees with <smbios mode='sysinfo'/>. */
export interface Sysinfo {
  bios: SysinfoEntry[];
  system: SysinfoEntry[];
  baseBoards: SysinfoEntry[][];
  chassis: SysinfoEntry[];
  oemStrings: string[];
}

/**
 * <seclabel>: dynamic (the security driver picks a label at each start) or none. vireo has no
 * security driver yet; the elements are kept and printed so a definition from a libvirt host
 * round-trips. Static labels, which would have to be applied, are refused.
 */
export interface SecLabel {
  type: 'dynamic' | 'none';
  model?: string;
}

export interface DomainDef {
  type: DomainType;
  name: string;
  /** Lower-case canonical UUID; generated when absent. */
  uuid: string;
  title?: string;
  description?: string;
  /** Children of <metadata>, verbatim (namespaced elements of other applications). */
  metadata?: XmlTree[];
  /** Maximum memory in KiB (<memory>). */
  memoryKiB: number;
  /** Current (balloon target) memory in KiB (<currentMemory>); defaults to memoryKiB. */
  currentMemoryKiB: number;
  /** <maxMemory>: the hotplug ceiling and slots. */
  maxMemory?: { kib: number; slots: number };
  memoryBacking?: MemoryBacking;
  vcpu: VcpuConfig;
  /** I/O threads in <iothreadids> order (<iothreads> is their count). */
  iothreads?: IOThread[];
  cputune?: CpuTune;
  memtune?: MemTune;
  numatune?: NumaTune;
  blkiotune?: BlkioTune;
  /** <resource><partition>. */
  resourcePartition?: string;
  sysinfo?: Sysinfo;
  os: OsConfig;
  features: Features;
  cpu?: CpuConfig;
  clock: ClockConfig;
  onPoweroff: LifecycleAction;
  onReboot: LifecycleAction;
  onCrash: CrashAction;
  pm?: PowerManagement;
  devices: Devices;
  seclabels?: SecLabel[];
}
