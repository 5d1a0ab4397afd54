/**
 * <dns> of a network: forwarders, TXT, SRV and host records, with libvirt's messages. The record
 * parsers also read net-update fragments, where `partial` (a delete) lets identifying fields
 * stand alone.
 */

import type { XNode } from '../xml-reader.js';
import { addressAttr } from './parse-ip.js';
import type { DnsForwarder, DnsHost, DnsSrv, DnsTxt, NetworkDns } from './model.js';

/** libvirt's dnsName: what a DNS name in this XML may hold (it ends up in dnsmasq's config). */
const DNS_NAME = /^[a-zA-Z0-9.-]+$/;
/** libvirt limits SRV service names so the record fits a DNS packet. */
const SRV_SERVICE_MAX = 512 - 30;

/** A DNS name attribute checked against libvirt's dnsName pattern. */
export function dnsNameAttr(node: XNode, attr: string, netName: string): string | undefined {
  const value = node.attr(attr);
  if (value === undefined) return undefined;
  if (!DNS_NAME.test(value)) {
    throw node.invalid(`invalid DNS name '${value}' in attribute '${attr}' in network '${netName}': expected letters, digits, '-' and '.'`);
  }
  return value;
}

export function parseDns(node: XNode, netName: string): NetworkDns | undefined {
  node.check({ attrs: ['enable', 'forwardPlainNames'], many: ['forwarder', 'txt', 'srv', 'host'] });
  const dns: NetworkDns = {
    forwarders: node.children('forwarder').map((f) => parseForwarder(f, netName)),
    txts: node.children('txt').map((t) => parseDnsTxt(t, netName, false)),
    srvs: node.children('srv').map((s) => parseDnsSrv(s, netName, false)),
    hosts: node.children('host').map((h) => parseDnsHost(h, netName, false)),
  };
  const enable = node.boolAttr('enable');
  if (enable !== undefined) dns.enable = enable;
  const plain = node.boolAttr('forwardPlainNames');
  if (plain !== undefined) dns.forwardPlainNames = plain;
  // libvirt prints no <dns> that says nothing.
  if (enable === undefined && plain === undefined && dns.forwarders.length + dns.txts.length + dns.srvs.length + dns.hosts.length === 0) {
    return undefined;
  }
  return dns;
}

function parseForwarder(node: XNode, netName: string): DnsForwarder {
  node.check({ attrs: ['addr', 'domain'] });
  const f: DnsForwarder = {};
  const addr = addressAttr(node, 'addr', (t) => `Invalid forwarder IP address '${t}' in network '${netName}'`);
  if (addr !== undefined) f.addr = addr.text;
  const domain = dnsNameAttr(node, 'domain', netName);
  if (domain !== undefined) f.domain = domain;
  if (f.addr === undefined && f.domain === undefined) {
    throw node.invalid('Invalid forwarder element, must contain at least one of addr or domain');
  }
  return f;
}

/** <host ip><hostname>NAME</hostname>...</host> */
/** In a partial record (net-update delete) `ip` may be '' (absent) or `hostnames` empty. */
export function parseDnsHost(node: XNode, netName: string, partial: boolean): DnsHost {
  node.check({ attrs: ['ip'], many: ['hostname'] });
  const ip = addressAttr(node, 'ip', () => `Invalid IP address in network '${netName}' DNS HOST record`);
  const hostnames: string[] = [];
  for (const h of node.children('hostname')) {
    const name = h.check({ text: true }).text();
    if (name === '') throw h.invalid(`Missing hostname in network '${netName}' DNS HOST record`);
    if (!DNS_NAME.test(name)) {
      throw h.invalid(`invalid hostname '${name}' in network '${netName}' DNS HOST record: expected letters, digits, '-' and '.'`);
    }
    hostnames.push(name);
  }
  if (ip === undefined && (!partial || hostnames.length === 0)) {
    throw node.invalid(`Missing IP address in network '${netName}' DNS HOST record`);
  }
  if (hostnames.length === 0 && !partial) throw node.invalid(`Missing hostname in network '${netName}' DNS HOST record`);
  return { ip: ip?.text ?? '', hostnames };
}

/** <txt name value/> */
export function parseDnsTxt(node: XNode, netName: string, partial: boolean): DnsTxt {
  node.check({ attrs: ['name', 'value'] });
  const name = node.attr('name');
  if (name === undefined) throw node.invalid(`missing required name attribute in DNS TXT record of network ${netName}`);
  if (!DNS_NAME.test(name)) throw node.invalid(`prohibited character in DNS TXT record name '${name}' of network ${netName}`);
  const value = node.attr('value');
  if (value === undefined && !partial) {
    throw node.invalid(`missing required value attribute in DNS TXT record named '${name}' of network ${netName}`);
  }
  return { name, value: value ?? '' };
}

/** <srv service protocol domain target port priority weight/> */
export function parseDnsSrv(node: XNode, netName: string, partial: boolean): DnsSrv {
  node.check({ attrs: ['service', 'protocol', 'domain', 'target', 'port', 'priority', 'weight'] });
  const service = node.attr('service');
  if (service === undefined) throw node.invalid(`missing required service attribute in DNS SRV record of network '${netName}'`);
  if (Buffer.byteLength(service) > SRV_SERVICE_MAX) {
    throw node.invalid(`service attribute '${service}' in network '${netName}' is too long, limit is ${SRV_SERVICE_MAX} bytes`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(service)) {
    throw node.invalid(`invalid character in service attribute '${service}' in DNS SRV record of network '${netName}'`);
  }
  const protocol = node.attr('protocol');
  if (protocol === undefined && !partial) {
    throw node.invalid(`missing required protocol attribute in DNS SRV record '${service}' of network '${netName}'`);
  }
  if (protocol !== undefined && protocol !== 'tcp' && protocol !== 'udp') {
    throw node.invalid(`invalid protocol attribute value '${protocol}' in DNS SRV record of network '${netName}': expected tcp or udp`);
  }
  // In a partial record (net-update delete) an absent protocol matches any; '' marks it.
  const srv: DnsSrv = { service, protocol: (protocol ?? '') as DnsSrv['protocol'] };
  const domain = dnsNameAttr(node, 'domain', netName);
  if (domain !== undefined) srv.domain = domain;
  const target = dnsNameAttr(node, 'target', netName);
  if (target !== undefined) srv.target = target;
  for (const attr of ['port', 'priority', 'weight'] as const) {
    const text = node.attr(attr);
    if (text === undefined) continue;
    if (!/^\d{1,5}$/.test(text.trim()) || Number(text.trim()) > 65535) {
      throw node.invalid(`Invalid DNS SRV ${attr} attribute for service '${service}' in network '${netName}'`);
    }
    if (target === undefined) {
      throw node.invalid(`DNS SRV ${attr} attribute not permitted without target for service '${service}' in network '${netName}'`);
    }
    srv[attr] = Number(text.trim());
  }
  return srv;
}
