/**
 * Subnets a network occupies, collisions with the host's routes and other networks, and the
 * default network (libvirt's 192.168.122.0/24, or the next free 192.168.N.0/24). The host's
 * routes are an input: conf/ reads nothing itself.
 */

import { VireoError } from '../../api/errors.js';
import { formatCidr, formatIpv4, parseCidr, subnetsOverlap, type Cidr } from './addr.js';
import type { NetworkDef } from './model.js';
import { ipSubnet } from './validate.js';

/** A route of the host (from `ip route` / `ip -6 route`): its destination and device. */
export interface HostRoute {
  /** 'ADDRESS/PREFIX' (a bare address is a host route); 'default' and /0 routes never collide. */
  dest: string | Cidr;
  dev: string;
}

const asCidr = (c: string | Cidr): Cidr | undefined => (typeof c === 'string' ? (c === 'default' ? undefined : parseCidr(c)) : c);

/** The subnets of a network's <ip> elements. */
export function networkSubnets(def: NetworkDef): Cidr[] {
  return def.ips.map(ipSubnet);
}

/**
 * The first host route a network's subnets overlap, ignoring default routes and routes through
 * the network's own bridge (present while it runs).
 */
export function findRouteCollision(def: NetworkDef, routes: readonly HostRoute[]): { subnet: Cidr; route: HostRoute } | undefined {
  for (const subnet of networkSubnets(def)) {
    for (const route of routes) {
      const dest = asCidr(route.dest);
      if (dest === undefined || dest.prefix === 0 || route.dev === def.bridge?.name) continue;
      if (subnetsOverlap(subnet, dest)) return { subnet, route };
    }
  }
  return undefined;
}

/** Throw libvirt's start-time error when a network's subnet is already routed on the host. */
export function checkRouteCollision(def: NetworkDef, routes: readonly HostRoute[]): void {
  const hit = findRouteCollision(def, routes);
  if (hit === undefined) return;
  throw VireoError.of('OPERATION_FAILED', `Network is already in use by interface ${hit.route.dev}`, {
    hint: `network '${def.name}' uses ${formatCidr(hit.subnet)}, which overlaps the host's route to ${typeof hit.route.dest === 'string' ? hit.route.dest : formatCidr(hit.route.dest)}; pick another subnet`,
  });
}

/** The first other network (by name) whose subnets overlap this one's. */
export function findOverlappingNetwork(def: NetworkDef, others: readonly NetworkDef[]): { other: NetworkDef; subnet: Cidr } | undefined {
  const mine = networkSubnets(def);
  for (const other of others) {
    if (other.name === def.name) continue;
    for (const theirs of networkSubnets(other)) {
      const hit = mine.find((s) => subnetsOverlap(s, theirs));
      if (hit !== undefined) return { other, subnet: hit };
    }
  }
  return undefined;
}

/**
 * The subnet for the default network, as libvirt's packaging picks it: 192.168.122.0/24, else
 * the first of 192.168.124.0/24 ... 192.168.254.0/24 that overlaps nothing in `inUse` (host
 * routes and other networks' subnets; default routes are ignored). Undefined when all are taken.
 */
export function pickDefaultSubnet(inUse: Iterable<string | Cidr>): Cidr | undefined {
  const used = [...inUse].map(asCidr).filter((c): c is Cidr => c !== undefined && c.prefix > 0);
  const candidates = [122];
  for (let n = 124; n <= 254; n++) candidates.push(n);
  for (const n of candidates) {
    const c = parseCidr(`192.168.${n}.0/24`) as Cidr;
    if (!used.some((u) => subnetsOverlap(u, c))) return c;
  }
  return undefined;
}

/**
 * libvirt's default network (its default.xml) on an IPv4 /24: NAT, the gateway at .1, DHCP for
 * .2-.254. Without `bridge` the name is left to fillNetworkDefaults (virbr0 when free).
 */
export function defaultNetworkXml(subnet: Cidr, bridge?: string): string {
  if (subnet.family !== 'ipv4' || subnet.prefix !== 24) {
    throw VireoError.of('INVALID_ARG', `the default network needs an IPv4 /24 subnet, not ${formatCidr(subnet)}`);
  }
  const at = (host: number): string => formatIpv4(subnet.network + BigInt(host));
  return [
    '<network>',
    '  <name>default</name>',
    ...(bridge === undefined ? [] : [`  <bridge name='${bridge}'/>`]),
    '  <forward/>',
    `  <ip address='${at(1)}' netmask='255.255.255.0'>`,
    '    <dhcp>',
    `      <range start='${at(2)}' end='${at(254)}'/>`,
    '    </dhcp>',
    '  </ip>',
    '</network>',
    '',
  ].join('\n');
}
