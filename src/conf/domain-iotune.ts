/**
 * A disk's <iotune>: QEMU's I/O throttling, as libvirt names its settings (blkdeviotune). Each
 * is a number (bytes or operations per second, burst maxima, burst lengths in seconds) but
 * group_name, which names a throttle group shared by several disks.
 */
import type { XNode } from './xml-reader.js';

/** The numeric settings, in libvirt's order (the XML's, and blkdeviotune's listing's). */
export const IOTUNE_NUMBERS = [
  'total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec', 'total_iops_sec', 'read_iops_sec', 'write_iops_sec',
  'total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max', 'total_iops_sec_max', 'read_iops_sec_max', 'write_iops_sec_max',
  'size_iops_sec',
  'total_bytes_sec_max_length', 'read_bytes_sec_max_length', 'write_bytes_sec_max_length',
  'total_iops_sec_max_length', 'read_iops_sec_max_length', 'write_iops_sec_max_length',
] as const;

export type IotuneNumber = (typeof IOTUNE_NUMBERS)[number];

/** A disk's throttling: only the settings given (absent = 0, no limit). */
export type Iotune = Partial<Record<IotuneNumber, number>> & { group_name?: string };

/** Read <iotune>; libvirt's refusals of a total together with its read or write part. */
export function parseIotune(node: XNode): Iotune {
  node.check({ one: [...IOTUNE_NUMBERS, 'group_name'] });
  const out: Iotune = {};
  for (const k of IOTUNE_NUMBERS) {
    const el = node.child(k);
    if (el === undefined) continue;
    const text = el.check({ text: true }).text().trim();
    if (!/^\d{1,19}$/.test(text) || !Number.isSafeInteger(Number(text))) throw el.invalidValue(text, k, 'expected a whole number');
    if (Number(text) > 0) out[k] = Number(text);
  }
  const group = node.child('group_name');
  if (group !== undefined) out.group_name = group.check({ text: true }).text();
  checkIotune(out);
  return out;
}

/** libvirt's rules: a total excludes its read and write parts; a burst needs its rate. */
export function checkIotune(t: Iotune): void {
  for (const [total, r, w] of [['total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec'], ['total_iops_sec', 'read_iops_sec', 'write_iops_sec']] as const) {
    for (const suffix of ['', '_max'] as const) {
      if ((t[`${total}${suffix}`] ?? 0) > 0 && ((t[`${r}${suffix}`] ?? 0) > 0 || (t[`${w}${suffix}`] ?? 0) > 0)) {
        throw new IotuneError(`total and read/write of ${total.startsWith('total_bytes') ? 'bytes' : 'iops'}_sec${suffix} cannot be set at the same time`, 'invalid');
      }
    }
  }
  for (const k of IOTUNE_NUMBERS) {
    if (!k.endsWith('_max') || (t[k] ?? 0) === 0) continue;
    const base = k.slice(0, -4) as IotuneNumber;
    if ((t[base] ?? 0) === 0) throw new IotuneError(`cannot reset '${base}' when '${k}' is set`, 'unsupported');
  }
}

/** A refused combination of settings: libvirt calls one kind invalid, the other unsupported. */
export class IotuneError extends Error {
  constructor(message: string, readonly kind: 'invalid' | 'unsupported') {
    super(message);
  }
}

/** The settings that are set, in libvirt's order, for <iotune>. */
export function iotuneEntries(t: Iotune): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const k of IOTUNE_NUMBERS.slice(0, 13)) if ((t[k] ?? 0) > 0) out.push([k, String(t[k])]);
  if (t.group_name !== undefined) out.push(['group_name', t.group_name]);
  for (const k of IOTUNE_NUMBERS.slice(13)) if ((t[k] ?? 0) > 0) out.push([k, String(t[k])]);
  return out;
}
