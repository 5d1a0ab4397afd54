/**
 * <ip> (with <dhcp> ranges and static hosts) and <route> of a network. Messages follow libvirt's
 * wording and add where the element is. Checks that span elements (ranges inside the subnet,
 * unique hosts, route gateways) are in ./validate.ts, which net-update runs again.
 */

import { VireoError } from '../../api/errors.js';
import { isMulticastMac, parseMac } from '../names.js';
import type { XNode } from '../xml-reader.js';
import { formatIp, netmaskPrefix, parseIp, parseIpv4, type IpFamily } from './addr.js';
import type { DhcpHost, DhcpLease, DhcpRange, LeaseUnit, NetworkIp, NetworkRoute } from './model.js';

const LEASE_UNITS: readonly LeaseUnit[] = ['seconds', 'minutes', 'hours'];
const UNIT_SECONDS: Record<LeaseUnit, number> = { seconds: 1, minutes: 60, hours: 3600 };
/** Host names go into dnsmasq's hosts file: keep them to what a DNS label may hold. */
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** A DHCPv6 DUID as libvirt accepts it: hex digits and ':'. */
const DUID = /^[0-9A-Fa-f:]+$/;
/** The four DUID types of RFC 3315/6355, as libvirt's schema spells them (LLT, EN, LL, UUID). */
const DUID_TYPES = [
  /^0{1,2}:0?1:0{1,2}:0?[a-fA-F1-9](:[a-fA-F0-9]{1,2}){4}(:[a-fA-F0-9]{1,2}){6,8}$/,
  /^0{1,2}:0?2(:[a-fA-F0-9]{1,2}){4}(:[a-fA-F0-9]{1,2}){1,124}$/,
  /^0{1,2}:0?3:0{1,2}:0?[a-fA-F1-9](:[a-fA-F0-9]{1,2}){6,8}$/,
  /^0{1,2}:0?4(:[a-fA-F0-9]{1,2}){16}$/,
];

/** An address attribute in canonical form; `bad(text)` words the error. */
export function addressAttr(node: XNode, name: string, bad: (text: string) => string): { text: string; family: IpFamily } | undefined {
  const text = node.attr(name);
  if (text === undefined) return undefined;
  const addr = parseIp(text.trim());
  if (addr === undefined) throw node.invalid(bad(text));
  return { text: formatIp(addr), family: addr.family };
}

/** The family/address/prefix/netmask group shared by <ip> and <route>. */
function addressing(node: XNode, netName: string, what: 'ip' | 'route'): Pick<NetworkIp, 'family' | 'familyWritten' | 'address' | 'prefix' | 'netmask'> {
  const suffix = what === 'ip' ? `in network '${netName}'` : 'in route definition';
  const lead = what === 'ip' ? '' : `${netName}: `;
  const familyText = node.attr('family');
  if (familyText !== undefined && familyText !== 'ipv4' && familyText !== 'ipv6') {
    throw node.invalid(`${lead}Unrecognized family '${familyText}' ${suffix}`);
  }
  const addressText = node.attr('address');
  const addr = addressAttr(node, 'address', (t) => `${lead}Invalid address '${t}' ${suffix}`);
  if (addressText === undefined || addr === undefined) throw node.invalid(`${lead}Missing required address attribute ${suffix}`);
  const family: IpFamily = familyText ?? 'ipv4';
  if (addr.family !== family) {
    const who = familyText === undefined ? (what === 'ip' ? 'no family' : 'No family') : `Family '${familyText}'`;
    throw node.invalid(`${lead}${who} specified for non-${family === 'ipv4' ? 'IPv4' : 'IPv6'} address '${addressText}' ${suffix}`);
  }
  const out: ReturnType<typeof addressing> = { family, familyWritten: familyText !== undefined, address: addr.text };
  const prefixText = node.attr('prefix');
  const netmaskText = node.attr('netmask');
  if (prefixText !== undefined && netmaskText !== undefined) {
    throw node.invalid(what === 'ip'
      ? `Network '${netName}' IP address cannot have both a prefix and a netmask`
      : `${lead}route definition cannot have both a prefix and a netmask`);
  }
  if (netmaskText !== undefined) {
    if (family === 'ipv6') throw node.invalid(`${lead}netmask not allowed for IPv6 address '${addressText}' ${suffix}`);
    const mask = parseIpv4(netmaskText.trim());
    if (mask === undefined) throw node.invalid(`${lead}Invalid netmask '${netmaskText}' ${suffix}`);
    if (netmaskPrefix(mask) === undefined) {
      throw node.invalid(`${lead}Invalid netmask '${netmaskText}' ${suffix}: the mask bits must be contiguous`);
    }
    out.netmask = formatIp({ family: 'ipv4', value: mask });
  }
  if (prefixText !== undefined) {
    const max = family === 'ipv4' ? 32 : 128;
    const n = /^\d{1,3}$/.test(prefixText.trim()) ? Number(prefixText.trim()) : NaN;
    if (!(n >= 1 && n <= max)) {
      throw node.invalid(`${lead}Invalid ${family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix '${prefixText}' ${suffix}`);
    }
    out.prefix = n;
  }
  return out;
}

