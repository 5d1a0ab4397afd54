/**
 * IPv4/IPv6 addresses and subnets as plain values: parsing (strict: dotted quads, RFC 4291 text),
 * printing in the canonical form libvirt prints (inet_ntop's), masks, ranges and overlap tests.
 * Addresses are bigints so that both families share one arithmetic.
 */

export type IpFamily = 'ipv4' | 'ipv6';

/** One address. */
export interface IpAddr {
  family: IpFamily;
  value: bigint;
}

/** A subnet: its first address and the prefix length. */
export interface Cidr {
  family: IpFamily;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
}

export const bitsOf = (family: IpFamily): number => (family === 'ipv4' ? 32 : 128);

/** Parse a dotted-quad IPv4 address (no leading zeros, no short forms). */
export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Parse an IPv6 address in any RFC 4291 text form (with '::' and an optional dotted IPv4 tail). */
export function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let head = split(halves[0] ?? '');
  let tail = halves.length === 2 ? split(halves[1] ?? '') : [];
  // A dotted IPv4 tail stands for the last two groups.
  const expand = (list: string[]): string[] | undefined => {
    const last = list[list.length - 1];
    if (last === undefined || !last.includes('.')) return list;
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    return [...list.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
  };
  if (halves.length === 2) {
    const t = expand(tail);
    if (t === undefined) return undefined;
    tail = t;
    if (head.some((g) => g.includes('.'))) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    const h = expand(head);
    if (h === undefined) return undefined;
    head = h;
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

/** Parse an address of either family. */
export function parseIp(text: string): IpAddr | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 'ipv4', value: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 'ipv6', value: v6 };
}

export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/** RFC 5952 text, as glibc's inet_ntop prints it (including ::ffff:a.b.c.d for mapped IPv4). */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  }
  // The longest run of two or more zero groups (the first one on ties) becomes '::'.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function formatIp(addr: IpAddr): string {
  return addr.family === 'ipv4' ? formatIpv4(addr.value) : formatIpv6(addr.value);
}

/** The canonical text of an address string (undefined when it is not an address). */
export function canonicalIp(text: string): string | undefined {
  const a = parseIp(text);
  return a === undefined ? undefined : formatIp(a);
}

/** The mask of `prefix` leading one bits. */
export function prefixMask(family: IpFamily, prefix: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefix))) & all;
}

/** The prefix length of a contiguous IPv4 netmask, or undefined when the ones are not contiguous. */
export function netmaskPrefix(mask: bigint): number | undefined {
  for (let p = 0; p <= 32; p++) if (prefixMask('ipv4', p) === mask) return p;
  return undefined;
}

/** The prefix libvirt assumes for an IPv4 address given without one (the old class A/B/C rule). */
export function classfulPrefix(addr: bigint): number {
  const first = Number(addr >> 24n);
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return 32;
}

export function cidrOf(addr: IpAddr, prefix: number): Cidr {
  return { family: addr.family, network: addr.value & prefixMask(addr.family, prefix), prefix };
}

/** Parse 'ADDRESS/PREFIX' (or a bare address, meaning a host route); host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === undefined) return undefined;
  const max = bitsOf(addr.family);
  if (slash < 0) return cidrOf(addr, max);
  const p = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
  return cidrOf(addr, Number(p));
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.network })}/${c.prefix}`;
}

/** True when `addr` lies in `net`. */
export function cidrContains(net: Cidr, addr: IpAddr): boolean {
  return addr.family === net.family && (addr.value & prefixMask(net.family, net.prefix)) === net.network;
}

/** True when two subnets share at least one address (one contains the other). */
export function subnetsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = prefixMask(a.family, shorter);
  return (a.network & mask) === (b.network & mask);
}

/** The last address of a subnet (the IPv4 broadcast address). */
export function lastAddress(c: Cidr): bigint {
  return c.network | (~prefixMask(c.family, c.prefix) & ((1n << BigInt(bitsOf(c.family))) - 1n));
}
