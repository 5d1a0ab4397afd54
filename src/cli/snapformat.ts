/**
 * virsh 9.0's snapshot output (compared with libvirt-ref): snapshot-list's table (with --parent a
 * Parent column), its --tree drawing (vsh's tree printer), and snapshot-info's fields.
 */
import type { SnapshotSummary } from '../api/snapshot-types.js';
import { renderTable } from './table.js';

const two = (n: number): string => String(n).padStart(2, '0');

/** strftime's "%Y-%m-%d %H:%M:%S %z" in local time, as virsh prints a snapshot's creation time. */
export function creationTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}${two(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/** snapshot-list's table, rows in the order given. */
export function snapshotTable(list: readonly SnapshotSummary[], opts: { parent?: boolean; quiet?: boolean } = {}): string {
  const header = ['Name', 'Creation Time', 'State', ...(opts.parent === true ? ['Parent'] : [])];
  const rows = list.map((s) => [s.name, creationTime(s.creationTime), s.state, ...(opts.parent === true ? [s.parent ?? ''] : [])]);
  return renderTable(header, rows, opts.quiet !== true);
}

/**
 * snapshot-list --tree: each root with its subtree, drawn as virsh's tree printer does (children
 * in list order; a "|" line above a node's children; a trailing line of the indent after a last
 * child that has no children of its own).
 */
export function snapshotTree(list: readonly SnapshotSummary[]): string {
  const names = new Set(list.map((s) => s.name));
  const kids = (name: string): SnapshotSummary[] => list.filter((s) => s.parent === name);
  let out = '';
  const walk = (s: SnapshotSummary, indent: string, last: boolean, root: boolean): void => {
    out += `${indent}${root ? '' : '+- '}${s.name}\n`;
    const own = root ? indent : indent + (last ? '  ' : '| ');
    const children = kids(s.name);
    if (children.length > 0) out += `${own}  |\n`;
    children.forEach((c, i) => walk(c, `${own}  `, i === children.length - 1, false));
    if (children.length === 0 && last) out += `${own}\n`;
  };
  for (const r of list.filter((s) => s.parent === undefined || !names.has(s.parent))) walk(r, '', true, true);
  return out;
}

/** snapshot-info's fields. */
export function snapshotInfo(domain: string, s: SnapshotSummary): string {
  const rows: Array<[string, string]> = [
    ['Name', s.name], ['Domain', domain], ['Current', s.current ? 'yes' : 'no'], ['State', s.state],
    ['Location', s.location], ['Parent', s.parent ?? '-'], ['Children', String(s.children)],
    ['Descendants', String(s.descendants)], ['Metadata', 'yes'],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}\n`).join('');
}
