/** Handlers of the statistics routes: each turns one checked request into one call of daemon/domain/stats.ts or domstats.ts. */
import type { MemStatsPeriodRequest, NodeCpuMap } from '../../api/stats-types.js';
import { domainStats } from '../../daemon/domain/domstats.js';
import { blockErrors, blockStats, cpuStats, interfaceStats, memoryStats, setMemoryStatsPeriod, vcpuCount, vcpuInfo } from '../../daemon/domain/stats.js';
import { hostCpuMap } from '../../host/taskstat.js';
import type { HandlerTable } from './call.js';
import { hostRoot } from './host.js';

type StatsId = 'host.cpumap' | 'domain.stats' | 'domain.vcpuInfo' | 'domain.vcpuCount' | 'domain.blockStats' | 'domain.interfaceStats'
  | 'domain.memoryStats' | 'domain.setMemoryStatsPeriod' | 'domain.blockErrors' | 'domain.cpuStats';

export const statsHandlers: HandlerTable<StatsId> = {
  'host.cpumap': (): Promise<NodeCpuMap> => hostCpuMap(hostRoot()),
  // The schema check has run: the body is a DomainStatsRequest (every field optional).
  'domain.stats': ({ daemon, body }) => domainStats(daemon.domains.host, body),
  'domain.vcpuInfo': ({ daemon, ref }) => vcpuInfo(daemon.domains.host, ref, hostRoot()),
  'domain.vcpuCount': ({ daemon, ref, query }) => vcpuCount(daemon.domains.host, ref, { guest: query.flag('guest') }),
  'domain.blockStats': ({ daemon, ref, query }) => blockStats(daemon.domains.host, ref, query.str('device')),
  'domain.interfaceStats': ({ daemon, ref, query }) => interfaceStats(daemon.domains.host, ref, query.str('interface') ?? ''),
  'domain.memoryStats': ({ daemon, ref }) => memoryStats(daemon.domains.host, ref),
  'domain.setMemoryStatsPeriod': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await setMemoryStatsPeriod(daemon.domains.host, ref, body as unknown as MemStatsPeriodRequest);
    return {};
  },
  'domain.blockErrors': ({ daemon, ref }) => blockErrors(daemon.domains.host, ref),
  'domain.cpuStats': ({ daemon, ref, query }) => cpuStats(daemon.domains.host, ref, { perCpu: query.flag('percpu') }, hostRoot()),
};
