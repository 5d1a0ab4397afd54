/**
 * Wire types of the vireod JSON API (HTTP/1.1 + JSON on a UNIX socket).
 * docs/api.md describes the routes; these types are the contract for both ends.
 */

/** virsh's domain states. */
export type DomainState = 'no state' | 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended';

/** A reason as virsh prints it, e.g. 'booted', 'user', 'destroyed' (see docs/states.md). */
export type StateReason = string;

/** What `list` and `dominfo` need about one domain. */
export interface DomainSummary {
  /** Runtime id while active, else null (virsh prints '-'). */
  id: number | null;
  name: string;
  uuid: string;
  state: DomainState;
  reason: StateReason;
  persistent: boolean;
  autostart: boolean;
  managedSave: boolean;
  hasSnapshot: boolean;
  title: string;
  osType: 'hvm';
  vcpus: number;
  /** KiB */
  maxMemoryKiB: number;
  /** KiB */
  usedMemoryKiB: number;
  /** Nanoseconds of CPU time used by the running guest; 0 when inactive. */
  cpuTimeNs: number;
}

export interface HostInfo {
  /** vireo version, e.g. '0.1.0'. */
  version: string;
  /** Version as libvirt encodes it: major*1e6 + minor*1e3 + micro. */
  versionNumber: number;
  hypervisor: { name: 'QEMU'; version: string; versionNumber: number } | null;
  hostname: string;
  /** The canonical URI of this daemon. */
  uri: string;
  kvm: { usable: boolean; reason: string | null };
}

export interface DefineRequest {
  xml: string;
  /** Check the XML against libvirt's domain.rng first (virsh define --validate). */
  validate?: boolean;
}

export interface CreateRequest {
  xml: string;
  paused?: boolean;
  validate?: boolean;
}

/** POST /v1/domxml-to-native: the QEMU command line for an XML document or a defined domain. */
export interface DomxmlToNativeRequest {
  /** Only 'qemu-argv'. */
  format: string;
  xml?: string;
  domain?: string;
}

export interface NativeResponse {
  /** One shell line: environment, emulator, arguments. */
  native: string;
}

export interface StartRequest {
  paused?: boolean;
}

export interface DestroyRequest {
  graceful?: boolean;
}

export interface ShutdownRequest {
  /** Only 'acpi' is supported without a guest agent. */
  mode?: string;
}

export interface AutostartRequest {
  enabled: boolean;
}

export interface XmlResponse {
  xml: string;
}

export interface ConsoleTail {
  /** Recent serial console output, base64 of raw bytes. */
  data: string;
}

/** GET /v1/domains/{ref}/ifaddr: the addresses of one guest NIC (domifaddr). */
export interface DomainIfAddr {
  /** The host tap; '-' for a NIC without one (type user). */
  name: string;
  mac: string;
  addrs: { type: 'ipv4' | 'ipv6'; addr: string; prefix: number }[];
}

/** POST /v1/domains/{ref}/link: domif-setlink. */
export interface LinkRequest {
  /** The host tap name or the MAC of the NIC. */
  interface: string;
  state: 'up' | 'down';
  config?: boolean;
}

/** GET /v1/domains/{ref}/link: domif-getlink. */
export interface LinkState {
  interface: string;
  state: 'up' | 'down';
}

/** A virtual network as `net-list` and `net-info` show it. */
export interface NetworkSummary {
  name: string;
  uuid: string;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  /** The host bridge; null for a network that has none (not yet defined with one). */
  bridge: string | null;
}

/** POST /v1/networks, /v1/networks/create: network XML. */
export interface NetworkDefineRequest {
  xml: string;
}

/** POST /v1/networks/{ref}/update: virsh net-update. */
export interface NetworkUpdateRequest {
  /** add | add-first | add-last | delete | modify */
  command: string;
  /** e.g. ip-dhcp-host, dns-host */
  section: string;
  /** the XML of the element to add, delete or modify */
  xml: string;
  /** which <ip> (or other parent) the section is in; default the first that fits */
  parentIndex?: number;
  live?: boolean;
  config?: boolean;
}

/** One DHCP lease of a network (net-dhcp-leases). */
export interface NetworkLease {
  /** Seconds since the epoch; 0 for a lease that never expires. */
  expiryTime: number;
  mac: string;
  type: 'ipv4' | 'ipv6';
  ip: string;
  prefix: number;
  hostname: string | null;
  clientId: string | null;
}

