/**
 * The monitor commands of memory hot-plug: object-add/object-del of a module's memory backend and
 * query-memory-devices (where QEMU placed each module), each through Monitor.execute with the
 * reply parsed at the edge. The parser is exported for the unit tests (replies of QEMU 7.2).
 */
import { VireoError } from '../api/errors.js';
import type { Monitor } from './monitor.js';

const rec = (v: unknown): Record<string, unknown> | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** One plugged memory module, as QEMU reports it. */
export interface MemoryDeviceInfo {
  /** The device id (dimmN); absent for a module plugged without one. */
  id?: string;
  slot: number;
  /** Guest-physical address. */
  addr: number;
  sizeBytes: number;
  node: number;
}

export function parseMemoryDevices(reply: unknown): MemoryDeviceInfo[] {
  if (!Array.isArray(reply)) throw VireoError.of('QEMU_FAILED', "QEMU answered 'query-memory-devices' with a reply vireo does not understand");
  return reply.flatMap((d) => {
    const r = rec(d);
    const data = rec(r?.data);
    // nvdimm and virtio-mem devices have other shapes; vireo plugs pc-dimm ones only.
    if (r?.type !== 'dimm' || data === undefined) return [];
    const { slot, addr, size, node, id } = data;
    if (typeof slot !== 'number' || typeof addr !== 'number' || typeof size !== 'number' || typeof node !== 'number') return [];
    return [{ ...(typeof id === 'string' ? { id } : {}), slot, addr, sizeBytes: size, node }];
  });
}

/** The memory modules QEMU has plugged. */
export async function queryMemoryDevices(m: Monitor): Promise<MemoryDeviceInfo[]> {
  return parseMemoryDevices(await m.execute('query-memory-devices'));
}

/** Create a QOM object (a memory backend) with object-add's properties (`qom-type`, `id`, ...). */
export async function objectAdd(m: Monitor, props: Record<string, unknown>): Promise<void> {
  await m.execute('object-add', props);
}

/** Delete a QOM object by id (a backend no device uses any more). */
export async function objectDel(m: Monitor, id: string): Promise<void> {
  await m.execute('object-del', { id });
}
