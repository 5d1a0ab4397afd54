/**
 * net-update as pure functions: a command, a section and the XML fragment virsh passes, applied
 * to a definition, returning a new one (the input is never changed). Matching rules and messages
 * follow libvirt 9.0; the result is validated again like a fresh definition.
 */

import { VireoError } from '../../api/errors.js';
import { parseMac } from '../names.js';
import { parseXml } from '../xml.js';
import { XNode } from '../xml-reader.js';
import type { DhcpHost, NetworkDef, NetworkIp } from './model.js';
import { parseDhcpHost, parseDhcpRange } from './parse-ip.js';
import { insert, updateDnsHost, updateDnsSrv, updateDnsTxt, type Op } from './update-dns.js';
import { dhcpHostsClash, dhcpHostText, validateNetworkDef } from './validate.js';

/** virsh's net-update commands ('add' is 'add-last'). */
export const NET_UPDATE_COMMANDS = ['add', 'add-first', 'add-last', 'delete', 'modify'] as const;
export type NetUpdateCommand = (typeof NET_UPDATE_COMMANDS)[number];

/** virsh's net-update sections (the ones vireo cannot change fail with NO_SUPPORT). */
export const NET_UPDATE_SECTIONS = [
  'bridge', 'domain', 'ip', 'ip-dhcp-host', 'ip-dhcp-range', 'forward', 'forward-interface', 'forward-pf',
  'portgroup', 'dns-host', 'dns-txt', 'dns-srv',
] as const;
export type NetUpdateSection = (typeof NET_UPDATE_SECTIONS)[number];

export interface NetUpdateOptions {
  /** Which <ip> (0-based, in document order) an ip-dhcp-* change applies to; default: the one with DHCP. */
  parentIndex?: number;
}

const invalid = (message: string): VireoError => VireoError.of('OPERATION_INVALID', message);
const noSupport = (message: string): VireoError => VireoError.of('NO_SUPPORT', message);

/** Apply `virsh net-update NAME COMMAND SECTION XML` to a definition; returns the new definition. */
export function updateNetworkDef(
  def: NetworkDef,
  command: string,
  section: string,
  xml: string,
  opts: NetUpdateOptions = {},
): NetworkDef {
  if (!(NET_UPDATE_COMMANDS as readonly string[]).includes(command)) {
    throw VireoError.of('INVALID_ARG', `unrecognized command name '${command}'; expected one of ${NET_UPDATE_COMMANDS.join(', ')}`);
  }
  if (!(NET_UPDATE_SECTIONS as readonly string[]).includes(section)) {
    throw VireoError.of('INVALID_ARG', `unrecognized section name '${section}'; expected one of ${NET_UPDATE_SECTIONS.join(', ')}`);
  }
  const op: Op = command === 'add' ? 'add-last' : (command as Op);
  const out = structuredClone(def);
  const node = (expected: string): XNode => {
    const root = parseXml(xml, '(network_update)');
    if (root.name !== expected) {
      throw VireoError.of('XML_INVALID', `unexpected element <${root.name}>, expecting <${expected}>, while updating network '${def.name}'`);
    }
    return XNode.root(root);
  };
  switch (section as NetUpdateSection) {
    case 'ip-dhcp-host': updateDhcpHost(out, op, node('host'), opts.parentIndex); break;
    case 'ip-dhcp-range': updateDhcpRange(out, op, node('range'), opts.parentIndex); break;
    case 'forward-interface': updateForwardInterface(out, op, node('interface')); break;
    case 'dns-host': updateDnsHost(out, op, node('host')); break;
    case 'dns-txt': updateDnsTxt(out, op, node('txt')); break;
    case 'dns-srv': updateDnsSrv(out, op, node('srv')); break;
    case 'portgroup': throw noSupport(`port groups (<portgroup>) are not supported yet (network '${def.name}')`);
    default: throw noSupport(`can't update '${section}' section of network '${def.name}'`);
  }
  validateNetworkDef(out);
  return out;
}

/** The <ip> an ip-dhcp-* change applies to, as libvirt picks it. */
function dhcpParent(def: NetworkDef, parentIndex: number | undefined, what: string): NetworkIp {
  if (parentIndex !== undefined && parentIndex >= 0) {
    const ip = def.ips[parentIndex];
    if (ip === undefined) throw invalid(`couldn't update ${what} entry - no <ip> element found at index ${parentIndex} in network '${def.name}'`);
    return ip;
  }
  // "The one and only <ip> that has a <dhcp>", else the first IPv4, else the first IPv6.
  const ip = def.ips.find((i) => i.dhcp !== undefined)
    ?? def.ips.find((i) => i.family === 'ipv4')
    ?? def.ips.find((i) => i.family === 'ipv6');
  if (ip === undefined) throw invalid(`couldn't update ${what} entry - no <ip> element found in network '${def.name}'`);
  return ip;
}

