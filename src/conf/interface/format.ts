/**
 * InterfaceDef -> libvirt interface XML, laid out as libvirt 9.0 prints it (start, mtu,
 * protocols, link, mac, then the bridge/bond/vlan element; a bare member with no content keeps
 * its closing tag on its own line), so that the output validates against interface.rng.
 */
import { el, serializeXml, type XmlOut } from '../xml.js';
import type { InterfaceDef, InterfaceProtocol } from './model.js';

/** Print an interface definition as libvirt-style XML (final newline included). */
export function formatInterfaceXml(def: InterfaceDef): string {
  return serializeXml(formatDef(def, 0));
}

function formatDef(def: InterfaceDef, depth: number): XmlOut {
  const top = depth === 0;
  const out = el('interface', { type: def.type, name: def.name }, [
    top && def.start !== undefined && el('start', { mode: def.start }),
    top && def.mtu !== undefined && el('mtu', { size: def.mtu }),
    ...(top ? def.protocols.map(formatProtocol) : []),
    def.type !== 'bridge' && def.link !== undefined && (def.link.speed !== undefined || def.link.state !== undefined)
      && el('link', { speed: def.link.speed, state: def.link.state }),
    def.type === 'ethernet' && def.mac !== undefined && el('mac', { address: def.mac }),
    def.bridge !== undefined && el('bridge', {
      stp: def.bridge.stp === undefined ? undefined : def.bridge.stp ? 'on' : 'off',
      delay: def.bridge.delay === undefined ? undefined : String(def.bridge.delay),
    }, def.bridge.members.map((m) => formatDef(m, depth + 2))),
    def.bond !== undefined && el('bond', { mode: def.bond.mode }, [
      def.bond.miimon !== undefined && el('miimon', {
        freq: def.bond.miimon.freq, downdelay: def.bond.miimon.downdelay, updelay: def.bond.miimon.updelay, carrier: def.bond.miimon.carrier,
      }),
      def.bond.arpmon !== undefined && el('arpmon', { interval: def.bond.arpmon.interval, target: def.bond.arpmon.target, validate: def.bond.arpmon.validate }),
      ...def.bond.members.map((m) => formatDef(m, depth + 2)),
    ]),
    def.vlan !== undefined && el('vlan', { tag: def.vlan.tag }, [el('interface', { name: def.vlan.device })]),
  ]);
  // An empty <bridge> keeps its closing tag on its own line too, as libvirt prints it.
  const bridgeOut = out.children.find((c) => c.name === 'bridge');
  if (bridgeOut !== undefined && bridgeOut.children.length === 0) bridgeOut.text = `\n${'  '.repeat(depth + 1)}`;
  // libvirt prints an empty member as <interface ...> and </interface> on two lines. The writer
  // prints text verbatim: a newline and the member's own indent reproduce that.
  if (!top && out.children.length === 0) out.text = `\n${'  '.repeat(depth)}`;
  return out;
}

function formatProtocol(p: InterfaceProtocol): XmlOut {
  const out = el('protocol', { family: p.family }, [
    p.autoconf === true && el('autoconf'),
    p.dhcp !== undefined && el('dhcp', { peerdns: p.dhcp.peerdns === undefined ? undefined : p.dhcp.peerdns ? 'yes' : 'no' }),
    ...p.ips.map((ip) => el('ip', { address: ip.address, prefix: ip.prefix })),
    p.gateway !== undefined && el('route', { gateway: p.gateway }),
  ]);
  if (out.children.length === 0) out.text = '\n  ';
  return out;
}
