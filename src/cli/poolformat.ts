/** Pure formatters and XML builders of the storage commands, byte-compatible with virsh 9.0. */
import type { PoolSummary, VolumeSummary } from '../api/types.js';
import { compareNames, pair } from './format.js';
import { renderTable } from './table.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** virsh's vshPrettyCapacity: "1.00 GiB", "196.00 KiB", "0.00 B". */
export function prettyCapacity(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${UNITS[u]!}`;
}

const size = (bytes: number, exact: boolean): string => (exact ? `${bytes} bytes` : prettyCapacity(bytes));

/** A size argument as virsh reads it ("10G", "512M", "1048576"); null when malformed. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (m === null) return null;
  const unit = m[2]!.toLowerCase();
  let scale: number;
  if (unit === '' || unit === 'b' || unit === 'bytes') scale = 1;
  else {
    const power = 'kmgtpe'.indexOf(unit[0]!) + 1;
    const rest = unit.slice(1);
    if (power === 0 || !['', 'ib', 'b'].includes(rest)) return null;
    scale = (rest === 'b' ? 1000 : 1024) ** power;
  }
  const n = Number(m[1]) * scale;
  return Number.isSafeInteger(n) ? n : null;
}

/** pool-list's selection switches. */
export interface PoolListOptions {
  all?: boolean;
  inactive?: boolean;
  persistent?: boolean;
  transient?: boolean;
  autostart?: boolean;
  noAutostart?: boolean;
  /** Comma-separated pool types. */
  type?: string;
  details?: boolean;
  name?: boolean;
  uuid?: boolean;
  quiet?: boolean;
}

export function selectPools(pools: readonly PoolSummary[], o: PoolListOptions): PoolSummary[] {
  const wantInactive = o.all === true || o.inactive === true;
  const wantActive = o.all === true || o.inactive !== true;
  const types = o.type === undefined ? undefined : o.type.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return pools
    .filter((p) => (p.active ? wantActive : wantInactive))
    .filter((p) => pair(o.persistent, o.transient, p.persistent) && pair(o.autostart, o.noAutostart, p.autostart))
    .filter((p) => types === undefined || types.includes(p.type))
    .sort((a, b) => compareNames(a.name, b.name));
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export function formatPoolList(pools: readonly PoolSummary[], o: PoolListOptions): string {
  const shown = selectPools(pools, o);
  // virsh pads names to 20 and UUIDs to 36 columns in these modes.
  if (o.name === true) return shown.map((p) => `${p.name.padEnd(20)}\n`).join('');
  if (o.uuid === true) return shown.map((p) => `${p.uuid.padEnd(36)}\n`).join('');
  if (o.details === true) {
    const dash = (n: number | null): string => (n === null ? '-' : prettyCapacity(n));
    const rows = shown.map((p) => [p.name, p.active ? 'running' : 'inactive', yesNo(p.autostart), yesNo(p.persistent), dash(p.capacity), dash(p.allocation), dash(p.available)]);
    return renderTable(['Name', 'State', 'Autostart', 'Persistent', 'Capacity', 'Allocation', 'Available'], rows, o.quiet !== true);
  }
  const rows = shown.map((p) => [p.name, p.active ? 'active' : 'inactive', yesNo(p.autostart)]);
  return renderTable(['Name', 'State', 'Autostart'], rows, o.quiet !== true);
}

function field(label: string, value: string): string {
  return `${label.padEnd(15)} ${value}\n`;
}

/** pool-info; the sizes only for an active pool. */
export function formatPoolInfo(p: PoolSummary, bytes: boolean): string {
  let s = field('Name:', p.name) + field('UUID:', p.uuid) + field('State:', p.active ? 'running' : 'inactive');
  s += field('Persistent:', yesNo(p.persistent)) + field('Autostart:', yesNo(p.autostart));
  if (p.active && p.capacity !== null && p.allocation !== null && p.available !== null) {
    // virsh 9.0 prints a pool's exact sizes as bare numbers (a volume's end in "bytes").
    const poolSize = (n: number): string => (bytes ? String(n) : prettyCapacity(n));
    s += field('Capacity:', poolSize(p.capacity)) + field('Allocation:', poolSize(p.allocation)) + field('Available:', poolSize(p.available));
  }
  return s;
}

export function formatVolList(vols: readonly VolumeSummary[], details: boolean, quiet: boolean): string {
  const sorted = [...vols].sort((a, b) => compareNames(a.name, b.name));
  if (details) {
    return renderTable(['Name', 'Path', 'Type', 'Capacity', 'Allocation'], sorted.map((v) => [v.name, v.path, v.type, prettyCapacity(v.capacity), prettyCapacity(v.allocation)]), !quiet);
  }
  return renderTable(['Name', 'Path'], sorted.map((v) => [v.name, v.path]), !quiet);
}

export function formatVolInfo(v: VolumeSummary, bytes: boolean): string {
  const base = field('Name:', v.name) + field('Type:', v.type) + field('Capacity:', size(v.capacity, bytes)) + field('Allocation:', size(v.allocation, bytes));
  // Beyond virsh: a volume a cut-off upload left part old, part new must not look whole.
  return v.incompleteUpload === undefined ? base : base + field('Incomplete:', v.incompleteUpload);
}

/** One pool event as virsh prints it. */
export function formatPoolEvent(name: string, event: string): string {
  return event === 'Refreshed' ? `event 'refresh' for storage pool ${name}\n` : `event 'lifecycle' for storage pool ${name}: ${event}\n`;
}

/** XML-escape text or an attribute value. */
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/** What pool-define-as / pool-create-as take. */
export interface PoolAsOptions {
  name: string;
  type: string;
  sourceHost?: string;
  sourcePath?: string;
  sourceDev?: string;
  sourceName?: string;
  sourceFormat?: string;
  sourceInitiator?: string;
  target?: string;
}

/** The pool XML virsh builds from pool-define-as' options (what --print-xml shows). */
export function poolXmlFromOptions(o: PoolAsOptions): string {
  let s = `<pool type='${esc(o.type)}'>\n  <name>${esc(o.name)}</name>\n`;
  const src: string[] = [];
  if (o.sourceHost !== undefined) src.push(`    <host name='${esc(o.sourceHost)}'/>\n`);
  if (o.sourcePath !== undefined) src.push(`    <dir path='${esc(o.sourcePath)}'/>\n`);
  if (o.sourceDev !== undefined) src.push(`    <device path='${esc(o.sourceDev)}'/>\n`);
  if (o.sourceInitiator !== undefined) src.push(`    <initiator>\n      <iqn name='${esc(o.sourceInitiator)}'/>\n    </initiator>\n`);
  if (o.sourceName !== undefined) src.push(`    <name>${esc(o.sourceName)}</name>\n`);
  if (o.sourceFormat !== undefined) src.push(`    <format type='${esc(o.sourceFormat)}'/>\n`);
  if (src.length > 0) s += `  <source>\n${src.join('')}  </source>\n`;
  if (o.target !== undefined) s += `  <target>\n    <path>${esc(o.target)}</path>\n  </target>\n`;
  return `${s}</pool>\n`;
}

/** The volume XML virsh builds from vol-create-as' options. */
export function volXmlFromOptions(o: { name: string; capacity: number; allocation?: number; format?: string; backing?: { path: string; format?: string } }): string {
  let s = `<volume>\n  <name>${esc(o.name)}</name>\n  <capacity>${o.capacity}</capacity>\n`;
  if (o.allocation !== undefined) s += `  <allocation>${o.allocation}</allocation>\n`;
  if (o.format !== undefined) s += `  <target>\n    <format type='${esc(o.format)}'/>\n  </target>\n`;
  if (o.backing !== undefined) {
    const fmt = o.backing.format === undefined ? '' : `    <format type='${esc(o.backing.format)}'/>\n`;
    s += `  <backingStore>\n    <path>${esc(o.backing.path)}</path>\n${fmt}  </backingStore>\n`;
  }
  return `${s}</volume>\n`;
}

/** The source specification virsh's find-storage-pool-sources-as builds (none without a host). */
export function sourceSpecXml(host: string | undefined, port: string | undefined, initiator: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  let s = `<source>\n  <host name='${esc(host)}'${port === undefined ? '' : ` port='${esc(port)}'`}/>\n`;
  if (initiator !== undefined) s += `  <initiator>\n    <iqn name='${esc(initiator)}'/>\n  </initiator>\n`;
  return `${s}</source>\n`;
}
