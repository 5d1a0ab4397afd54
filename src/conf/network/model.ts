/**
 * The typed model of a libvirt virtual network (network XML of libvirt 9.0). Addresses are kept
 * as canonical text (what `net-dumpxml` prints); ./addr.ts does the arithmetic on them.
 */

import type { XmlTreeNode } from '../xml.js';
import type { IpFamily } from './addr.js';

/** How the network reaches the outside; an absent <forward> means isolated. */
export type ForwardMode = 'nat' | 'route' | 'open' | 'bridge';

/** Modes whose bridge, DHCP and DNS vireod creates and runs itself (libvirt's "virtual" networks). */
export const MANAGED_MODES: ReadonlyArray<ForwardMode | 'isolated'> = ['isolated', 'nat', 'route', 'open'];

export interface NetworkNat {
  /** IPv4 source address range for masquerading (<nat><address start end/>). */
  address?: { start: string; end: string };
  /** Source port range for masquerading (<nat><port start end/>); at start libvirt fills 1024-65535. */
  port?: { start: number; end: number };
  /** <nat ipv6='yes'>: masquerade IPv6 too. */
  ipv6?: boolean;
}

export interface NetworkForward {
  mode: ForwardMode;
  /**
   * Host interfaces (<interface dev>), in order. `<forward dev='X'>` is the first one: libvirt keeps
   * it as interface 0 and prints both.
   */
  interfaces: string[];
  /** Only for mode 'nat'. */
  nat?: NetworkNat;
}

export interface NetworkBridge {
  /** Host bridge name; filled at define for managed modes (virbrN). */
  name?: string;
  /** Spanning tree protocol (managed modes; libvirt's default is on). */
  stp: boolean;
  /** STP forward delay in seconds (managed modes; default 0). */
  delay: number;
  macTableManager?: 'kernel' | 'libvirt';
}

export type LeaseUnit = 'seconds' | 'minutes' | 'hours';

/** A DHCP lease time; expiry 0 means leases never expire. */
export interface DhcpLease {
  expiry: number;
  /** Absent when expiry is 0; libvirt's default unit is minutes. */
  unit?: LeaseUnit;
}

export interface DhcpRange {
  start: string;
  end: string;
  lease?: DhcpLease;
}

/** A static DHCP entry: IPv4 hosts are keyed by MAC (or name), IPv6 hosts by DUID (id) or name. */
export interface DhcpHost {
  mac?: string;
  /** DHCPv6 client DUID, IPv6 only. */
  id?: string;
  name?: string;
  ip: string;
  lease?: DhcpLease;
}

export interface NetworkIp {
  family: IpFamily;
  /** Whether the XML said family='...' (libvirt prints it only when written). */
  familyWritten: boolean;
  address: string;
  /** Exactly one of prefix / netmask as written, or neither (a default prefix then applies). */
  prefix?: number;
  netmask?: string;
  localPtr?: boolean;
  dhcp?: { ranges: DhcpRange[]; hosts: DhcpHost[] };
}

export interface NetworkRoute {
  family: IpFamily;
  familyWritten: boolean;
  address: string;
  prefix?: number;
  netmask?: string;
  gateway: string;
  metric?: number;
}

export interface DnsForwarder {
  addr?: string;
  domain?: string;
}

export interface DnsHost {
  ip: string;
  hostnames: string[];
}

export interface DnsTxt {
  name: string;
  value: string;
}

export interface DnsSrv {
  service: string;
  protocol: 'tcp' | 'udp';
  domain?: string;
  target?: string;
  port?: number;
  priority?: number;
  weight?: number;
}

export interface NetworkDns {
  /** enable='no' turns dnsmasq's DNS off; then no records may be given. */
  enable?: boolean;
  forwardPlainNames?: boolean;
  forwarders: DnsForwarder[];
  txts: DnsTxt[];
  srvs: DnsSrv[];
  hosts: DnsHost[];
}

export interface NetworkDef {
  name: string;
  uuid: string;
  /** Children of <metadata>, verbatim. */
  metadata?: XmlTreeNode[];
  /** <network ipv6='yes'>: guest-to-guest IPv6 without an IPv6 address on the bridge. */
  ipv6?: boolean;
  trustGuestRxFilters?: boolean;
  /** Absent: an isolated network. */
  forward?: NetworkForward;
  bridge?: NetworkBridge;
  mtu?: number;
  /** The bridge's MAC (managed modes; generated in 52:54:00 at define). */
  mac?: string;
  domain?: { name: string; localOnly?: boolean };
  dns?: NetworkDns;
  ips: NetworkIp[];
  routes: NetworkRoute[];
}

/** The forward mode, with 'isolated' for a network without <forward>. */
export function forwardMode(def: NetworkDef): ForwardMode | 'isolated' {
  return def.forward?.mode ?? 'isolated';
}

/** True for networks whose bridge (and dnsmasq) vireod itself creates. */
export function isManaged(def: NetworkDef): boolean {
  return MANAGED_MODES.includes(forwardMode(def));
}
