/**
 * dnsmasq's configuration for one network, written the way libvirt 9.0 writes it (the same
 * options in the same order), plus its DHCP hosts file and its DNS hosts file. Pure.
 */
import { VireoError } from '../api/errors.js';
import { contains, formatIp, mustParseIp, netmaskOf, rangeSize, subnetOf, type IpAddr, type Subnet } from './ip.js';
import type { DhcpHost, DnsSrv, IpSpec, LeaseTime, NetworkSpec } from './types.js';

/** Where a network's dnsmasq files live. */
export interface DnsmasqPaths {
  conf: string;
  hostsFile: string;
  addnHosts: string;
  pidFile: string;
  leaseFile: string;
}

/**
 * The files are named after the network, as libvirt names them; characters that dnsmasq's conf
 * syntax or a path would misread (white space, '#', '/', quotes...) are written %XX.
 */
export function dnsmasqPaths(dir: string, network: string): DnsmasqPaths {
  if (network === '' || network === '.' || network === '..') throw new VireoError('INVALID_ARG', `network name '${network}' cannot name dnsmasq's files`);
  const safe = network.replace(/[^A-Za-z0-9_.:+@-]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  const base = `${dir}/${safe}`;
  return { conf: `${base}.conf`, hostsFile: `${base}.hostsfile`, addnHosts: `${base}.addnhosts`, pidFile: `${base}.pid`, leaseFile: `${base}.leases` };
}

export interface DnsmasqFiles {
  conf: string;
  /** dhcp-hostsfile: re-read on SIGHUP. */
  hostsFile: string;
  /** addn-hosts: re-read on SIGHUP. */
  addnHosts: string;
}

/**
 * libvirt runs dnsmasq for every network with an IP address, unless it has no DHCP and its DNS is
 * switched off.
 */
export function needsDnsmasq(spec: NetworkSpec): boolean {
  if (spec.ips.length === 0) return false;
  return spec.dns?.enable !== false || spec.ips.some(hasDhcp);
}

const hasDhcp = (i: IpSpec): boolean => (i.dhcpRanges?.length ?? 0) > 0 || (i.dhcpHosts?.length ?? 0) > 0;

function leaseText(l: LeaseTime | undefined): string | undefined {
  if (l === undefined) return undefined;
  if (!Number.isInteger(l.expiry) || l.expiry < 0) throw new VireoError('INVALID_ARG', `DHCP lease expiry ${l.expiry} is not a whole number of ${l.unit ?? 'minutes'}`);
  return l.expiry === 0 ? 'infinite' : `${l.expiry}${(l.unit ?? 'minutes')[0]}`;
}

/** The reverse-lookup zone of a subnet, for `local=/.../`. */
export function ptrDomain(s: Subnet): string {
  const step = s.family === 'ipv4' ? 8 : 4;
  if (s.prefix % step !== 0 || s.prefix === 0) {
    throw new VireoError('INVALID_ARG', `a PTR domain for the ${s.family === 'ipv4' ? 'IPv4' : 'IPv6'} network with prefix ${s.prefix} cannot be created automatically`);
  }
  const bits = s.family === 'ipv4' ? 32 : 128;
  const labels: string[] = [];
  for (let b = 0; b < s.prefix; b += step) labels.unshift(((s.network >> BigInt(bits - b - step)) & BigInt((1 << step) - 1)).toString(s.family === 'ipv4' ? 10 : 16));
  return `${labels.join('.')}.${s.family === 'ipv4' ? 'in-addr' : 'ip6'}.arpa`;
}

function hostLine(h: DhcpHost, ip: IpAddr, subnet: Subnet): string {
  const addr = formatIp(mustParseIp(h.ip, 'DHCP host address', ip.family));
  if (!contains(subnet, mustParseIp(h.ip, 'DHCP host address'))) throw new VireoError('INVALID_ARG', `DHCP host address ${h.ip} is outside the network ${formatIp(ip)}/${subnet.prefix}`);
  let line: string;
  if (ip.family === 'ipv6') {
    if (h.id === undefined && h.name === undefined) throw new VireoError('INVALID_ARG', `IPv6 DHCP host ${h.ip} needs an id or a name`);
    line = [h.id === undefined ? undefined : `id:${h.id}`, h.name, `[${addr}]`].filter((x) => x !== undefined).join(',');
  } else {
    if (h.mac === undefined && h.name === undefined) throw new VireoError('INVALID_ARG', `DHCP host ${h.ip} needs a MAC address or a name`);
    line = h.mac === undefined ? `${h.name},${addr}` : [h.mac.toLowerCase(), addr, h.name].filter((x) => x !== undefined).join(',');
  }
  const lease = leaseText(h.lease);
  return lease === undefined ? line : `${line},${lease}`;
}

/** dnsmasq's conf file, DHCP hosts file and DNS hosts file for a network. */
export function dnsmasqFiles(spec: NetworkSpec, paths: DnsmasqPaths): DnsmasqFiles {
  const dns = spec.dns ?? {};
  const wantDns = dns.enable !== false;
  const out: string[] = [
    '##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE',
    '##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:',
    `##    vireo net-edit ${spec.name}`,
    '## or other application using the vireo API.',
    '##',
    '## dnsmasq conf file created by vireo',
    'strict-order',
  ];
  // DNS off: listen on no port at all.
  if (!wantDns) out.push('port=0');
  if (wantDns && (dns.forwarders?.length ?? 0) > 0) {
    let noResolv = false;
    for (const f of dns.forwarders!) {
      const domain = f.domain === undefined ? '' : `/${f.domain}/`;
      if (f.addr !== undefined) {
        out.push(`server=${domain}${formatIp(mustParseIp(f.addr, 'DNS forwarder'))}`);
        // A forwarder for every name replaces the host's resolv.conf.
        if (f.domain === undefined) noResolv = true;
      } else out.push(`server=${domain}#`);
    }
    if (noResolv) out.push('no-resolv');
  }
  if (spec.domain !== undefined) {
    if (spec.domain.localOnly === true) out.push(`local=/${spec.domain.name}/`);
    out.push(`domain=${spec.domain.name}`, 'expand-hosts');
  }
  const ips = spec.ips.map((i) => {
    const addr = mustParseIp(i.address, 'network address');
    return { spec: i, addr, subnet: subnetOf(addr, i.prefix) };
  });
  if (wantDns) for (const i of ips) if (i.spec.localPtr === true) out.push(`local=/${ptrDomain(i.subnet)}/`);
  if (wantDns && dns.forwardPlainNames === false) out.push('domain-needed', 'local=//');
  out.push(`pid-file=${paths.pidFile}`, 'except-interface=lo', 'bind-dynamic', `interface=${spec.bridge.name}`);
  if (spec.forward.mode === 'isolated') {
    // No default route in DHCP nor RA, and no DNS forwarding: nothing may lead out.
    out.push('dhcp-option=3', 'no-resolv', 'ra-param=*,0,0');
  }
  if (wantDns) {
    for (const t of dns.txts ?? []) out.push(`txt-record=${t.name},${t.value}`);
    for (const s of dns.srvs ?? []) out.push(srvLine(s));
  }

  const dhcp4 = ips.filter((i) => i.addr.family === 'ipv4' && hasDhcp(i.spec));
  const dhcp6 = ips.filter((i) => i.addr.family === 'ipv6' && hasDhcp(i.spec));
  if (dhcp4.length > 1) throw new VireoError('INVALID_ARG', 'For IPv4, multiple DHCP definitions cannot be specified.');
  if (dhcp6.length > 1) throw new VireoError('INVALID_ARG', 'For IPv6, multiple DHCP definitions cannot be specified.');
  // libvirt 9.0 writes the TFTP root ahead of the DHCP options.
  const tftp = dhcp4[0]?.spec.tftpRoot;
  if (tftp !== undefined) out.push('enable-tftp', `tftp-root=${tftp}`);
  const hosts: string[] = [];
  let leaseMax = 0;
  for (const i of [...dhcp4, ...dhcp6]) {
    const ranges = i.spec.dhcpRanges ?? [];
    for (const r of ranges) {
      const start = mustParseIp(r.start, 'DHCP range start', i.addr.family);
      const end = mustParseIp(r.end, 'DHCP range end', i.addr.family);
      if (!contains(i.subnet, start) || !contains(i.subnet, end) || end.value < start.value) {
        throw new VireoError('INVALID_ARG', `DHCP range ${r.start} - ${r.end} does not lie within the network ${formatIp(i.addr)}/${i.spec.prefix}`);
      }
      const mask = i.addr.family === 'ipv4' ? netmaskOf(i.spec.prefix) : String(i.spec.prefix);
      const lease = leaseText(r.lease);
      out.push(`dhcp-range=${formatIp(start)},${formatIp(end)},${mask}${lease === undefined ? '' : `,${lease}`}`);
      leaseMax += rangeSize(start, end);
    }
    const hostList = i.spec.dhcpHosts ?? [];
    // Static-only DHCP still needs a range to switch DHCP on.
    if (ranges.length === 0 && hostList.length > 0) out.push(`dhcp-range=${formatIp(i.addr)},static${i.addr.family === 'ipv6' ? `,${i.spec.prefix}` : ''}`);
    for (const h of hostList) hosts.push(hostLine(h, i.addr, i.subnet));
    if (i.addr.family === 'ipv4') {
      out.push('dhcp-no-override', 'dhcp-authoritative');
      if (i.spec.bootFile !== undefined) {
        out.push(i.spec.bootServer === undefined ? `dhcp-boot=${i.spec.bootFile}` : `dhcp-boot=${i.spec.bootFile},,${formatIp(mustParseIp(i.spec.bootServer, 'boot server', 'ipv4'))}`);
      }
    }
  }
  if (leaseMax > 0) out.push(`dhcp-lease-max=${leaseMax}`);
  if (dhcp4.length + dhcp6.length > 0) out.push(`dhcp-hostsfile=${paths.hostsFile}`);
  if (wantDns) out.push(`addn-hosts=${paths.addnHosts}`);
  if (spec.bridge.mtu !== undefined) out.push(`dhcp-option=option:mtu,${spec.bridge.mtu}`);
  if (dhcp6.length > 0) out.push('enable-ra');
  else for (const i of ips) if (i.addr.family === 'ipv6') out.push(`dhcp-range=${formatIp(i.addr)},ra-only`);
  out.push(...(spec.dnsmasqOptions ?? []));

  // A value with a line break would smuggle options into dnsmasq's files.
  const addnHosts = addnHostsText(wantDns ? dns.hosts ?? [] : []);
  for (const l of [...out, ...hosts]) {
    if (/[\r\n\0]/.test(l)) throw new VireoError('INVALID_ARG', `a value for dnsmasq contains a line break: ${JSON.stringify(l)}`);
  }
  return { conf: out.join('\n') + '\n', hostsFile: hosts.map((h) => h + '\n').join(''), addnHosts };
}

function srvLine(s: DnsSrv): string {
  let line = `srv-host=_${s.service}._${s.protocol}${s.domain === undefined ? '' : `.${s.domain}`}`;
  // An empty target or "." says the service is decidedly not available here (RFC 2782).
  if (s.target !== undefined && s.target !== '.') {
    line += `,${s.target}`;
    // Port, priority and weight are positional: give the defaults of those left out before one given.
    if (s.port || s.priority || s.weight) line += `,${s.port || 1}`;
    if (s.priority || s.weight) line += `,${s.priority ?? 0}`;
    if (s.weight) line += `,${s.weight}`;
  }
  return line;
}

/** addn-hosts: one line per address, its names tab-separated in the order given. */
function addnHostsText(hosts: readonly { ip: string; hostnames: string[] }[]): string {
  const byIp = new Map<string, string[]>();
  for (const h of hosts) {
    const ip = formatIp(mustParseIp(h.ip, 'DNS host address'));
    const bad = h.hostnames.find((n) => n === '' || /\s|\0/.test(n));
    if (bad !== undefined) throw new VireoError('INVALID_ARG', `DNS host name ${JSON.stringify(bad)} is empty or contains white space`);
    byIp.set(ip, [...(byIp.get(ip) ?? []), ...h.hostnames]);
  }
  return [...byIp].map(([ip, names]) => `${ip}\t${names.map((n) => `${n}\t`).join('')}\n`).join('');
}
