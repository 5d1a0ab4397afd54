/**
 * libvirt interface XML -> InterfaceDef, strict: every element and attribute of interface.rng
 * that vireo models is read, anything else is refused by name and line, and the rules the schema
 * states (which parts each type and nesting level may have) are enforced with clear messages.
 */
import { VireoError } from '../../api/errors.js';
import { parseMac } from '../names.js';
import { parseXml } from '../xml.js';
import { XNode } from '../xml-reader.js';
import { parseIpv4, parseIpv6, formatIp } from '../network/addr.js';
import {
  BOND_MODES, INTERFACE_TYPES, START_MODES, type BondConfig, type InterfaceDef, type InterfaceProtocol, type InterfaceType,
} from './model.js';

/** A Linux interface name: 1-15 characters, no '/', ':' or white space (the kernel's rule). */
const DEVICE_NAME = /^[^/:\s]{1,15}$/;

/** Options for parseInterfaceXml. */
export interface InterfaceParseOptions {
  /** Name for syntax errors, e.g. the file the XML came from. */
  sourceName?: string;
}

/** Parse and validate libvirt interface XML. */
export function parseInterfaceXml(xml: string, opts: InterfaceParseOptions = {}): InterfaceDef {
  const rootEl = parseXml(xml, opts.sourceName ?? '(interface_definition)');
  if (rootEl.name !== 'interface') {
    throw VireoError.of('XML_INVALID', `unexpected root element <${rootEl.name}> at line ${rootEl.line}; an interface definition starts with <interface>`);
  }
  return parseDef(XNode.root(rootEl), 'top');
}

type Level = 'top' | 'bridge-member' | 'bond-member';

function parseDef(node: XNode, level: Level): InterfaceDef {
  const top = level === 'top';
  const typeText = node.attr('type');
  if (typeText === undefined) throw node.invalid("missing interface type: <interface> needs type='ethernet|bridge|bond|vlan'");
  const type: InterfaceType = node.enumAttr('type', INTERFACE_TYPES)!;
  if (level === 'bond-member' && type !== 'ethernet') throw node.unsupported(`a bond's members are ethernet interfaces, not ${type}`);
  if (level === 'bridge-member' && type === 'bridge') throw node.unsupported('a bridge cannot be a member of another bridge');

  const one = ['link'];
  if (top) one.push('start', 'mtu');
  if (type === 'ethernet') one.push('mac');
  if (type === 'bridge') one.push('bridge');
  if (type === 'bond') one.push('bond');
  if (type === 'vlan') one.push('vlan');
  node.check({ attrs: ['type', 'name'], one, many: top ? ['protocol'] : [] });
  if (type === 'bridge' && node.child('link') !== undefined) throw node.child('link')!.unsupported("a bridge interface has no <link>");

  const vlanNode = node.child('vlan');
  let name = node.attr('name');
  const def: InterfaceDef = { type, name: '', protocols: [] };
  if (vlanNode !== undefined) {
    vlanNode.check({ attrs: ['tag'], one: ['interface'] });
    const tagText = vlanNode.attr('tag');
    if (tagText === undefined) throw vlanNode.invalid("missing attribute 'tag': the VLAN id");
    const tag = vlanNode.intAttr('tag', 0, 4095)!;
    const dev = vlanNode.child('interface');
    if (dev === undefined) throw vlanNode.invalid('a VLAN needs <interface name=.../>, the device it rides on');
    dev.check({ attrs: ['name'] });
    const device = dev.attr('name');
    if (device === undefined) throw dev.invalid("missing attribute 'name'");
    checkDeviceName(dev, device);
    def.vlan = { tag, device };
    // The schema makes a VLAN's name optional; it is always DEVICE.TAG (interface.rng).
    name ??= `${device}.${tag}`;
  } else if (type === 'vlan') {
    throw node.invalid('a vlan interface needs <vlan tag=...>');
  }
  if (name === undefined) throw node.invalid('missing interface name');
  checkDeviceName(node, name);
  def.name = name;

  const start = node.child('start');
  if (start !== undefined) {
    start.check({ attrs: ['mode'] });
    if (start.attr('mode') === undefined) throw start.invalid("missing attribute 'mode'");
    def.start = start.enumAttr('mode', START_MODES)!;
  }
  const mtu = node.child('mtu');
  if (mtu !== undefined) {
    mtu.check({ attrs: ['size'] });
    if (mtu.attr('size') === undefined) throw mtu.invalid("missing attribute 'size'");
    def.mtu = mtu.intAttr('size', 68, 65535)!;
  }
  const mac = node.child('mac');
  if (mac !== undefined) {
    mac.check({ attrs: ['address'] });
    const text = mac.requireAttr('address');
    const parsed = parseMac(text);
    if (parsed === undefined) throw mac.invalidAttr('address', text, 'expected a MAC address such as 52:54:00:12:34:56');
    def.mac = parsed;
  }
  const link = node.child('link');
  if (link !== undefined) {
    link.check({ attrs: ['speed', 'state'] });
    const speed = link.intAttr('speed', 0, 4294967295);
    const state = link.enumAttr('state', ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const);
    def.link = { ...(speed === undefined ? {} : { speed }), ...(state === undefined ? {} : { state }) };
  }
  if (top) def.protocols = parseProtocols(node);

  const bridge = node.child('bridge');
  if (bridge !== undefined) {
    bridge.check({ attrs: ['stp', 'delay'], many: ['interface'] });
    const stp = bridge.boolAttr('stp', 'on-off');
    const delayText = bridge.attr('delay');
    let delay: number | undefined;
    if (delayText !== undefined) {
      if (!/^\d+(\.\d+)?$/.test(delayText.trim())) throw bridge.invalidAttr('delay', delayText, 'expected a number of seconds, 0 or more');
      delay = Number(delayText.trim());
    }
    def.bridge = { ...(stp === undefined ? {} : { stp }), ...(delay === undefined ? {} : { delay }), members: bridge.children('interface').map((m) => parseDef(m, 'bridge-member')) };
  } else if (type === 'bridge') {
    throw node.invalid('a bridge interface needs <bridge>');
  }
  const bond = node.child('bond');
  if (bond !== undefined) def.bond = parseBond(bond);
  else if (type === 'bond') throw node.invalid('a bond interface needs <bond>');

  const members = [...(def.bridge?.members ?? []), ...(def.bond?.members ?? [])];
  const seen = new Set<string>();
  for (const m of members) {
    if (m.name === def.name) throw node.invalid(`interface '${def.name}' cannot be a member of itself`);
    if (seen.has(m.name)) throw node.invalid(`interface '${m.name}' is listed twice as a member of '${def.name}'`);
    seen.add(m.name);
  }
  return def;
}

