/**
 * Rules of a network definition that span elements, as libvirt checks them at define (its
 * parser and the network driver's validation), worded as libvirt words them. parseNetworkXml
 * runs them with element locations; net-update runs them again on the changed definition.
 */

import { VireoError } from '../../api/errors.js';
import { parseMac } from '../names.js';
import { cidrContains, cidrOf, classfulPrefix, formatIp, lastAddress, netmaskPrefix, parseIp, parseIpv4, type Cidr, type IpAddr } from './addr.js';
import type { DhcpHost, NetworkDef, NetworkIp, NetworkRoute } from './model.js';

/** Where a part of the definition was written ('mac' and 'mtu' name those elements), for messages. */
export type Locator = (part: object | string) => string | undefined;

const noLocation: Locator = () => undefined;

function fail(message: string, where: string | undefined): VireoError {
  return VireoError.of('XML_INVALID', where === undefined ? message : `${message} (${where})`);
}

/** The prefix an <ip> or <route> stands for: as written, from its netmask, or libvirt's default. */
export function effectivePrefix(ip: Pick<NetworkIp, 'family' | 'address' | 'prefix' | 'netmask'>): number {
  if (ip.prefix !== undefined) return ip.prefix;
  if (ip.netmask !== undefined) return netmaskPrefix(parseIpv4(ip.netmask) ?? 0n) ?? 32;
  if (ip.family === 'ipv6') return 64;
  return classfulPrefix(parseIpv4(ip.address) ?? 0n);
}

/** The subnet of an <ip> element. */
export function ipSubnet(ip: NetworkIp): Cidr {
  return cidrOf(addrOf(ip.address), effectivePrefix(ip));
}

function addrOf(text: string): IpAddr {
  const a = parseIp(text);
  if (a === undefined) throw VireoError.of('INTERNAL', `not an address: '${text}'`);
  return a;
}

/** Throw the first rule a definition breaks (XML_INVALID, libvirt's wording). */
export function validateNetworkDef(def: NetworkDef, locate: Locator = noLocation): void {
  checkForward(def, locate);
  for (const family of ['ipv4', 'ipv6'] as const) {
    const withDhcp = def.ips.filter((ip) => ip.family === family && ip.dhcp !== undefined);
    if (withDhcp.length > 1) {
      const v = family === 'ipv4' ? 'IPv4' : 'IPv6';
      throw fail(`Multiple ${v} dhcp sections found -- dhcp is supported only for a single ${v} address on each network`, locate(withDhcp[1] as object));
    }
  }
  const dns = def.dns;
  if (dns !== undefined && dns.enable === false && dns.forwarders.length + dns.txts.length + dns.srvs.length + dns.hosts.length > 0) {
    throw fail(`Extra data in disabled network '${def.name}'`, locate(dns));
  }
  for (const ip of def.ips) checkDhcp(def.name, ip, locate);
  for (const route of def.routes) checkRoute(def, route, locate);
}

function checkForward(def: NetworkDef, locate: Locator): void {
  const fwd = def.forward;
  if (fwd === undefined) return;
  const at = locate(fwd);
  const { mode } = fwd;
  if (mode === 'bridge') {
    const unsupported = (what: string, part: object | string | undefined): VireoError =>
      fail(`Unsupported <${what}> element in network ${def.name} with forward mode='bridge'`, part === undefined ? at : locate(part) ?? at);
    if (def.bridge?.name !== undefined && fwd.interfaces.length > 0) {
      throw fail(`A network with forward mode='bridge' can specify a bridge name or a forward dev, but not both (network '${def.name}')`, at);
    }
    if (def.bridge?.name === undefined && fwd.interfaces.length === 0) {
      throw fail(`A network with forward mode='bridge' must specify a bridge name or a forward dev (network '${def.name}')`, at);
    }
    if (def.ips.length > 0) throw unsupported('ip', def.ips[0]);
    if (def.routes.length > 0) throw unsupported('route', def.routes[0]);
    if (def.dns !== undefined) throw unsupported('dns', def.dns);
    if (def.domain !== undefined) throw unsupported('domain', def.domain);
    if (def.mac !== undefined) throw unsupported('mac', 'mac');
    if (def.mtu !== undefined) {
      throw fail(`mtu size only allowed in open, route, nat, and isolated mode, not in bridge (network '${def.name}')`, locate('mtu') ?? at);
    }
    return;
  }
  if (def.ips.length === 0) throw fail(`${mode} forwarding requested, but no IP address provided for network '${def.name}'`, at);
  if (mode === 'open' && fwd.interfaces.length > 0) {
    throw fail(`forward dev not allowed for network '${def.name}' with forward mode='open'`, at);
  }
  if (fwd.interfaces.length > 1) {
    throw fail(`multiple forwarding interfaces specified for network '${def.name}', only one is supported`, at);
  }
}