/** <ip address prefix|netmask family localPtr> with its <dhcp>. */
export function parseIpElement(node: XNode, netName: string): NetworkIp {
  node.check({ attrs: ['family', 'address', 'prefix', 'netmask', 'localPtr'], one: ['dhcp', 'tftp'] });
  const tftp = node.child('tftp');
  if (tftp !== undefined) throw VireoError.of('XML_UNSUPPORTED', `unsupported element ${tftp.where()}: a TFTP server (<tftp>) is not supported yet`);
  const ip: NetworkIp = addressing(node, netName, 'ip');
  const localPtr = node.boolAttr('localPtr');
  if (localPtr !== undefined) ip.localPtr = localPtr;
  const dhcpNode = node.child('dhcp');
  if (dhcpNode !== undefined) {
    dhcpNode.check({ many: ['range', 'host'], one: ['bootp'] });
    const bootp = dhcpNode.child('bootp');
    if (bootp !== undefined) throw VireoError.of('XML_UNSUPPORTED', `unsupported element ${bootp.where()}: network boot (<bootp>) is not supported yet`);
    const ranges = dhcpNode.children('range').map((r) => parseDhcpRange(r, netName));
    const hosts = dhcpNode.children('host').map((h) => parseDhcpHost(h, ip.family, netName, false));
    // libvirt prints no <dhcp> without ranges or hosts: an empty one is dropped.
    if (ranges.length > 0 || hosts.length > 0) ip.dhcp = { ranges, hosts };
  }
  return ip;
}

/** <range start end> with an optional <lease>. */
export function parseDhcpRange(node: XNode, netName: string): DhcpRange {
  node.check({ attrs: ['start', 'end'], one: ['lease'] });
  const end = (attr: 'start' | 'end'): string => {
    if (node.attr(attr) === undefined) throw node.invalid(`Missing '${attr}' attribute in dhcp range for network '${netName}'`);
    const a = addressAttr(node, attr, (t) => `Invalid dhcp range ${attr} address '${t}' in network '${netName}'`);
    return (a as { text: string }).text;
  };
  const range: DhcpRange = { start: end('start'), end: end('end') };
  const lease = parseLease(node.child('lease'));
  if (lease !== undefined) range.lease = lease;
  return range;
}

/** <lease expiry unit>: expiry 0 means infinite; otherwise at least two minutes, as libvirt demands. */
export function parseLease(node: XNode | undefined): DhcpLease | undefined {
  if (node === undefined) return undefined;
  node.check({ attrs: ['expiry', 'unit'] });
  if (node.attr('expiry') === undefined) throw node.invalid("missing attribute 'expiry'");
  const expiry = node.intAttr('expiry', 0, Number.MAX_SAFE_INTEGER) as number;
  const unit = node.enumAttr('unit', LEASE_UNITS, 'minutes');
  if (expiry === 0) return { expiry };
  if (expiry * UNIT_SECONDS[unit] < 120) throw node.invalid('The minimum lease time should be greater than 2 minutes');
  return { expiry, unit };
}

/**
 * <host mac|id name ip> inside <dhcp>. IPv4 hosts need a MAC or a name, IPv6 hosts an id or a
 * name, both an address. `partial` (net-update delete) accepts any one identifying attribute.
 */