const sameMac = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && parseMac(a) === parseMac(b);

function updateDhcpHost(def: NetworkDef, op: Op, node: XNode, parentIndex: number | undefined): void {
  const ip = dhcpParent(def, parentIndex, 'dhcp host');
  const host = parseDhcpHost(node, ip.family, def.name, op === 'delete');
  const dhcp = (ip.dhcp ??= { ranges: [], hosts: [] });
  const hosts = dhcp.hosts;
  if (op === 'modify') {
    // The entry with the same MAC (or id), address or name is replaced as a whole.
    const i = hosts.findIndex((h) => sameMac(h.mac, host.mac)
      || (host.id !== undefined && h.id?.toLowerCase() === host.id.toLowerCase())
      || h.ip === host.ip
      || (host.name !== undefined && h.name === host.name));
    if (i < 0) {
      throw invalid(`couldn't locate an existing dhcp host entry with "mac='${host.mac ?? 'unknown'}'" "name='${host.name ?? ''}'" "ip='${host.ip}'" in network '${def.name}'`);
    }
    hosts[i] = host;
  } else if (op === 'delete') {
    // Every attribute the fragment gives must match.
    const i = hosts.findIndex((h) => matchesPartial(h, host));
    if (i < 0) throw invalid(`couldn't locate a matching dhcp host entry in network '${def.name}'`);
    hosts.splice(i, 1);
  } else {
    if (hosts.some((h) => dhcpHostsClash(h, host))) {
      throw invalid(`there is an existing dhcp host entry in network '${def.name}' that matches "${dhcpHostText(host)}"`);
    }
    insert(hosts, host, op);
  }
  if (dhcp.ranges.length === 0 && dhcp.hosts.length === 0) delete ip.dhcp;
}

function matchesPartial(h: DhcpHost, want: Partial<DhcpHost>): boolean {
  return (want.mac === undefined || sameMac(h.mac, want.mac))
    && (want.id === undefined || h.id?.toLowerCase() === want.id.toLowerCase())
    && (want.name === undefined || h.name === want.name)
    && (want.ip === undefined || h.ip === want.ip);
}

function updateDhcpRange(def: NetworkDef, op: Op, node: XNode, parentIndex: number | undefined): void {
  const ip = dhcpParent(def, parentIndex, 'dhcp range');
  const range = parseDhcpRange(node, def.name);
  if (op === 'modify') throw noSupport('dhcp ranges cannot be modified, only added or deleted');
  const dhcp = (ip.dhcp ??= { ranges: [], hosts: [] });
  const i = dhcp.ranges.findIndex((r) => r.start === range.start && r.end === range.end);
  if (op === 'delete') {
    if (i < 0) throw invalid(`couldn't locate a matching dhcp range entry in network '${def.name}'`);
    dhcp.ranges.splice(i, 1);
  } else {
    if (i >= 0) {
      throw invalid(`there is an existing dhcp range entry in network '${def.name}' that matches "<range start='${range.start}' end='${range.end}'/>"`);
    }
    insert(dhcp.ranges, range, op);
  }
  if (dhcp.ranges.length === 0 && dhcp.hosts.length === 0) delete ip.dhcp;
}

function updateForwardInterface(def: NetworkDef, op: Op, node: XNode): void {
  node.check({ attrs: ['dev'] });
  const dev = node.attr('dev');
  if (dev === undefined || dev === '') throw node.invalid("missing attribute 'dev'");
  if (op === 'modify') throw noSupport('forward interface entries cannot be modified, only added or deleted');
  const fwd = def.forward;
  if (fwd === undefined) throw invalid(`network '${def.name}' is isolated: it has no <forward> to hold interfaces`);
  const i = fwd.interfaces.indexOf(dev);
  if (op === 'delete') {
    if (i < 0) throw invalid(`couldn't find an interface entry in network '${def.name}' matching <interface dev='${dev}'>`);
    fwd.interfaces.splice(i, 1);
  } else {
    if (i >= 0) throw invalid(`there is an existing interface entry in network '${def.name}' that matches "<interface dev='${dev}'>"`);
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(dev)) {
      throw node.invalid(`invalid device name '${dev}' in network '${def.name}': expected at most 15 letters, digits, '_', '-' and '.'`);
    }
    insert(fwd.interfaces, dev, op);
  }
}
