/**
 * Linux bridges for virtual networks: create (name, MAC, MTU, STP and forward delay), address,
 * remove; and the checks libvirt makes first (a name already in use, a subnet already routed here).
 */
import { writeFile } from 'node:fs/promises';
import { VireoError } from '../api/errors.js';
import { ip, getLink, listRoutes, type RouteInfo } from './iproute.js';
import { formatIp, formatSubnet, mustParseIp, overlaps, subnetOf, type IpFamily, type Subnet } from './ip.js';
import type { BridgeSpec } from './types.js';

/**
 * Interface names vireo creates or writes into firewall rules: what the kernel accepts (1-15
 * bytes, no '/', ':' or white space), narrowed to characters nft takes in an unquoted chain name.
 */
export function checkIfname(name: string, what: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new VireoError('INVALID_ARG', `${what} '${name}' is not a valid interface name`, {
      hint: 'use 1 to 15 letters, digits, "_", "." or "-"',
    });
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A MAC in lower case with colons, or INVALID_ARG. */
export function checkMac(mac: string, what: string): string {
  const m = mac.toLowerCase();
  if (!MAC.test(m)) throw new VireoError('INVALID_ARG', `${what} '${mac}' is not a MAC address`);
  if ((parseInt(m.slice(0, 2), 16) & 1) === 1) throw new VireoError('INVALID_ARG', `${what} '${mac}' is a multicast address`);
  return m;
}

/** True when a network device of that name exists in this namespace. */
export async function linkExists(name: string): Promise<boolean> {
  return (await getLink(name)) !== undefined;
}

export interface RouteConflict {
  /** The network's subnet that collides, e.g. 192.168.122.0/24. */
  subnet: string;
  /** The route already on the host, e.g. 192.168.0.0/16. */
  route: string;
  /** The device the route goes through (libvirt: "already in use by interface X"). */
  dev: string | undefined;
}

/**
 * The first route of the main table that overlaps one of the subnets, if any. libvirt refuses only
 * an exact match; an overlap is refused here too, since guests on it could not reach the routed
 * part. The default route does not count.
 */
export async function findRouteConflict(subnets: readonly Subnet[]): Promise<RouteConflict | undefined> {
  for (const family of ['ipv4', 'ipv6'] as IpFamily[]) {
    const mine = subnets.filter((s) => s.family === family);
    if (mine.length === 0) continue;
    const routes = await listRoutes(family);
    for (const s of mine) {
      const hit = routes.find((r): r is RouteInfo & { dst: Subnet } => r.dst !== undefined && r.dst.prefix > 0 && !isLinkLocalOrMulticast(r.dst) && overlaps(r.dst, s));
      if (hit !== undefined) return { subnet: formatSubnet(s), route: formatSubnet(hit.dst), dev: hit.dev };
    }
  }
  return undefined;
}

// Every IPv6 device has fe80::/64 and ff00::/8 routes; they say nothing about a subnet in use.
function isLinkLocalOrMulticast(s: Subnet): boolean {
  return s.family === 'ipv6' && (s.network >> 118n === 0x3fan || s.network >> 120n === 0xffn);
}

/** Create the bridge, down, with its MAC, MTU, STP and forward delay. */
export async function createBridge(b: BridgeSpec): Promise<void> {
  checkIfname(b.name, 'bridge name');
  const args = ['link', 'add', 'name', b.name];
  if (b.mac !== undefined) args.push('address', checkMac(b.mac, 'bridge MAC'));
  if (b.mtu !== undefined) {
    if (!Number.isInteger(b.mtu) || b.mtu < 68 || b.mtu > 65535) throw new VireoError('INVALID_ARG', `MTU ${b.mtu} is out of range (68-65535)`);
    args.push('mtu', String(b.mtu));
  }
  const delay = b.delay ?? 0;
  if (!Number.isInteger(delay) || delay < 0 || delay > 30) throw new VireoError('INVALID_ARG', `bridge forward delay ${delay} is out of range (0-30 seconds)`);
  // The delay goes in before STP is switched on: the kernel refuses a delay under 2 s while STP
  // runs, and raises it to 2 s itself when STP starts (what libvirt's bridges show too).
  args.push('type', 'bridge', 'forward_delay', String(delay * 100), 'stp_state', b.stp === false ? '0' : '1');
  try {
    await ip(args, `create bridge ${b.name}`);
  } catch (e) {
    if (e instanceof VireoError && /File exists/.test(e.message)) {
      throw new VireoError('OPERATION_INVALID', `bridge name '${b.name}' is already in use`, { cause: e });
    }
    throw e;
  }
}

/** Bring a device up or down. */
export async function setLinkUp(name: string, up: boolean): Promise<void> {
  await ip(['link', 'set', 'dev', name, up ? 'up' : 'down'], `set ${name} ${up ? 'up' : 'down'}`);
}

/** Remove a bridge (its ports are released, not deleted); no error when it is already gone. */
export async function deleteBridge(name: string): Promise<void> {
  const link = await getLink(name);
  if (link === undefined) return;
  if (link.kind !== 'bridge') throw new VireoError('OPERATION_INVALID', `device '${name}' is not a bridge; not removing it`);
  await ip(['link', 'del', 'dev', name], `remove bridge ${name}`);
}

/**
 * Put IPv4 addresses (with their broadcast) and IPv6 addresses on a device. IPv6 addresses skip
 * duplicate address detection: the network owns its subnet, and a bridge without ports never
 * finishes DAD, which would leave dnsmasq without an address to serve from.
 */
export async function addAddress(dev: string, address: string, prefix: number): Promise<void> {
  const a = mustParseIp(address, 'bridge address');
  subnetOf(a, prefix);
  const cidr = `${formatIp(a)}/${prefix}`;
  const args = a.family === 'ipv4' ? ['addr', 'add', cidr, 'broadcast', '+', 'dev', dev] : ['-6', 'addr', 'add', cidr, 'dev', dev, 'nodad'];
  await ip(args, `add address ${cidr} to ${dev}`);
}

/** Add a static route through a gateway on the bridge (`<route>`). */
export async function addRoute(dev: string, dst: Subnet, gateway: string, metric?: number): Promise<void> {
  const args = [dst.family === 'ipv4' ? '-4' : '-6', 'route', 'add', formatSubnet(dst), 'via', formatIp(mustParseIp(gateway, 'route gateway', dst.family)), 'dev', dev];
  if (metric !== undefined) args.push('metric', String(metric));
  await ip(args, `add route ${formatSubnet(dst)} via ${gateway}`);
}

/**
 * IPv6 settings of a network's bridge, as libvirt makes them: no router advertisements or
 * autoconfiguration taken from guests, and IPv6 off entirely when the network has no IPv6.
 */
export async function setBridgeIpv6(dev: string, enabled: boolean): Promise<void> {
  const base = `/proc/sys/net/ipv6/conf/${dev}`;
  try {
    await writeFile(`${base}/disable_ipv6`, enabled ? '0' : '1');
    if (enabled) {
      await writeFile(`${base}/accept_ra`, '0');
      await writeFile(`${base}/autoconf`, '0');
    }
  } catch (e) {
    // A kernel booted with ipv6.disable=1 has no such files: nothing to set for a v4-only network.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !enabled) return;
    throw VireoError.of('OPERATION_FAILED', `cannot set the IPv6 options of ${dev}: ${(e as Error).message}`, { cause: e });
  }
}

/** Switch on packet forwarding for a family (as libvirt does when a nat or route network starts; never switched off). */
export async function enableForwarding(family: IpFamily): Promise<void> {
  const file = family === 'ipv4' ? '/proc/sys/net/ipv4/ip_forward' : '/proc/sys/net/ipv6/conf/all/forwarding';
  try {
    await writeFile(file, '1');
  } catch (e) {
    throw VireoError.of('OPERATION_FAILED', `cannot enable ${family === 'ipv4' ? 'IPv4' : 'IPv6'} forwarding (${file}): ${(e as Error).message}`, { cause: e });
  }
}
