/**
 * libvirt network XML -> NetworkDef, strict: every element and attribute is either modelled or
 * refused by name and line. Rules that span elements run in ./validate.ts with the element
 * locations known here. Defaults that need the host's state (bridge name, MAC) are filled by
 * fillNetworkDefaults (./defaults.ts) at define.
 */

import { VireoError } from '../../api/errors.js';
import { domainNameProblem, generateUuid, isMulticastMac, parseMac, parseUuid } from '../names.js';
import { namespaceDecls, parseXml, toXmlTree } from '../xml.js';
import { XNode } from '../xml-reader.js';
import { parseIpv4 } from './addr.js';
import type { ForwardMode, NetworkBridge, NetworkDef, NetworkForward, NetworkNat } from './model.js';
import { dnsNameAttr, parseDns } from './parse-dns.js';
import { addressAttr, parseIpElement, parseRoute } from './parse-ip.js';
import { validateNetworkDef, type Locator } from './validate.js';

const FORWARD_MODES: readonly ForwardMode[] = ['nat', 'route', 'open', 'bridge'];
/** libvirt's other forward modes hand host NICs or SR-IOV functions to guests. */
const DEVICE_MODES = ['passthrough', 'private', 'vepa', 'hostdev'];
/** A Linux interface name as the schema's deviceName allows it; '%d' makes it a template. */
const BRIDGE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const DEVICE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Top-level elements of libvirt's network XML that vireo does not model, with why. */
const NOT_YET: Record<string, string> = {
  portgroup: 'port groups (<portgroup>) are not supported yet',
  bandwidth: 'bandwidth limits (<bandwidth>) on networks are not supported yet',
  vlan: 'VLAN tags (<vlan>) on networks are not supported yet',
  virtualport: '<virtualport> is for Open vSwitch and 802.1Qbx switches, which vireo does not drive',
  port: 'port isolation (<port isolated>) is not supported yet',
  title: "libvirt 9.0's network schema has no <title>; keep notes in <metadata>",
  description: "libvirt 9.0's network schema has no <description>; keep notes in <metadata>",
};

/** Options for parseNetworkXml. */
export interface NetworkParseOptions {
  /** Name for syntax errors, e.g. the file the XML came from. */
  sourceName?: string;
}

