/** Wire schemas of a guest's statistics (merged into wire-schemas.ts's SCHEMAS). */
import type { JsonSchema } from './schema.js';
import { STATS_FILTERS, STATS_GROUPS } from './stats-types.js';

const str = (description?: string): JsonSchema => (description === undefined ? { type: 'string' } : { type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description?: string): JsonSchema => (description === undefined ? { type: 'integer', minimum: 0 } : { type: 'integer', minimum: 0, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[] = Object.keys(properties)): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
const cpus = (description: string): JsonSchema => ({ type: 'array', items: int(), description });

export const STATS_SCHEMAS: Record<string, JsonSchema> = {
  NodeCpuMap: obj({ present: int('how many CPUs the host has'), online: cpus('the online ones') }),
  VcpuInfoReply: obj({
    hostCpus: int('how many CPUs the host has'),
    vcpus: {
      type: 'array',
      items: obj({
        vcpu: int(),
        cpu: nullable(int('the host CPU it last ran on; null when shut off')),
        state: nullable({ type: 'string', enum: ['running', 'offline', 'blocked'] }),
        cpuTimeNs: nullable(int('CPU time of its thread, ns')),
        affinity: cpus('host CPUs it may run on'),
      }),
    },
  }),
  VcpuCount: obj({
    maximumConfig: nullable(int()), maximumLive: nullable(int()), currentConfig: nullable(int()), currentLive: nullable(int()),
  }),
  BlockStats: obj({
    device: str("the disk asked for; '' for every disk summed"),
    rdReq: int(), rdBytes: int(), wrReq: int(), wrBytes: int(), flushReq: int(), rdTimeNs: int(), wrTimeNs: int(), flushTimeNs: int(),
  }),
  InterfaceStats: obj({
    interface: str('as the request named it'),
    rxBytes: int(), rxPackets: int(), rxErrs: int(), rxDrop: int(), txBytes: int(), txPackets: int(), txErrs: int(), txDrop: int(),
  }),
  MemStat: obj({ tag: str("virsh's tag: actual, swap_in, ..., rss"), value: int('KiB for sizes') }),
  MemStatsPeriodRequest: obj({
    period: int('seconds between the guest\'s reports; 0 turns them off'),
    live: bool('the running guest'),
    config: bool('the stored definition'),
  }, ['period']),
  BlockError: obj({ device: str(), error: str("libvirt's words: 'unspecified error' or 'no space'") }),
  CpuStats: obj({
    hostCpus: int(),
    total: obj({ cpuTimeNs: int(), userTimeNs: int(), systemTimeNs: int() }),
    cpus: { type: 'array', items: obj({ cpu: int(), cpuTimeNs: int(), vcpuTimeNs: int() }, ['cpu', 'cpuTimeNs']) },
    perCpuError: str('why the per-CPU part is missing'),
  }, ['hostCpus', 'total']),
  DomainStatsRequest: obj({
    domains: { type: 'array', items: str(), description: 'names, ids or UUIDs; absent: every domain the filters let through' },
    groups: { type: 'array', items: { type: 'string', enum: STATS_GROUPS }, description: 'absent: all' },
    filters: { type: 'array', items: { type: 'string', enum: STATS_FILTERS }, description: "virsh's --list-* filters" },
    backing: bool('also backing chains'),
    enforce: bool('fail when a group cannot be collected'),
    nowait: bool('do not wait for running jobs (vireo never does)'),
  }, []),
  DomainStatsRecord: obj({
    name: str(),
    stats: { type: 'object', properties: {}, description: "libvirt's field names (state.state, cpu.time, block.0.rd.bytes, ...) to numbers or strings, in libvirt's order" },
  }),
};
