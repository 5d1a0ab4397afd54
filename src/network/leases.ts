/**
 * dnsmasq's lease file (--dhcp-leasefile) as typed leases, for net-dhcp-leases and
 * `domifaddr --source lease`. dnsmasq reads the file back when it starts, so leases outlive a
 * dnsmasq restart; vireo only reads it.
 *
 * Format, one lease a line: IPv4 `EXPIRY MAC IP HOSTNAME CLIENTID`; after a `duid SERVER-DUID` line,
 * IPv6 `EXPIRY [T]IAID IP HOSTNAME DUID`. `*` stands for an absent hostname or client id; expiry
 * 0 means never.
 */
import { readFileIfExists } from '../util/atomic.js';
import { formatIp, parseIp, type IpFamily } from './ip.js';

export interface Lease {
  family: IpFamily;
  ip: string;
  /** When the lease ends, in seconds since the epoch; 0: never. */
  expiryTime: number;
  /** The client's MAC: from the lease (IPv4) or from a DUID that carries one (IPv6). */
  mac: string | undefined;
  /** IPv6 identity association id. */
  iaid: string | undefined;
  hostname: string | undefined;
  /** IPv4 client identifier, or the IPv6 client's DUID. */
  clientId: string | undefined;
}

const opt = (s: string | undefined): string | undefined => (s === undefined || s === '*' ? undefined : s);

/** The Ethernet MAC inside a DUID-LLT (type 1) or DUID-LL (type 3), if it carries one. */
function macOfDuid(duid: string): string | undefined {
  const b = duid.split(':');
  if (b.some((x) => !/^[0-9a-fA-F]{2}$/.test(x))) return undefined;
  const type = b.slice(0, 2).join('');
  const hw = b.slice(2, 4).join('');
  if (hw !== '0001') return undefined;
  const mac = type === '0001' && b.length === 14 ? b.slice(8) : type === '0003' && b.length === 10 ? b.slice(4) : undefined;
  return mac?.join(':').toLowerCase();
}

/** Parse a lease file; lines that do not parse are left out. */
export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  let v6 = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'duid') {
      v6 = true;
      continue;
    }
    if (f.length < 4 || !/^[0-9]+$/.test(f[0]!)) continue;
    const ip = parseIp(f[2]!);
    if (ip === undefined) continue;
    const clientId = opt(f[4]);
    if (v6 || ip.family === 'ipv6') {
      out.push({ family: 'ipv6', ip: formatIp(ip), expiryTime: Number(f[0]), mac: clientId === undefined ? undefined : macOfDuid(clientId), iaid: f[1]!.replace(/^T/, ''), hostname: opt(f[3]), clientId });
    } else {
      // A MAC of another hardware type than Ethernet is written TYPE-MAC.
      const mac = f[1]!.includes('-') ? f[1]!.slice(f[1]!.indexOf('-') + 1) : f[1]!;
      out.push({ family: 'ipv4', ip: formatIp(ip), expiryTime: Number(f[0]), mac: mac.toLowerCase(), iaid: undefined, hostname: opt(f[3]), clientId });
    }
  }
  return out;
}

/** The leases in a lease file; none when it does not exist yet. */
export async function readLeases(file: string): Promise<Lease[]> {
  return parseLeases((await readFileIfExists(file)) ?? '');
}
