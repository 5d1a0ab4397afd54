/**
 * IPv4 and IPv6 addresses as numbers: parsing, canonical formatting and subnet arithmetic, so that
 * the network driver can compare a network with the host's routes and write dnsmasq's netmasks.
 * Pure; no I/O.
 */
import { VireoError } from '../api/errors.js';

export type IpFamily = 'ipv4' | 'ipv6';

export interface IpAddr {
  family: IpFamily;
  value: bigint;
}

/** A subnet: its first address and prefix length. */
export interface Subnet {
  family: IpFamily;
  network: bigint;
  prefix: number;
}

export const familyBits = (f: IpFamily): number => (f === 'ipv4' ? 32 : 128);

/** Parse a dotted IPv4 or an IPv6 address (with `::` and an embedded IPv4 tail); undefined if invalid. */
export function parseIp(text: string): IpAddr | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): IpAddr | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return { family: 'ipv4', value: v };
}

function parseIpv6(text: string): IpAddr | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return { family: 'ipv6', value: all.reduce((v, g) => (v << 16n) | BigInt(g), 0n) };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpAddr): string {
  if (ip.family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const g = [...Array(8).keys()].map((i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1; // a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Parse an address or throw INVALID_ARG naming `what`. */
export function mustParseIp(text: string, what: string, family?: IpFamily): IpAddr {
  const ip = parseIp(text);
  if (ip === undefined) throw new VireoError('INVALID_ARG', `${what} '${text}' is not an IP address`);
  if (family !== undefined && ip.family !== family) throw new VireoError('INVALID_ARG', `${what} '${text}' is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  return ip;
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BigInt(familyBits(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** The subnet an address with a prefix length lies in. */
export function subnetOf(ip: IpAddr, prefix: number): Subnet {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > familyBits(ip.family)) {
    throw new VireoError('INVALID_ARG', `prefix ${prefix} is out of range for ${formatIp(ip)}`);
  }
  return { family: ip.family, network: ip.value & mask(ip.family, prefix), prefix };
}

/** `192.168.122.0/24`, `fd00::/64`. */
export function formatSubnet(s: Subnet): string {
  return `${formatIp({ family: s.family, value: s.network })}/${s.prefix}`;
}

/** Parse `A/P` (or a bare address, a host route) as a subnet; undefined if invalid. */
export function parseSubnet(text: string): Subnet | undefined {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  const prefix = len === undefined ? familyBits(ip.family) : /^[0-9]{1,3}$/.test(len) ? Number(len) : -1;
  if (prefix < 0 || prefix > familyBits(ip.family)) return undefined;
  return subnetOf(ip, prefix);
}

/** The IPv4 netmask of a prefix length, dotted (dnsmasq wants it in dhcp-range). */
export function netmaskOf(prefix: number): string {
  return formatIp({ family: 'ipv4', value: mask('ipv4', prefix) });
}

export function contains(s: Subnet, ip: IpAddr): boolean {
  return s.family === ip.family && (ip.value & mask(s.family, s.prefix)) === s.network;
}

/** True when two subnets share an address (one contains the other). */
export function overlaps(a: Subnet, b: Subnet): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & mask(a.family, p)) === (b.network & mask(b.family, p));
}

/** Number of addresses from start to end inclusive (0 when end < start or families differ). */
export function rangeSize(start: IpAddr, end: IpAddr): number {
  if (start.family !== end.family || end.value < start.value) return 0;
  return Number(end.value - start.value + 1n);
}
