/** Pure formatters for the network commands' output, byte-compatible with virsh 9.0. */
import type { NetworkLease, NetworkSummary } from '../api/types.js';
import { renderTable } from './table.js';
import { compareNames, pair } from './format.js';

/** The selection and display switches of `net-list`. */
export interface NetListOptions {
  all?: boolean;
  inactive?: boolean;
  persistent?: boolean;
  transient?: boolean;
  autostart?: boolean;
  noAutostart?: boolean;
  name?: boolean;
  uuid?: boolean;
  /** Quiet mode: no table header. */
  quiet?: boolean;
}

function byFolded<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => compareNames(key(a), key(b));
}

/** The networks `net-list` shows, in its order (by name, case-insensitively). */
export function selectNetworks(networks: readonly NetworkSummary[], o: NetListOptions): NetworkSummary[] {
  // Without --all only active networks show; --inactive switches to the inactive ones.
  const wantInactive = o.all === true || o.inactive === true;
  const wantActive = o.all === true || o.inactive !== true;
  return networks
    .filter((n) => (n.active ? wantActive : wantInactive))
    .filter((n) => pair(o.persistent, o.transient, n.persistent) && pair(o.autostart, o.noAutostart, n.autostart))
    .sort(byFolded((n) => n.name));
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** The whole output of `net-list` for the given networks (filtered and sorted here). */
export function formatNetList(networks: readonly NetworkSummary[], o: NetListOptions): string {
  const shown = selectNetworks(networks, o);
  if (o.name === true) return shown.map((n) => `${n.name}\n`).join('');
  if (o.uuid === true) return shown.map((n) => `${n.uuid}\n`).join('');
  const rows = shown.map((n) => [n.name, n.active ? 'active' : 'inactive', yesNo(n.autostart), yesNo(n.persistent)]);
  return renderTable(['Name', 'State', 'Autostart', 'Persistent'], rows, o.quiet !== true);
}

/** `%-15s %s`: the label column of net-info. */
function field(label: string, value: string): string {
  return `${label.padEnd(15)} ${value}\n`;
}

/** net-info's lines; a network without a bridge (macvtap, hostdev) has no Bridge line, as in virsh. */
export function formatNetInfo(n: NetworkSummary): string {
  let s = field('Name:', n.name);
  s += field('UUID:', n.uuid);
  s += field('Active:', yesNo(n.active));
  s += field('Persistent:', yesNo(n.persistent));
  s += field('Autostart:', yesNo(n.autostart));
  if (n.bridge !== null) s += field('Bridge:', n.bridge);
  return s;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** A lease's expiry as virsh prints it: local time, `YYYY-MM-DD HH:MM:SS` (0, "never", is the epoch). */
export function leaseTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The leases in net-dhcp-leases' order: by MAC address. */
export function sortLeases(leases: readonly NetworkLease[]): NetworkLease[] {
  return [...leases].sort(byFolded((l) => l.mac));
}

/** net-dhcp-leases' table; a missing hostname or client id shows as '-'. */
export function formatLeases(leases: readonly NetworkLease[], quiet = false): string {
  const rows = sortLeases(leases).map((l) => [
    leaseTime(l.expiryTime), l.mac, l.type, `${l.ip}/${l.prefix}`, l.hostname ?? '-', l.clientId ?? '-',
  ]);
  return renderTable(['Expiry Time', 'MAC address', 'Protocol', 'IP address', 'Hostname', 'Client ID or DUID'], rows, !quiet);
}

/** One network event as virsh prints it: `event 'lifecycle' for network NAME: Started`. */
export function formatNetEvent(name: string, event: string): string {
  return `event 'lifecycle' for network ${name}: ${event}\n`;
}

/**
 * A UUID as libvirt reads one (hex pairs, '-' or ' ' allowed between them, whitespace around),
 * in its canonical form; null when `text` is not one.
 */
export function parseUuid(text: string): string | null {
  const s = text.replace(/^\s+/, '').replace(/\s+$/, '');
  let hex = '';
  let i = 0;
  while (hex.length < 32) {
    const ch = s[i];
    if (ch === undefined) return null;
    if (ch === '-' || ch === ' ') {
      i++;
      continue;
    }
    const pair = s.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) return null;
    hex += pair.toLowerCase();
    i += 2;
  }
  if (i !== s.length) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