export function parseDhcpHost(node: XNode, family: IpFamily, netName: string, partial: boolean): DhcpHost {
  node.check({ attrs: ['mac', 'id', 'name', 'ip'], one: ['lease'] });
  const host: Partial<DhcpHost> = {};
  const macText = node.attr('mac');
  if (macText !== undefined) {
    const mac = parseMac(macText);
    if (mac === undefined) throw node.invalid(`Cannot parse MAC address '${macText}' in network '${netName}'`);
    if (isMulticastMac(mac)) throw node.invalid(`expected unicast mac address, found multicast '${macText}' in network '${netName}'`);
    if (family === 'ipv6') throw node.invalid(`Invalid to specify MAC address '${macText}' in network '${netName}' IPv6 static host definition`);
    // libvirt keeps a host's MAC as written (and compares MACs ignoring case); short groups
    // such as '52:54:0:...' are padded so that the dump stays valid against the schema.
    host.mac = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(macText.trim()) ? macText.trim() : mac;
  }
  const id = node.attr('id');
  if (id !== undefined) {
    const badChar = [...id].find((c) => !DUID.test(c));
    if (badChar !== undefined || id === '') throw node.invalid(`Invalid character '${badChar ?? ''}' in id '${id}' of network '${netName}'`);
    if (!DUID_TYPES.some((re) => re.test(id))) {
      throw node.invalid(`Invalid id '${id}' of network '${netName}': expected a DUID such as 0:3:0:1:52:54:00:12:34:56 (types 1 to 4: LLT, EN, LL, UUID)`);
    }
    if (family === 'ipv4') throw node.invalid(`an id (DHCPv6 DUID) is only valid in an IPv6 static host definition (network '${netName}')`);
    host.id = id;
  }
  const name = node.attr('name');
  if (name !== undefined) {
    if (!HOST_NAME.test(name)) {
      throw node.invalid(`Cannot use host name '${name}' in network '${netName}': expected letters, digits, '-', '_' and '.'`);
    }
    host.name = name;
  }
  const ip = addressAttr(node, 'ip', () => `Invalid IP address in static host definition for network '${netName}'`);
  if (ip !== undefined) {
    if (ip.family !== family) {
      throw node.invalid("the address family of a host entry IP must match the address family of the dhcp element's parent");
    }
    host.ip = ip.text;
  }
  if (partial) {
    if (host.mac === undefined && host.id === undefined && host.name === undefined && host.ip === undefined) {
      throw node.invalid(`a host entry in network '${netName}' needs at least one of mac, id, name or ip`);
    }
  } else {
    if (family === 'ipv4' && host.mac === undefined && host.name === undefined) {
      throw node.invalid(`Static host definition in IPv4 network '${netName}' must have mac or name attribute`);
    }
    if (family === 'ipv6' && host.id === undefined && host.name === undefined) {
      throw node.invalid(`Static host definition in IPv6 network '${netName}' must have id or name attribute`);
    }
    if (host.ip === undefined) throw node.invalid(`Missing IP address in static host definition for network '${netName}'`);
  }
  const lease = parseLease(node.child('lease'));
  if (lease !== undefined) host.lease = lease;
  return host as DhcpHost;
}

/** <route family address prefix|netmask gateway metric>. */
export function parseRoute(node: XNode, netName: string): NetworkRoute {
  node.check({ attrs: ['family', 'address', 'prefix', 'netmask', 'gateway', 'metric'] });
  const route = addressing(node, netName, 'route') as NetworkRoute;
  if (node.attr('gateway') === undefined) throw node.invalid(`${netName}: Missing required gateway attribute in route definition`);
  const gw = addressAttr(node, 'gateway', (t) => `${netName}: Bad gateway address '${t}' in route definition`);
  if (gw === undefined || gw.family !== route.family) {
    throw node.invalid(`${netName}: Invalid gateway address '${node.attr('gateway') ?? ''}' in route definition: not an ${route.family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  }
  route.gateway = gw.text;
  const metric = node.intAttr('metric', 1, 4294967295);
  if (metric !== undefined) route.metric = metric;
  // libvirt takes a route without prefix or netmask as prefix 0, so its address must be the
  // network address of that (0.0.0.0 or ::).
  const prefix = route.prefix ?? (route.netmask !== undefined ? netmaskPrefix(parseIpv4(route.netmask) as bigint) : 0) ?? 0;
  const addr = parseIp(route.address);
  const bits = route.family === 'ipv4' ? 32n : 128n;
  if (addr !== undefined && (addr.value & ((1n << (bits - BigInt(prefix))) - 1n)) !== 0n) {
    throw node.invalid(`${netName}: Address '${route.address}' in route definition is not a network address`);
  }
  return route;
}
