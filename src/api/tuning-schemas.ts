/** Wire schemas of resource tuning (merged into wire-schemas.ts's SCHEMAS). */
import type { JsonSchema } from './schema.js';

const str = (description?: string): JsonSchema => (description === undefined ? { type: 'string' } : { type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description?: string): JsonSchema => (description === undefined ? { type: 'integer', minimum: 0 } : { type: 'integer', minimum: 0, description });
/** An integer that may be -1 (a CFS quota without limit). */
const sint = (description: string): JsonSchema => ({ type: 'integer', minimum: -1, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[] = Object.keys(properties)): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });

const SCHED = {
  cpuShares: int('cpu.shares (v1) or cpu.weight (v2)'),
  vcpuPeriod: int('CFS period of each vCPU thread, µs'),
  vcpuQuota: sint('CFS quota of each vCPU thread, µs; -1: none'),
  emulatorPeriod: int('CFS period of the emulator threads, µs'),
  emulatorQuota: sint('CFS quota of the emulator threads, µs; -1: none'),
  globalPeriod: int('CFS period of the whole guest, µs'),
  globalQuota: sint('CFS quota of the whole guest, µs; -1: none'),
  iothreadPeriod: int('CFS period of the I/O threads, µs'),
  iothreadQuota: sint('CFS quota of the I/O threads, µs; -1: none'),
};

const BLKIO_DEVICE = obj({
  path: str('the host block device'),
  weight: int('its weight (0: drop it)'),
  readBytesSec: int('read bytes per second (0: no limit)'),
  writeBytesSec: int('write bytes per second (0: no limit)'),
  readIopsSec: int('read operations per second (0: no limit)'),
  writeIopsSec: int('write operations per second (0: no limit)'),
}, ['path']);

const kib = (d: string): JsonSchema => nullable(int(`${d}, KiB; null: unlimited`));

export const TUNING_SCHEMAS: Record<string, JsonSchema> = {
  DomainTuning: obj({
    sched: obj(SCHED),
    memory: obj({ hardLimitKiB: kib('hard limit'), softLimitKiB: kib('soft limit'), swapHardLimitKiB: kib('memory plus swap limit') }),
    blkio: obj({ weight: int('I/O weight (0: none set)'), devices: { type: 'array', items: BLKIO_DEVICE } }),
    numa: obj({ mode: str("'strict', 'preferred', 'interleave' or 'restrictive'"), nodeset: str('host NUMA nodes, e.g. 0-1') }),
    vcpupin: { type: 'array', items: str("a vCPU's CPU affinity, e.g. '0-1'"), description: 'by vCPU index' },
    emulatorpin: str("the emulator threads' CPU affinity"),
  }),
  TuningChange: obj({
    live: bool('change the running guest'),
    config: bool('change the stored definition'),
    sched: obj(SCHED, []),
    memory: obj({ hardLimitKiB: kib('hard limit'), softLimitKiB: kib('soft limit'), swapHardLimitKiB: kib('memory plus swap limit'), minGuaranteeKiB: kib('refused under QEMU') }, []),
    blkio: obj({ weight: int('I/O weight, 100-1000'), devices: { type: 'array', items: BLKIO_DEVICE } }, []),
    numa: obj({ mode: str("'strict', 'preferred', 'interleave' or 'restrictive'"), nodeset: str('host NUMA nodes') }, []),
    vcpupin: obj({ vcpu: int('vCPU index'), cpuset: str("host CPUs, e.g. '0-1,^1'") }),
    emulatorpin: str("host CPUs for the emulator threads, e.g. '0'"),
  }, []),
};