/** A host interface as `iface-list`, `iface-name` and `iface-mac` show it. */
export interface InterfaceSummary {
  name: string;
  type: 'ethernet' | 'bridge' | 'bond' | 'vlan';
  /** null for a config without a MAC whose device does not exist. */
  mac: string | null;
  /** The device exists and is up. */
  active: boolean;
  /** vireod has a config for it (iface-define). */
  persistent: boolean;
}

/** POST /v1/interfaces/{ref}/bridge: iface-bridge. */
export interface InterfaceBridgeRequest {
  bridge: string;
  stp: boolean;
  /** Forward delay in seconds. */
  delay?: number;
}

/** A network's lifecycle event (net-event), streamed by GET /v1/events beside domain events. */
export interface NetworkEvent {
  type: 'network-lifecycle';
  network: { name: string; uuid: string };
  /** 'Defined', 'Undefined', 'Started', 'Stopped' */
  event: string;
  timestamp: number;
}

/** A lifecycle event, as streamed by GET /v1/events (newline-delimited JSON). */
export interface DomainEvent {
  type: 'lifecycle' | 'reboot' | 'device-added' | 'device-removed' | 'balloon-change' | 'tunable' | 'block-threshold';
  domain: { name: string; uuid: string; id: number | null };
  /** balloon-change: the guest's memory now, KiB. */
  actualKiB?: number;
  /** e.g. 'Started', 'Stopped' */
  event?: string;
  /** e.g. 'Booted', 'Destroyed' */
  detail?: string;
  /** device-added, device-removed: the device id in the guest (e.g. 'net1'); block-threshold: the disk's target (vda). */
  device?: string;
  /** tunable: the changed parameters as [name, value] pairs, in libvirt's names ('cputune.cpu_shares'). */
  params?: Array<[string, string]>;
  /** block-threshold: the disk's image. */
  path?: string;
  /** block-threshold: the threshold that was crossed, and by how many bytes the write went past it. */
  threshold?: number;
  excess?: number;
  /** ms since epoch */
  timestamp: number;
}

/** GET /v1/host/nodeinfo: what `nodeinfo` prints. Sockets are per NUMA cell, as libvirt counts them. */
export interface NodeInfo {
  /** The CPU architecture, e.g. 'x86_64'. */
  model: string;
  cpus: number;
  mhz: number;
  /** NUMA cells. */
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
  memoryKiB: number;
}

/** GET /v1/host/cpustats[?cpu=N]: cumulative CPU times in nanoseconds. */
export interface NodeCpuStats {
  user: number;
  system: number;
  idle: number;
  iowait: number;
}

/** GET /v1/host/memstats[?cell=N]: memory in KiB (a NUMA cell has no buffers or cached). */
export interface NodeMemStats {
  total: number;
  free: number;
  buffers?: number;
  cached?: number;
}

/** GET /v1/host/freecells: free memory of one NUMA cell. */
export interface FreeCell {
  cell: number;
  freeKiB: number;
}

/** One line of GET /v1/host/validate, as virt-host-validate prints it. */
export interface HostCheck {
  /** What was checked, e.g. "for hardware virtualization" (printed after "Checking "). */
  check: string;
  result: 'PASS' | 'WARN' | 'FAIL';
  /** For WARN and FAIL: what it means or how to fix it. */
  advice?: string;
}

/** One disk, as domblklist shows it. */
export interface DomainDisk {
  type: 'file' | 'block' | 'volume' | 'network';
  device: 'disk' | 'cdrom' | 'floppy';
  target: string;
  bus: string;
  /** Host path, a volume's name (volume disks) or 'IQN/LUN' (iSCSI disks); null for an empty cdrom or floppy drive. */
  source: string | null;
  /** The pool of a volume disk's volume. */
  pool?: string;
  readonly: boolean;
}

/** One network interface, as domiflist shows it. */
export interface DomainInterface {
  /** The host tap device; null for type user (QEMU's own NAT) or before the guest runs. */
  name: string | null;
  type: 'user' | 'network' | 'bridge' | 'ethernet';
  /** The network or bridge name. */
  source: string | null;
  model: string;
  mac: string;
}

/** One graphical display, as domdisplay shows it. */
export interface DomainGraphics {
  type: 'vnc' | 'spice';
  listen: string;
  /** null: an automatic port not picked yet (the guest is not running). */
  port: number | null;
  tlsPort?: number;
  /** Only with security-info. */
  passwd?: string;
}