/** Parse and validate libvirt network XML; a missing UUID is generated, as libvirt does at define. */
export function parseNetworkXml(xml: string, opts: NetworkParseOptions = {}): NetworkDef {
  const rootEl = parseXml(xml, opts.sourceName ?? '(network_definition)');
  if (rootEl.name !== 'network') {
    throw VireoError.of(
      'XML_INVALID',
      `unexpected root element <${rootEl.name}> at line ${rootEl.line}; a network definition starts with <network>`,
    );
  }
  const root = XNode.root(rootEl);
  for (const child of root.elementChildren()) {
    const reason = NOT_YET[child.el.name] ?? (child.el.name.includes(':') ? 'options for other programs (such as <dnsmasq:options>) are not supported' : undefined);
    if (reason !== undefined) throw VireoError.of('XML_UNSUPPORTED', `unsupported element ${child.where()}: ${reason}`);
  }
  root.check({
    // 'connections' is runtime state of a running network's dump; like libvirt we ignore it on input.
    attrs: ['connections', 'ipv6', 'trustGuestRxFilters', ...Object.keys(rootEl.attrs).filter((a) => a.startsWith('xmlns:'))],
    one: ['name', 'uuid', 'metadata', 'forward', 'bridge', 'mtu', 'mac', 'domain', 'dns'],
    many: ['ip', 'route'],
  });
  root.intAttr('connections', 0, 4294967295);

  const nameNode = root.child('name');
  if (nameNode === undefined) throw root.invalid('missing name information: a network needs <name>');
  const name = nameNode.check({ text: true }).text();
  const problem = domainNameProblem(name);
  if (problem !== undefined) throw nameNode.invalid(`invalid network name '${name}': ${problem}`);

  const def: NetworkDef = { name, uuid: parseUuidElement(root.child('uuid')), ips: [], routes: [] };
  const where = new Map<object | string, XNode>();
  where.set(def, root);

  const metadata = root.child('metadata');
  if (metadata !== undefined) {
    metadata.check({ many: metadata.elementChildren().map((c) => c.el.name) });
    const scope = new Map([...namespaceDecls(rootEl), ...namespaceDecls(metadata.el)]);
    def.metadata = metadata.elementChildren().map((c) => toXmlTree(c.el, scope));
  }
  if (root.boolAttr('ipv6') === true) def.ipv6 = true;
  const trust = root.boolAttr('trustGuestRxFilters');
  if (trust !== undefined) def.trustGuestRxFilters = trust;

  const forwardNode = root.child('forward');
  if (forwardNode !== undefined) {
    def.forward = parseForward(forwardNode, name);
    where.set(def.forward, forwardNode);
  }
  const bridgeMode = def.forward?.mode === 'bridge';
  const bridgeNode = root.child('bridge');
  if (bridgeNode !== undefined) {
    def.bridge = parseBridge(bridgeNode, name, def.forward?.mode);
    where.set(def.bridge, bridgeNode);
  } else if (!bridgeMode) {
    def.bridge = { stp: true, delay: 0 };
  }
  const mtuNode = root.child('mtu');
  if (mtuNode !== undefined) {
    mtuNode.check({ attrs: ['size'] });
    const size = mtuNode.attr('size');
    if (size === undefined) throw mtuNode.invalid("missing attribute 'size'");
    if (!/^\d{1,5}$/.test(size.trim()) || Number(size) < 68 || Number(size) > 65535) {
      throw mtuNode.invalid(`Invalid mtu size '${size}' in network '${name}'`);
    }
    def.mtu = Number(size);
    where.set('mtu', mtuNode);
  }
  const macNode = root.child('mac');
  if (macNode !== undefined) {
    macNode.check({ attrs: ['address'] });
    const text = macNode.attr('address');
    if (text === undefined) throw macNode.invalid("missing attribute 'address'");
    const mac = parseMac(text);
    if (mac === undefined) throw macNode.invalid(`Invalid bridge mac address '${text}' in network '${name}'`);
    if (isMulticastMac(mac)) throw macNode.invalid(`Invalid multicast bridge mac address '${text}' in network '${name}'`);
    def.mac = mac;
    where.set('mac', macNode);
  }
  const domainNode = root.child('domain');
  if (domainNode !== undefined) {
    domainNode.check({ attrs: ['name', 'localOnly'] });
    const dn = dnsNameAttr(domainNode, 'name', name);
    if (dn === undefined) throw domainNode.invalid("missing attribute 'name'");
    def.domain = { name: dn };
    const localOnly = domainNode.boolAttr('localOnly');
    if (localOnly !== undefined) def.domain.localOnly = localOnly;
    where.set(def.domain, domainNode);
  }
  const dnsNode = root.child('dns');
  if (dnsNode !== undefined) {
    const dns = parseDns(dnsNode, name);
    if (dns !== undefined) {
      def.dns = dns;
      where.set(dns, dnsNode);
    }
  }
  for (const ipNode of root.children('ip')) {
    const ip = parseIpElement(ipNode, name);
    def.ips.push(ip);
    where.set(ip, ipNode);
    const dhcpNode = ipNode.child('dhcp');
    if (ip.dhcp !== undefined && dhcpNode !== undefined) {
      where.set(ip.dhcp, dhcpNode);
      dhcpNode.children('range').forEach((n, i) => where.set(ip.dhcp?.ranges[i] as object, n));
      dhcpNode.children('host').forEach((n, i) => where.set(ip.dhcp?.hosts[i] as object, n));
    }
  }
  for (const routeNode of root.children('route')) {
    const route = parseRoute(routeNode, name);
    def.routes.push(route);
    where.set(route, routeNode);
  }
  const locate: Locator = (obj) => where.get(obj)?.where();
  validateNetworkDef(def, locate);
  return def;
}

function parseUuidElement(node: XNode | undefined): string {
  if (node === undefined) return generateUuid();
  const text = node.check({ text: true }).text();
  const uuid = parseUuid(text);
  if (uuid === undefined) throw node.invalid(`malformed uuid element '${text}'`);
  return uuid;
}

function parseForward(node: XNode, netName: string): NetworkForward {
  node.check({ attrs: ['mode', 'dev', 'managed'], one: ['nat', 'pf', 'driver'], many: ['interface', 'address'] });
  const written = node.attr('mode');
  if (written !== undefined && DEVICE_MODES.includes(written)) {
    throw node.unsupported(`forward mode '${written}' is not supported yet; supported: ${FORWARD_MODES.join(', ')}`);
  }
  const mode = node.enumAttr('mode', FORWARD_MODES, 'nat');
  for (const tag of ['pf', 'driver', 'address']) {
    const n = node.child(tag);
    if (n !== undefined) throw n.unsupported(`<${tag}> applies to SR-IOV and host device forwarding, which vireo does not support`);
  }
  if (node.attr('managed') !== undefined) throw node.unsupported("attribute 'managed' applies to forward mode 'hostdev' only");
  const interfaces: string[] = [];
  for (const i of node.children('interface')) {
    // 'connections' is runtime state of a running network's dump.
    i.check({ attrs: ['dev', 'connections'] });
    i.intAttr('connections', 0, 4294967295);
    interfaces.push(deviceName(i, i.attr('dev'), 'dev', netName));
  }
  const devText = node.attr('dev');
  if (devText !== undefined) {
    const dev = deviceName(node, devText, 'dev', netName);
    const first = interfaces[0];
    if (first === undefined) interfaces.push(dev);
    else if (first !== dev) throw node.invalid(`<forward dev='${dev}'> must match first <interface dev='${first}'/> in network ${netName}`);
  }
  const forward: NetworkForward = { mode, interfaces };
  const natNode = node.child('nat');
  if (natNode !== undefined) {
    if (mode !== 'nat') throw natNode.invalid(`The <nat> element can only be used when <forward> 'mode' is 'nat' in network ${netName}`);
    forward.nat = parseNat(natNode, netName);
  }
  return forward;
}

