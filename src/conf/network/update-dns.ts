/**
 * net-update of the <dns> sections (dns-host, dns-txt, dns-srv), matching records the way
 * libvirt 9.0 does. Records can be added and deleted, never modified (as in libvirt).
 */

import { VireoError } from '../../api/errors.js';
import type { XNode } from '../xml-reader.js';
import type { DnsSrv, NetworkDef, NetworkDns } from './model.js';
import { parseDnsHost, parseDnsSrv, parseDnsTxt } from './parse-dns.js';

/** Where an item goes, or which one is changed. */
export type Op = 'add-first' | 'add-last' | 'delete' | 'modify';

/** Insert at the front or the back. */
export function insert<T>(list: T[], item: T, op: Op): void {
  if (op === 'add-first') list.unshift(item);
  else list.push(item);
}

const invalid = (message: string): VireoError => VireoError.of('OPERATION_INVALID', message);
const noSupport = (message: string): VireoError => VireoError.of('NO_SUPPORT', message);

function dnsOf(def: NetworkDef): NetworkDns {
  return (def.dns ??= { forwarders: [], txts: [], srvs: [], hosts: [] });
}

/** libvirt prints no <dns> that says nothing; drop one the update emptied. */
function tidy(def: NetworkDef): void {
  const d = def.dns;
  if (d !== undefined && d.enable === undefined && d.forwardPlainNames === undefined
    && d.forwarders.length + d.txts.length + d.srvs.length + d.hosts.length === 0) delete def.dns;
}

export function updateDnsHost(def: NetworkDef, op: Op, node: XNode): void {
  if (op === 'modify') throw noSupport('DNS HOST records cannot be modified, only added or deleted');
  const host = parseDnsHost(node, def.name, op === 'delete');
  const dns = dnsOf(def);
  if (op === 'delete') {
    // A record matches when its address is the same or it shares a host name.
    const found = dns.hosts.flatMap((h, i) =>
      (host.ip !== '' && h.ip === host.ip) || h.hostnames.some((n) => host.hostnames.includes(n)) ? [i] : []);
    if (found.length === 0) throw invalid(`couldn't locate a matching DNS HOST record in network ${def.name}`);
    if (found.length > 1) throw invalid(`multiple matching DNS HOST records were found in network ${def.name}`);
    dns.hosts.splice(found[0] as number, 1);
  } else {
    // libvirt 9.0 refuses a second record for an address; a name may have several addresses.
    if (dns.hosts.some((h) => h.ip === host.ip)) {
      throw invalid(`there is already at least one DNS HOST record with a matching field in network ${def.name}`);
    }
    insert(dns.hosts, host, op);
  }
  tidy(def);
}

export function updateDnsTxt(def: NetworkDef, op: Op, node: XNode): void {
  if (op === 'modify') throw noSupport('DNS TXT records cannot be modified, only added or deleted');
  const txt = parseDnsTxt(node, def.name, op === 'delete');
  const dns = dnsOf(def);
  const i = dns.txts.findIndex((t) => t.name === txt.name);
  if (op === 'delete') {
    if (i < 0) throw invalid(`couldn't locate a matching DNS TXT record in network ${def.name}`);
    dns.txts.splice(i, 1);
  } else {
    if (i >= 0) throw invalid(`there is already a DNS TXT record with name '${txt.name}' in network ${def.name}`);
    insert(dns.txts, txt, op);
  }
  tidy(def);
}

/** True when `have` agrees with every field `want` gives. */
function srvMatches(have: DnsSrv, want: DnsSrv): boolean {
  return have.service === want.service
    && ((want.protocol as string) === '' || have.protocol === want.protocol)
    && (want.domain === undefined || have.domain === want.domain)
    && (want.target === undefined || have.target === want.target)
    && (want.port === undefined || have.port === want.port)
    && (want.priority === undefined || have.priority === want.priority)
    && (want.weight === undefined || have.weight === want.weight);
}

export function updateDnsSrv(def: NetworkDef, op: Op, node: XNode): void {
  if (op === 'modify') throw noSupport('DNS SRV records cannot be modified, only added or deleted');
  const srv = parseDnsSrv(node, def.name, op === 'delete');
  const dns = dnsOf(def);
  const found = dns.srvs.flatMap((s, i) => (srvMatches(s, srv) ? [i] : []));
  if (op === 'delete') {
    if (found.length === 0) throw invalid(`couldn't locate a matching DNS SRV record in network ${def.name}`);
    if (found.length > 1) throw invalid(`multiple DNS SRV records matching all specified fields were found in network ${def.name}`);
    dns.srvs.splice(found[0] as number, 1);
  } else {
    if (found.length > 0) throw invalid(`there is already at least one DNS SRV record matching all specified fields in network ${def.name}`);
    insert(dns.srvs, srv, op);
  }
  tidy(def);
}
