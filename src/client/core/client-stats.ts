/** The statistics part of the typed client: vcpuinfo, vcpucount, domblkstat, domifstat, dommemstat, domblkerror, cpu-stats, nodecpumap, domstats. */
import type {
  BlockError, BlockStats, CpuStatsReply, DomainStatsRecord, DomainStatsRequest, InterfaceStats, MemStat, MemStatsPeriodRequest, NodeCpuMap, VcpuCount, VcpuInfoReply,
} from '../../api/stats-types.js';
import { enc } from './client-base.js';
import { StorageClient } from './client-storage.js';

export class StatsClient<Channel = unknown> extends StorageClient<Channel> {
  /** nodecpumap: the host's CPU count and which CPUs are online. */
  nodeCpuMap(): Promise<NodeCpuMap> {
    return this.t.request('GET', '/v1/host/cpumap');
  }

  /** domstats: many domains' statistics in one call. */
  domainStats(r: DomainStatsRequest = {}): Promise<DomainStatsRecord[]> {
    return this.t.request('POST', '/v1/domain-stats', r);
  }

  vcpuInfo(ref: string): Promise<VcpuInfoReply> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/vcpus`);
  }

  vcpuCount(ref: string, opts: { guest?: boolean } = {}): Promise<VcpuCount> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/vcpucount${opts.guest === true ? '?guest=1' : ''}`);
  }

  /** domblkstat: one disk's counters (target or source path) or every disk's summed. */
  blockStats(ref: string, device?: string): Promise<BlockStats> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/blockstats${device === undefined ? '' : `?device=${enc(device)}`}`);
  }

  /** domifstat: a NIC's counters, by tap name or MAC. */
  interfaceStats(ref: string, iface: string): Promise<InterfaceStats> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/ifstats?interface=${enc(iface)}`);
  }

  memoryStats(ref: string): Promise<MemStat[]> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/memstats`);
  }

  async setMemoryStatsPeriod(ref: string, r: MemStatsPeriodRequest): Promise<void> {
    await this.t.request('POST', `/v1/domains/${enc(ref)}/memstats/period`, r);
  }

  blockErrors(ref: string): Promise<BlockError[]> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/blockerrors`);
  }

  /** cpu-stats: the total always; per host CPU with `perCpu` (perCpuError says why it is missing). */
  cpuStats(ref: string, opts: { perCpu?: boolean } = {}): Promise<CpuStatsReply & { hostCpus: number; perCpuError?: string }> {
    return this.t.request('GET', `/v1/domains/${enc(ref)}/cpustats${opts.perCpu === true ? '?percpu=1' : ''}`);
  }
}