/** GET /v1/domains/{ref}/devices[?inactive=1][&security-info=1] */
export interface DomainDevices {
  disks: DomainDisk[];
  interfaces: DomainInterface[];
  graphics: DomainGraphics[];
}

/** GET /v1/domains/{ref}/job: the job a running domain is busy with, if any. */
export interface DomainJob {
  job: { name: string; kind: 'short' | 'long'; elapsedMs: number; progress: { processed: number; total: number } | null } | null;
  /** Jobs queued behind it. */
  waiting: number;
}

/** GET /v1/domains/{ref}/description[?title=1][&live=1|config=1] */
export interface DescriptionResponse {
  /** null when the domain has none. */
  text: string | null;
}

/** virsh's --live/--config (neither: the live definition of a running domain, else the stored one). */
export interface ModificationImpact {
  live?: boolean;
  config?: boolean;
}

/** POST /v1/domains/{ref}/memory and /maxmemory: setmem, setmaxmem. */
export interface MemoryRequest extends ModificationImpact {
  /** The new size in KiB. */
  kib: number;
}

/** POST /v1/domains/{ref}/vcpus: setvcpus. */
export interface VcpuRequest extends ModificationImpact {
  count: number;
  /** Change the maximum (stored definition only). */
  maximum?: boolean;
  /** Through the guest agent (refused: vireo has none yet). */
  guest?: boolean;
  /** Make added vCPUs hot-(un)pluggable (they always are in vireo). */
  hotpluggable?: boolean;
}

/** GET/POST /v1/host/memory-parameters: the host's KSM (node-memory-tune). null: not on this host. */
export interface NodeMemoryParameters {
  shm_pages_to_scan: number | null;
  shm_sleep_millisecs: number | null;
  shm_pages_shared: number | null;
  shm_pages_sharing: number | null;
  shm_pages_unshared: number | null;
  shm_pages_volatile: number | null;
  shm_full_scans: number | null;
  shm_merge_across_nodes: number | null;
}

/** POST /v1/host/memory-parameters: the KSM settings to change. */
export interface NodeMemoryTuneRequest {
  shm_pages_to_scan?: number;
  shm_sleep_millisecs?: number;
  shm_merge_across_nodes?: number;
}

/** POST /v1/domains/{ref}/description: set (empty text: remove) the title or the description. */
export interface DescriptionRequest extends ModificationImpact {
  title?: boolean;
  text: string;
}

/** POST /v1/domains/{ref}/metadata: set the element of a namespace (xml null: remove it). */
export interface MetadataRequest extends ModificationImpact {
  uri: string;
  /** The namespace prefix to store it with (needed to set). */
  key?: string;
  xml: string | null;
}

/**
 * POST /v1/domains/{ref}/devices/attach, /detach, /update: one device as libvirt XML (only
 * <interface> so far), with virsh's --live/--config (neither: the running guest if it runs,
 * else the stored definition).
 */
/** POST /v1/domains/{ref}/blockresize */
export interface BlockResizeRequest {
  /** The disk: its target (vda) or its source path. */
  disk: string;
  bytes: number;
}

/** GET /v1/domains/{ref}/iotune?disk=...: a disk's I/O limits by libvirt's names (0: none), as blkdeviotune lists them. */
export type IoTuneInfo = Record<string, number | string>;

/** POST /v1/domains/{ref}/iotune: the settings to change (0 removes one; group_name '' removes the group). */
export interface IoTuneRequest extends ModificationImpact {
  disk: string;
  values: Partial<Record<string, number>> & { group_name?: string };
}

/** One direction of a NIC's bandwidth limits (domiftune), in libvirt's units: kilobytes per second, burst in kibibytes; 0: none. */
export interface IfTuneRate {
  average: number;
  peak: number;
  burst: number;
  /** Inbound only: a guaranteed minimum (needs a network with its own <bandwidth>). */
  floor?: number;
}

/** GET /v1/domains/{ref}/iftune?iface=...: a NIC's limits: the running guest's, or the stored definition's (domiftune). */
export interface IfTuneInfo {
  inbound: IfTuneRate;
  outbound: IfTuneRate;
}

/** POST /v1/domains/{ref}/iftune: a direction given replaces that direction's limits (average and floor 0: none); one left out stays. */
export interface IfTuneRequest extends ModificationImpact {
  /** The NIC: its host tap name (vnet0) or its MAC. */
  iface: string;
  inbound?: IfTuneRate;
  outbound?: IfTuneRate;
}

