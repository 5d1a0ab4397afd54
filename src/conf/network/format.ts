/**
 * NetworkDef -> libvirt network XML, laid out byte for byte as `virsh net-dumpxml` of libvirt 9.0
 * prints it (element order, attribute order, the open/close form of <ip>), so that the output
 * validates against libvirt's network.rng.
 */

import { el, fromXmlTree, serializeXml, type XmlOut } from '../xml.js';
import { isManaged, type DhcpLease, type NetworkDef, type NetworkDns, type NetworkForward, type NetworkIp } from './model.js';

/** Options for formatNetworkXml. */
export interface NetworkFormatOptions {
  /** Guest interfaces attached to a running network: printed as <network connections='N'> when > 0. */
  connections?: number;
}

const yesNo = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? 'yes' : 'no');

/** Print a network definition as libvirt-style XML (final newline included). */
export function formatNetworkXml(def: NetworkDef, opts: NetworkFormatOptions = {}): string {
  const connections = opts.connections !== undefined && opts.connections > 0 ? opts.connections : undefined;
  const root = el('network', {
    connections,
    ipv6: def.ipv6 === true ? 'yes' : undefined,
    trustGuestRxFilters: yesNo(def.trustGuestRxFilters),
  }, [
    el('name', {}, def.name),
    el('uuid', {}, def.uuid),
    def.metadata !== undefined && el('metadata', {}, def.metadata.map(fromXmlTree)),
    def.forward !== undefined && formatForward(def.forward),
    formatBridge(def),
    def.mtu !== undefined && el('mtu', { size: def.mtu }),
    def.mac !== undefined && el('mac', { address: def.mac }),
    def.domain !== undefined && el('domain', { name: def.domain.name, localOnly: yesNo(def.domain.localOnly) }),
    def.dns !== undefined && formatDns(def.dns),
    ...def.ips.map(formatIp),
    ...def.routes.map((r) => el('route', {
      family: r.familyWritten ? r.family : undefined,
      address: r.address,
      netmask: r.netmask,
      prefix: r.prefix,
      gateway: r.gateway,
      metric: r.metric,
    })),
  ]);
  return serializeXml(root);
}

function formatForward(fwd: NetworkForward): XmlOut {
  const nat = fwd.nat;
  const natOut = nat !== undefined && (nat.address !== undefined || nat.port !== undefined || nat.ipv6 === true)
    ? el('nat', { ipv6: nat.ipv6 === true ? 'yes' : undefined }, [
      nat.address !== undefined && el('address', { start: nat.address.start, end: nat.address.end }),
      nat.port !== undefined && el('port', { start: nat.port.start, end: nat.port.end }),
    ])
    : undefined;
  return el('forward', { dev: fwd.interfaces[0], mode: fwd.mode }, [
    natOut,
    ...fwd.interfaces.map((dev) => el('interface', { dev })),
  ]);
}

function formatBridge(def: NetworkDef): XmlOut | undefined {
  const b = def.bridge;
  if (isManaged(def)) {
    return el('bridge', { name: b?.name, stp: (b?.stp ?? true) ? 'on' : 'off', delay: b?.delay ?? 0, macTableManager: b?.macTableManager });
  }
  if (b === undefined || (b.name === undefined && b.macTableManager === undefined)) return undefined;
  return el('bridge', { name: b.name, macTableManager: b.macTableManager });
}

function formatDns(dns: NetworkDns): XmlOut {
  return el('dns', { enable: yesNo(dns.enable), forwardPlainNames: yesNo(dns.forwardPlainNames) }, [
    ...dns.forwarders.map((f) => el('forwarder', { domain: f.domain, addr: f.addr })),
    ...dns.txts.map((t) => el('txt', { name: t.name, value: t.value })),
    ...dns.srvs.map((s) => el('srv', {
      service: s.service,
      protocol: s.protocol,
      domain: s.domain,
      target: s.target,
      port: s.port,
      priority: s.priority,
      weight: s.weight,
    })),
    ...dns.hosts.map((h) => el('host', { ip: h.ip }, h.hostnames.map((n) => el('hostname', {}, n)))),
  ]);
}

const lease = (l: DhcpLease | undefined): XmlOut[] => (l === undefined ? [] : [el('lease', { expiry: l.expiry, unit: l.unit })]);

function formatIp(ip: NetworkIp): XmlOut {
  const out = el('ip', {
    family: ip.familyWritten ? ip.family : undefined,
    address: ip.address,
    netmask: ip.netmask,
    prefix: ip.prefix,
    localPtr: yesNo(ip.localPtr),
  }, ip.dhcp === undefined ? undefined : [
    el('dhcp', {}, [
      ...ip.dhcp.ranges.map((r) => el('range', { start: r.start, end: r.end }, lease(r.lease))),
      ...ip.dhcp.hosts.map((h) => el('host', { mac: h.mac, id: h.id, name: h.name, ip: h.ip }, lease(h.lease))),
    ]),
  ]);
  // libvirt always prints <ip> with a closing tag, on its own line even when it is empty. The
  // writer prints text verbatim, so a newline and the indent of <ip> (depth 1) reproduce it.
  if (out.children.length === 0) out.text = '\n  ';
  return out;
}
