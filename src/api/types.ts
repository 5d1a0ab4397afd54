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

/** A lifecycle event, as streamed by GET /v1/events (newline-delimited JSON). */
export interface DomainEvent {
  type: 'lifecycle' | 'reboot';
  domain: { name: string; uuid: string; id: number | null };
  /** e.g. 'Started', 'Stopped' */
  event?: string;
  /** e.g. 'Booted', 'Destroyed' */
  detail?: string;
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