/** POST /v1/domains/{ref}/blockthreshold */
export interface BlockThresholdRequest {
  disk: string;
  bytes: number;
}

export interface DeviceRequest extends ModificationImpact {
  xml: string;
}

/** What a device request did. */
export interface DeviceResult {
  /** The device's kind: its element name ('interface'). */
  device: string;
  /** The device id in the running guest (e.g. 'net1'); null when the guest was not changed. */
  alias: string | null;
  /** A NIC's MAC address. */
  mac: string | null;
  /**
   * Detach only: the guest has not let the device go yet (it was asked; the device leaves the live
   * definition, with a device-removed event, when it does).
   */
  pending: boolean;
}

/** POST /v1/domains/{ref}/save */
export interface SaveRequest {
  file: string;
  xml?: string;
  running?: boolean;
  paused?: boolean;
  bypassCache?: boolean;
}

/** POST /v1/domains/{ref}/dump */
export interface DumpRequest {
  file: string;
  memoryOnly?: boolean;
  format?: 'elf' | 'kdump-zlib' | 'kdump-lzo' | 'kdump-snappy';
  live?: boolean;
  crash?: boolean;
  reset?: boolean;
  bypassCache?: boolean;
}

/** POST /v1/domains/{ref}/managed-save */
export type ManagedSaveRequest = Omit<SaveRequest, 'file' | 'xml'>;

/** POST /v1/domains/restore */
export type RestoreRequest = SaveRequest;

/** POST /v1/save-image/define (file) and /v1/domains/{ref}/managed-save/define (no file). */
export interface SaveImageDefineRequest {
  file?: string;
  xml: string;
  running?: boolean;
  paused?: boolean;
}

/** POST /v1/domains/{ref}/rename (shut-off, persistent domains only, as libvirt). */
export interface RenameRequest {
  name: string;
}
export type * from './storage-types.js';
export type * from './iothread-types.js';
export type * from './snapshot-types.js';

/** One disk's sizes, as domblkinfo shows them; null where they cannot be known (virsh's '-'). */
export interface DomainBlockInfo {
  target: string;
  /** Bytes the guest sees. */
  capacity: number | null;
  /** Bytes the host really holds for the image (a running guest's from QEMU). */
  allocation: number | null;
  /** Size of the host file or device. */
  physical: number | null;
}

/** CPU scheduler parameters as schedinfo lists them (µs; quotas -1 for none; 0 where the definition has none). */
export interface SchedParams {
  cpuShares: number;
  vcpuPeriod: number;
  vcpuQuota: number;
  emulatorPeriod: number;
  emulatorQuota: number;
  globalPeriod: number;
  globalQuota: number;
  iothreadPeriod: number;
  iothreadQuota: number;
}

/** One device's block I/O weight and throttles (blkiotune). */
export interface BlkioDeviceTune {
  path: string;
  weight?: number;
  readBytesSec?: number;
  writeBytesSec?: number;
  readIopsSec?: number;
  writeIopsSec?: number;
}

/**
 * GET /v1/domains/{ref}/tuning[?live=1|config=1]: a guest's resource tuning, read from its cgroup
 * when running (schedinfo, memtune, blkiotune, numatune, vcpupin, emulatorpin).
 */
export interface DomainTuning {
  sched: SchedParams;
  /** KiB; null: unlimited. */
  memory: { hardLimitKiB: number | null; softLimitKiB: number | null; swapHardLimitKiB: number | null };
  blkio: { weight: number; devices: BlkioDeviceTune[] };
  numa: { mode: string; nodeset: string };
  /** Each vCPU's CPU affinity (a list such as '0-1'), by vCPU index. */
  vcpupin: string[];
  emulatorpin: string;
}

/** POST /v1/domains/{ref}/tuning: what to change (absent: unchanged). */
export interface TuningChange extends ModificationImpact {
  sched?: Partial<SchedParams>;
  /** KiB; null: unlimited. minGuaranteeKiB is refused as libvirt refuses it for QEMU. */
  memory?: { hardLimitKiB?: number | null; softLimitKiB?: number | null; swapHardLimitKiB?: number | null; minGuaranteeKiB?: number | null };
  /** Device values of 0 remove that setting. */
  blkio?: { weight?: number; devices?: BlkioDeviceTune[] };
  numa?: { mode?: string; nodeset?: string };
  vcpupin?: { vcpu: number; cpuset: string };
  emulatorpin?: string;
}