function parseNat(node: XNode, netName: string): NetworkNat {
  node.check({ attrs: ['ipv6'], one: ['address', 'port'] });
  const nat: NetworkNat = {};
  if (node.boolAttr('ipv6') === true) nat.ipv6 = true;
  const address = node.child('address');
  if (address !== undefined) {
    address.check({ attrs: ['start', 'end'] });
    const bound = (attr: 'start' | 'end'): { text: string; value: bigint } => {
      const text = address.attr(attr);
      if (text === undefined) throw address.invalid(`missing '${attr}' attribute in <address> element in <nat> in <forward> in network ${netName}`);
      const a = addressAttr(address, attr, (t) => `Bad ipv4 ${attr} address '${t}' in <nat> in <forward> in network '${netName}'`);
      const v4 = parseIpv4(a?.text ?? '');
      if (a === undefined || v4 === undefined) throw address.invalid(`Bad ipv4 ${attr} address '${text}' in <nat> in <forward> in network '${netName}'`);
      return { text: a.text, value: v4 };
    };
    const start = bound('start');
    const end = bound('end');
    if (end.value < start.value) throw address.invalid(`range ${start.text} - ${end.text} is reversed`);
    nat.address = { start: start.text, end: end.text };
  }
  const port = node.child('port');
  if (port !== undefined) {
    port.check({ attrs: ['start', 'end'] });
    const bound = (attr: 'start' | 'end', min: number): number => {
      const text = port.attr(attr)?.trim();
      if (text === undefined || !/^\d{1,5}$/.test(text) || Number(text) < min || Number(text) > 65535) {
        throw port.invalid(`Missing or invalid '${attr}' attribute in <port> in <nat> in <forward> in network ${netName}`);
      }
      return Number(text);
    };
    const start = bound('start', 1);
    nat.port = { start, end: bound('end', start) };
  }
  return nat;
}

function parseBridge(node: XNode, netName: string, mode: ForwardMode | undefined): NetworkBridge {
  node.check({ attrs: ['name', 'stp', 'delay', 'macTableManager', 'zone'] });
  if (node.attr('zone') !== undefined) {
    throw node.unsupported("attribute 'zone' names a firewalld zone; vireo keeps its rules in its own nftables table");
  }
  if (mode === 'bridge' && (node.attr('stp') !== undefined || node.attr('delay') !== undefined)) {
    throw node.invalid(`bridge delay/stp/zone options only allowed in route, nat, and isolated mode, not in bridge (network '${netName}')`);
  }
  const bridge: NetworkBridge = { stp: node.onOffAttr('stp') !== 'off', delay: 0 };
  const name = node.attr('name');
  if (name !== undefined) {
    // 'virbr%d' asks for the first free number, as libvirt allows.
    if (!BRIDGE_NAME.test(name.replace('%d', '0')) || name.split('%').length > 2 || (name.includes('%') && !name.includes('%d'))) {
      throw node.invalid(`invalid bridge name '${name}' in network '${netName}': expected at most 15 letters, digits, '_', '-' and '.'`);
    }
    if (mode === 'bridge' && name.includes('%')) {
      throw node.invalid(`invalid bridge name '${name}' in network '${netName}': forward mode 'bridge' uses an existing bridge, not a name template`);
    }
    bridge.name = name;
  }
  const delay = node.attr('delay');
  if (delay !== undefined) {
    if (!/^\d{1,9}$/.test(delay.trim())) throw node.invalid(`Invalid delay value in network '${netName}'`);
    bridge.delay = Number(delay.trim());
  }
  const mtm = node.attr('macTableManager');
  if (mtm !== undefined) {
    if (mtm !== 'kernel' && mtm !== 'libvirt') throw node.invalid(`Invalid macTableManager setting '${mtm}' in network '${netName}'`);
    bridge.macTableManager = mtm;
  }
  return bridge;
}

function deviceName(node: XNode, value: string | undefined, attr: string, netName: string): string {
  if (value === undefined) throw node.invalid(`missing attribute '${attr}'`);
  if (!DEVICE_NAME.test(value)) {
    throw node.invalid(`invalid device name '${value}' in network '${netName}': expected at most 15 letters, digits, '_', '-' and '.'`);
  }
  return value;
}
