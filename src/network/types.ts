/**
 * What the network driver is asked to run: plain data the daemon maps its network definition to.
 * Names follow libvirt's network XML so the mapping is one-to-one; the driver knows no domains,
 * no registry and no XML.
 */

/** `<forward mode>`; 'isolated' is a network without `<forward>`. Bridge-mode networks use a host
 * bridge someone else made: there is nothing to start for them. */
export type ForwardMode = 'isolated' | 'nat' | 'route' | 'open';

export interface BridgeSpec {
  /** Linux interface name, at most 15 bytes. */
  name: string;
  /** `<mac address>`; the kernel picks one when absent. */
  mac?: string;
  /** `<mtu size>`; the kernel default (1500) when absent. */
  mtu?: number;
  /** `<bridge stp>`: libvirt's default is on. */
  stp?: boolean;
  /** `<bridge delay>` in seconds: libvirt's default is 0 (the kernel raises it to 2 s while STP is on). */
  delay?: number;
}

/** `<lease expiry unit>`: expiry 0 means infinite; libvirt's default unit is minutes. */
export interface LeaseTime {
  expiry: number;
  unit?: 'seconds' | 'minutes' | 'hours';
}

export interface DhcpRange {
  start: string;
  end: string;
  lease?: LeaseTime;
}

/** `<dhcp><host>`: IPv4 hosts are matched by mac (or name), IPv6 hosts by id (DUID) or name. */
export interface DhcpHost {
  mac?: string;
  id?: string;
  name?: string;
  ip: string;
  lease?: LeaseTime;
}

/** `<ip address prefix>` (a netmask must be turned into a prefix by the caller) with its `<dhcp>`. */
export interface IpSpec {
  /** The bridge's own address in this subnet. */
  address: string;
  prefix: number;
  /** `<ip localPtr='yes'>`: answer reverse lookups for the subnet locally, never forward them. */
  localPtr?: boolean;
  dhcpRanges?: DhcpRange[];
  dhcpHosts?: DhcpHost[];
  /** `<tftp root>` and `<dhcp><bootp file server>` (IPv4 only). */
  tftpRoot?: string;
  bootFile?: string;
  bootServer?: string;
}

export interface DnsHost {
  ip: string;
  hostnames: string[];
}

/** `<forwarder addr domain>`: a domain without an address means "answer locally, never forward". */
export interface DnsForwarder {
  addr?: string;
  domain?: string;
}

export interface DnsTxt {
  name: string;
  value: string;
}

export interface DnsSrv {
  service: string;
  protocol: string;
  domain?: string;
  target?: string;
  port?: number;
  priority?: number;
  weight?: number;
}

export interface DnsSpec {
  /** `<dns enable='no'>` turns dnsmasq's DNS off (DHCP still runs). */
  enable?: boolean;
  /** `<dns forwardPlainNames='no'>`: names without a dot are answered locally only. */
  forwardPlainNames?: boolean;
  forwarders?: DnsForwarder[];
  hosts?: DnsHost[];
  txts?: DnsTxt[];
  srvs?: DnsSrv[];
}

/** `<forward><nat>`: source addresses and ports for masquerading. */
export interface NatSpec {
  addressStart?: string;
  addressEnd?: string;
  /** libvirt's default: 1024-65535. */
  portStart?: number;
  portEnd?: number;
  /** `<nat ipv6='yes'>`: masquerade the IPv6 subnets too (libvirt routes them otherwise). */
  ipv6?: boolean;
}

export interface ForwardSpec {
  mode: ForwardMode;
  /** `<forward dev>`: forward only through this host interface. */
  dev?: string;
  nat?: NatSpec;
}

/** A virtual network to run on this host. */
export interface NetworkSpec {
  /** The network's name: names dnsmasq's files and appears in firewall comments. */
  name: string;
  bridge: BridgeSpec;
  forward: ForwardSpec;
  ips: IpSpec[];
  /** `<route address prefix gateway metric>`: static routes through a guest on the network. */
  routes?: RouteSpec[];
  /** `<network ipv6='yes'>`: IPv6 link-local addressing on the bridge without an IPv6 address. */
  ipv6LinkLocal?: boolean;
  /** `<domain name localOnly>`. */
  domain?: { name: string; localOnly?: boolean };
  dns?: DnsSpec;
  /** Extra dnsmasq options, one `key=value` a line (libvirt's `<dnsmasq:options>`). */
  dnsmasqOptions?: string[];
}

export interface RouteSpec {
  address: string;
  prefix: number;
  gateway: string;
  metric?: number;
}
