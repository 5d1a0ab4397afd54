/** Wire schemas of I/O threads (merged into wire-schemas.ts's SCHEMAS). */
import type { JsonSchema } from './schema.js';

const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description: string, minimum = 0): JsonSchema => ({ type: 'integer', minimum, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[]): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });

const IMPACT = { live: bool('change the running guest'), config: bool('change the stored definition') };
const ID = int('the I/O thread id (iothreadN in QEMU); 0 names none');

export const IOTHREAD_SCHEMAS: Record<string, JsonSchema> = {
  IothreadEntry: obj({ id: ID, affinity: { type: 'string', description: "host CPUs the thread may run on, e.g. '0-1'" } }, ['id', 'affinity']),
  IothreadRequest: obj({ ...IMPACT, id: ID }, ['id']),
  IothreadPinRequest: obj({ ...IMPACT, id: ID, cpuset: { type: 'string', description: "host CPUs, e.g. '0-1,^1'" } }, ['id', 'cpuset']),
  IothreadSetRequest: obj({
    ...IMPACT, id: ID,
    pollMaxNs: int('the most time the thread polls before it sleeps, ns (live only)'),
    pollGrow: int('how much the polling time grows (live only)'),
    pollShrink: int('how much the polling time shrinks (live only)'),
    poolMin: int("the worker pool's lower bound; -1: QEMU's default", -1),
    poolMax: int("the worker pool's upper bound; -1: QEMU's default", -1),
  }, ['id']),
};
