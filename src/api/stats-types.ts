/** Wire types of a running guest's statistics (vcpuinfo, domblkstat, dommemstat, domstats, ...). */

/** One vCPU as vcpuinfo shows it; nulls for a shut-off guest (virsh's N/A). */
export interface VcpuInfo {
  vcpu: number;
  /** The host CPU its thread last ran on. */
  cpu: number | null;
  state: 'running' | 'offline' | 'blocked' | null;
  cpuTimeNs: number | null;
  /** Host CPUs it may run on. */
  affinity: number[];
}

export interface VcpuInfoReply {
  /** How many CPUs the host has (the length of virsh's affinity map). */
  hostCpus: number;
  vcpus: VcpuInfo[];
}

/** vcpucount's four numbers; null where a definition does not exist (live of a shut-off guest, config of a transient one). */
export interface VcpuCount {
  maximumConfig: number | null;
  maximumLive: number | null;
  currentConfig: number | null;
  currentLive: number | null;
}

/** One disk's counters (domblkstat), or every disk's summed (device ''). */
export interface BlockStats {
  device: string;
  rdReq: number;
  rdBytes: number;
  wrReq: number;
  wrBytes: number;
  flushReq: number;
  rdTimeNs: number;
  wrTimeNs: number;
  flushTimeNs: number;
}

/** One NIC's counters as the guest sees them (domifstat): a tap's host counters swapped. */
export interface InterfaceStats {
  /** The interface as the request named it. */
  interface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrs: number;
  rxDrop: number;
  txBytes: number;
  txPackets: number;
  txErrs: number;
  txDrop: number;
}

/** One dommemstat line: virsh's tag (actual, rss, unused, ...) and its value (KiB, counts, or seconds). */
export interface MemStat {
  tag: string;
  value: number;
}

/** dommemstat --period: the balloon's statistics period, live and/or in the config. */
export interface MemStatsPeriodRequest {
  period: number;
  live?: boolean;
  config?: boolean;
}

/** domblkerror: a disk with an I/O error (libvirt's words: 'unspecified error', 'no space'). */
export interface BlockError {
  device: string;
  error: string;
}

/** cpu-stats: the guest's CPU time, in total and per host CPU. */
export interface CpuStatsReply {
  total?: { cpuTimeNs: number; userTimeNs: number; systemTimeNs: number };
  /** Per host CPU from `start` on: cpu_time of the whole guest and vcpu_time of its vCPUs. */
  cpus?: Array<{ cpu: number; cpuTimeNs: number; vcpuTimeNs?: number }>;
}

/** nodecpumap: how many CPUs the host has and which are online. */
export interface NodeCpuMap {
  present: number;
  online: number[];
}

/** The groups of domstats, as virsh names its options. */
export const STATS_GROUPS = ['state', 'cpu-total', 'balloon', 'vcpu', 'interface', 'block', 'perf', 'iothread', 'memory', 'dirtyrate', 'vm'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];

/** Which domains domstats reports when no names are given (virsh's --list-* filters; none: all). */
export const STATS_FILTERS = ['active', 'inactive', 'persistent', 'transient', 'running', 'paused', 'shutoff', 'other'] as const;
export type StatsFilter = (typeof STATS_FILTERS)[number];

/** domstats over many domains in one request. */
export interface DomainStatsRequest {
  /** Domains by name, id or UUID; absent or empty: every domain the filters let through. */
  domains?: string[];
  /** Groups to collect; absent or empty: all. */
  groups?: StatsGroup[];
  filters?: StatsFilter[];
  /** Also each disk's backing chain (vireo's disks have none beyond the image: no extra entries). */
  backing?: boolean;
  /** Fail when a requested group cannot be collected instead of leaving it out. */
  enforce?: boolean;
  /** Do not wait for a domain's running job (vireo's queries never wait for jobs). */
  nowait?: boolean;
}

/** One domain's statistics: libvirt's field names (state.state, cpu.time, ...) with their values, in libvirt's order. */
export interface DomainStatsRecord {
  name: string;
  stats: Record<string, number | string>;
}
