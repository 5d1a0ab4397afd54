/** Routes of a guest's statistics (vcpuinfo, domblkstat, dommemstat, domstats, ...), spread into routes.ts's declarations. */
const D = '/v1/domains/{ref}';

export const STATS_ROUTES = [
  { id: 'host.cpumap', access: 'read', method: 'GET', path: '/v1/host/cpumap', summary: "how many CPUs the host has and which are online (nodecpumap)", response: 'NodeCpuMap' },
  {
    id: 'domain.stats', access: 'read', method: 'POST', path: '/v1/domain-stats', request: 'DomainStatsRequest', response: 'DomainStatsRecord', shape: 'array',
    summary: "statistics of many domains in one call, with libvirt's field names (domstats); domains are gathered in parallel",
  },
  { id: 'domain.vcpuInfo', access: 'read', method: 'GET', path: `${D}/vcpus`, summary: "each vCPU's host CPU, state, CPU time and affinity (vcpuinfo)", response: 'VcpuInfoReply' },
  {
    id: 'domain.vcpuCount', access: 'read', method: 'GET', path: `${D}/vcpucount`, summary: 'maximum and current vCPUs of the stored and live definitions (vcpucount)', response: 'VcpuCount',
    query: [{ name: 'guest', type: 'flag', description: "as the guest agent sees them (needs a guest agent channel)" }],
  },
  {
    id: 'domain.blockStats', access: 'read', method: 'GET', path: `${D}/blockstats`, summary: "a running guest's disk I/O counters (domblkstat)", response: 'BlockStats',
    query: [{ name: 'device', type: 'string', description: 'one disk (target or source path); without it every disk summed' }],
  },
  {
    id: 'domain.interfaceStats', access: 'read', method: 'GET', path: `${D}/ifstats`, summary: "a running guest's NIC counters as the guest sees them (domifstat)", response: 'InterfaceStats',
    query: [{ name: 'interface', type: 'string', required: true, description: 'the host tap name or the MAC' }],
  },
  { id: 'domain.memoryStats', access: 'read', method: 'GET', path: `${D}/memstats`, summary: "balloon size, the guest's memory statistics and QEMU's RSS (dommemstat)", response: 'MemStat', shape: 'array' },
  { id: 'domain.setMemoryStatsPeriod', access: 'write', method: 'POST', path: `${D}/memstats/period`, summary: "how often the balloon driver sends the guest's statistics, live and/or in the config (dommemstat --period)", request: 'MemStatsPeriodRequest', response: 'Done' },
  { id: 'domain.blockErrors', access: 'read', method: 'GET', path: `${D}/blockerrors`, summary: 'disks stopped on an I/O error (domblkerror)', response: 'BlockError', shape: 'array' },
  {
    id: 'domain.cpuStats', access: 'read', method: 'GET', path: `${D}/cpustats`, summary: "the guest's CPU time in total and per host CPU (cpu-stats)", response: 'CpuStats',
    query: [{ name: 'percpu', type: 'flag', description: 'also per host CPU (needs the guest in its own cpuacct cgroup; perCpuError says why not)' }],
  },
] as const;
