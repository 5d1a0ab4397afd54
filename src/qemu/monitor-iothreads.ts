/**
 * The monitor commands of I/O threads (iothreadinfo, iothreadadd/del, iothreadset, domstats
 * --iothread): query-iothreads parsed at the edge into typed values, object-add/object-del of
 * an `iothread` object, and qom-set of its tunables under /objects.
 */
import { VireoError } from '../api/errors.js';
import type { Monitor } from './monitor.js';

/** One I/O thread as QEMU reports it. */
export interface IothreadInfo {
  /** libvirt's number: 'iothread3' is 3. */
  id: number;
  threadId: number;
  pollMaxNs: number;
  pollGrow: number;
  pollShrink: number;
}

const rec = (v: unknown): Record<string, unknown> | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** query-iothreads, in QEMU's order (virsh prints it so); objects not named iothreadN are not the guest's. */
export function parseIothreads(reply: unknown): IothreadInfo[] {
  if (!Array.isArray(reply)) throw VireoError.of('QEMU_FAILED', "QEMU answered 'query-iothreads' with a reply vireo does not understand");
  return reply.flatMap((t) => {
    const r = rec(t);
    const m = typeof r?.id === 'string' ? /^iothread([1-9]\d*)$/.exec(r.id) : null;
    const threadId = num(r?.['thread-id']);
    if (m === null || threadId === undefined) return [];
    return [{ id: Number(m[1]), threadId, pollMaxNs: num(r?.['poll-max-ns']) ?? 0, pollGrow: num(r?.['poll-grow']) ?? 0, pollShrink: num(r?.['poll-shrink']) ?? 0 }];
  });
}

export async function queryIothreads(m: Monitor): Promise<IothreadInfo[]> {
  return parseIothreads(await m.execute('query-iothreads'));
}

/** Make an I/O thread object (argv's iothreadObject gives the properties). */
export async function addIothread(m: Monitor, props: Record<string, unknown>): Promise<void> {
  await m.execute('object-add', props);
}

export async function delIothread(m: Monitor, id: number): Promise<void> {
  await m.execute('object-del', { id: `iothread${id}` });
}

/** QEMU's names of the tunables iothreadset changes. */
export const IOTHREAD_PROPS = {
  pollMaxNs: 'poll-max-ns', pollGrow: 'poll-grow', pollShrink: 'poll-shrink', poolMin: 'thread-pool-min', poolMax: 'thread-pool-max',
} as const;

/** Set one tunable of a running I/O thread. */
export async function setIothreadProp(m: Monitor, id: number, prop: keyof typeof IOTHREAD_PROPS, value: number): Promise<void> {
  await m.qomSet(`/objects/iothread${id}`, IOTHREAD_PROPS[prop], value);
}