function checkDhcp(netName: string, ip: NetworkIp, locate: Locator): void {
  if (ip.dhcp === undefined) return;
  const prefix = effectivePrefix(ip);
  const net = cidrOf(addrOf(ip.address), prefix);
  const netText = `${ip.address}/${prefix}`;
  for (const range of ip.dhcp.ranges) {
    const at = locate(range);
    const start = addrOf(range.start);
    const end = addrOf(range.end);
    const span = `${range.start} - ${range.end}`;
    if (start.family !== end.family) throw fail(`mismatch of address family in range ${span}`, at);
    if (start.family !== ip.family) throw fail(`mismatch of address family in range ${span} for network ${ip.address}`, at);
    if (!cidrContains(net, start) || !cidrContains(net, end)) throw fail(`range ${span} is not entirely within network ${netText}`, at);
    if (ip.family === 'ipv4') {
      if (start.value === net.network) throw fail(`start of range ${span} in network ${netText} is the network address`, at);
      if (end.value === lastAddress(net)) throw fail(`end of range ${span} in network ${netText} is the broadcast address`, at);
    }
    if (end.value < start.value) throw fail(`range ${span} is reversed`, at);
  }
  const seen: DhcpHost[] = [];
  for (const host of ip.dhcp.hosts) {
    const at = locate(host);
    const addr = addrOf(host.ip);
    if (!cidrContains(net, addr)) {
      throw fail(`static host IP ${host.ip} is not within network ${netText} (network '${netName}')`, at);
    }
    if (seen.some((other) => dhcpHostsClash(other, host))) {
      throw fail(`there is an existing dhcp host entry in network '${netName}' that matches "${dhcpHostText(host)}"`, at);
    }
    seen.push(host);
  }
}

/** Two static DHCP hosts that dnsmasq could not tell apart: same MAC, id, name or address. */
export function dhcpHostsClash(a: Partial<DhcpHost>, b: Partial<DhcpHost>): boolean {
  const macA = a.mac === undefined ? undefined : parseMac(a.mac);
  const macB = b.mac === undefined ? undefined : parseMac(b.mac);
  return (macA !== undefined && macA === macB)
    || (a.id !== undefined && a.id.toLowerCase() === b.id?.toLowerCase())
    || (a.name !== undefined && a.name === b.name)
    || (a.ip !== undefined && a.ip !== '' && a.ip === b.ip);
}

/** A host entry as libvirt quotes it in messages. */
export function dhcpHostText(h: Partial<DhcpHost>): string {
  const attrs = [['mac', h.mac], ['id', h.id], ['name', h.name], ['ip', h.ip]]
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
    .map(([k, v]) => ` ${k}='${v}'`);
  return `<host${attrs.join('')}/>`;
}

function checkRoute(def: NetworkDef, route: NetworkRoute, locate: Locator): void {
  const gw = addrOf(route.gateway);
  const reachable = def.ips.some((ip) => ip.family === route.family && cidrContains(ipSubnet(ip), gw));
  if (!reachable) {
    throw fail(`unreachable static route gateway '${formatIp(gw)}' specified for network '${def.name}'`, locate(route));
  }
}
