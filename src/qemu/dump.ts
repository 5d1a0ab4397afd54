/**
 * The monitor commands of a memory-only dump (dump-guest-memory, query-dump,
 * query-dump-guest-memory-capability), their replies parsed at the edge into typed values.
 */
import { VireoError } from '../api/errors.js';
import type { Monitor } from './monitor.js';

/** virsh dump --format values; QEMU spells them the same. */
export const DUMP_FORMATS = ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy'] as const;
export type DumpFormat = (typeof DUMP_FORMATS)[number];

export const isDumpFormat = (s: string): s is DumpFormat => (DUMP_FORMATS as readonly string[]).includes(s);

export interface DumpStatus {
  status: 'none' | 'active' | 'completed' | 'failed';
  completed: number;
  total: number;
}

const rec = (v: unknown): Record<string, unknown> | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The formats this QEMU can write (kdump-lzo/snappy depend on its build). */
export async function dumpFormats(qmp: Monitor): Promise<DumpFormat[]> {
  return parseDumpFormats(await qmp.execute('query-dump-guest-memory-capability'));
}

export function parseDumpFormats(reply: unknown): DumpFormat[] {
  const formats = rec(reply)?.['formats'];
  if (!Array.isArray(formats)) throw VireoError.of('QEMU_FAILED', "QEMU answered 'query-dump-guest-memory-capability' with a reply vireo does not understand");
  return formats.filter((f): f is DumpFormat => typeof f === 'string' && isDumpFormat(f));
}

/** Start a detached memory dump into `protocol` (a "file:" path QEMU opens before it answers). */
export async function dumpGuestMemory(qmp: Monitor, protocol: string, format: DumpFormat): Promise<void> {
  await qmp.execute('dump-guest-memory', { paging: false, protocol, detach: true, format });
}

export async function queryDump(qmp: Monitor): Promise<DumpStatus> {
  return parseQueryDump(await qmp.execute('query-dump'));
}

export function parseQueryDump(reply: unknown): DumpStatus {
  const r = rec(reply);
  const status = r?.['status'];
  const completed = r?.['completed'];
  const total = r?.['total'];
  if ((status !== 'none' && status !== 'active' && status !== 'completed' && status !== 'failed') || typeof completed !== 'number' || typeof total !== 'number') {
    throw VireoError.of('QEMU_FAILED', "QEMU answered 'query-dump' with a reply vireo does not understand");
  }
  return { status, completed, total };
}

/** Write the display as PNG into `file` (QEMU opens it: a path in the guest's run directory). */
export async function screendump(qmp: Monitor, file: string, head?: { device: string; head: number }): Promise<void> {
  await qmp.execute('screendump', { filename: file, format: 'png', ...(head ?? {}) });
}