function checkDeviceName(node: XNode, name: string): void {
  if (!DEVICE_NAME.test(name) || name === '.' || name === '..') {
    throw node.invalid(`invalid interface name '${name}': a Linux device name has 1 to 15 characters and no '/', ':' or white space`);
  }
}

function parseProtocols(node: XNode): InterfaceProtocol[] {
  const out: InterfaceProtocol[] = [];
  for (const p of node.children('protocol')) {
    const familyText = p.attr('family');
    if (familyText === undefined) throw p.invalid("missing attribute 'family' (ipv4 or ipv6)");
    const family = p.enumAttr('family', ['ipv4', 'ipv6'] as const)!;
    if (out.some((o) => o.family === family)) throw p.invalid(`duplicate <protocol family='${family}'>; it may appear only once`);
    p.check({ attrs: ['family'], one: family === 'ipv6' ? ['autoconf', 'dhcp', 'route'] : ['dhcp', 'route'], many: ['ip'] });
    const proto: InterfaceProtocol = { family, ips: [] };
    const parseAddr = (n: XNode, attr: string): string => {
      const text = n.requireAttr(attr);
      const v = family === 'ipv4' ? parseIpv4(text) : parseIpv6(text);
      if (v === undefined) throw n.invalidAttr(attr, text, `expected an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
      return formatIp({ family, value: v });
    };
    const autoconf = p.child('autoconf');
    if (autoconf !== undefined) {
      autoconf.check({});
      proto.autoconf = true;
    }
    const dhcp = p.child('dhcp');
    if (dhcp !== undefined) {
      dhcp.check({ attrs: ['peerdns'] });
      const peerdns = dhcp.boolAttr('peerdns');
      proto.dhcp = peerdns === undefined ? {} : { peerdns };
    }
    for (const ip of p.children('ip')) {
      ip.check({ attrs: ['address', 'prefix'] });
      const address = parseAddr(ip, 'address');
      const prefix = ip.intAttr('prefix', 0, family === 'ipv4' ? 32 : 128);
      proto.ips.push(prefix === undefined ? { address } : { address, prefix });
    }
    const route = p.child('route');
    if (route !== undefined) {
      route.check({ attrs: ['gateway'] });
      proto.gateway = parseAddr(route, 'gateway');
    }
    out.push(proto);
  }
  return out;
}

function parseBond(node: XNode): BondConfig {
  node.check({ attrs: ['mode'], one: ['miimon', 'arpmon'], many: ['interface'] });
  const bond: BondConfig = { members: [] };
  const mode = node.enumAttr('mode', BOND_MODES);
  if (mode !== undefined) bond.mode = mode;
  const mii = node.child('miimon');
  const arp = node.child('arpmon');
  if (mii !== undefined && arp !== undefined) throw arp.invalid('a bond has either <miimon> or <arpmon>, not both');
  if (mii !== undefined) {
    mii.check({ attrs: ['freq', 'downdelay', 'updelay', 'carrier'] });
    if (mii.attr('freq') === undefined) throw mii.invalid("missing attribute 'freq'");
    const downdelay = mii.intAttr('downdelay', 0, 4294967295);
    const updelay = mii.intAttr('updelay', 0, 4294967295);
    const carrier = mii.enumAttr('carrier', ['ioctl', 'netif'] as const);
    bond.miimon = {
      freq: mii.intAttr('freq', 0, 4294967295)!,
      ...(downdelay === undefined ? {} : { downdelay }), ...(updelay === undefined ? {} : { updelay }), ...(carrier === undefined ? {} : { carrier }),
    };
  }
  if (arp !== undefined) {
    arp.check({ attrs: ['interval', 'target', 'validate'] });
    if (arp.attr('interval') === undefined) throw arp.invalid("missing attribute 'interval'");
    const target = arp.requireAttr('target');
    const v = parseIpv4(target);
    if (v === undefined) throw arp.invalidAttr('target', target, 'expected an IPv4 address');
    const validate = arp.enumAttr('validate', ['none', 'active', 'backup', 'all'] as const);
    bond.arpmon = { interval: arp.intAttr('interval', 0, 4294967295)!, target: formatIp({ family: 'ipv4', value: v }), ...(validate === undefined ? {} : { validate }) };
  }
  bond.members = node.children('interface').map((m) => parseDef(m, 'bond-member'));
  if (bond.members.length === 0) throw node.invalid('a bond needs at least one member <interface>');
  return bond;
}
