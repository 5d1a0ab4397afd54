/**
 * The host's interfaces as the kernel has them (`ip -json -details addr`, `ip -json route`,
 * sysfs link speed), and their description in libvirt's interface XML model: what
 * `iface-dumpxml` of a live interface shows and what `iface-bridge` copies into a bridge.
 */
import { readFile } from 'node:fs/promises';
import type { InterfaceDef, InterfaceProtocol } from '../conf/interface/index.js';
import { ip, obj, parseJsonArray, str } from './iproute.js';

export interface HostAddr {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/** A route of the main table through one device, as `ip route` can add it again. */
export interface HostRoute {
  family: 'ipv4' | 'ipv6';
  /** 'default' or a CIDR. */
  dst: string;
  gateway?: string;
  metric?: number;
  /** The route's origin when not 'boot' (static, dhcp, ...); kernel routes are never kept. */
  protocol?: string;
  scope?: string;
}

/** One network device with what iface-* commands need. */
export interface HostIface {
  name: string;
  /** ip's info_kind: bridge, bond, vlan, veth, tun...; undefined for a physical NIC. */
  kind: string | undefined;
  mac: string | undefined;
  mtu: number;
  /** Administratively up (IFF_UP): what netcf calls active. */
  up: boolean;
  /** The kernel's operational state in lower case (up, down, unknown, lowerlayerdown...). */
  operstate: string;
  master: string | undefined;
  /** The device a VLAN (or other stacked device) rides on. */
  link: string | undefined;
  /** Global-scope addresses (link-local ones come and go with the link). */
  addrs: HostAddr[];
  bridge?: { stp: boolean; forwardDelayCs: number };
  vlanId?: number;
  bondMode?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function toIface(v: unknown): HostIface {
  const o = obj(v);
  const flags = Array.isArray(o.flags) ? o.flags : [];
  const info = obj(o.linkinfo);
  const data = obj(info.info_data);
  const kind = str(info.info_kind);
  const addrs: HostAddr[] = [];
  for (const a of Array.isArray(o.addr_info) ? o.addr_info : []) {
    const ao = obj(a);
    const family = ao.family === 'inet' ? 'ipv4' : ao.family === 'inet6' ? 'ipv6' : undefined;
    const local = str(ao.local);
    const prefix = num(ao.prefixlen);
    if (family === undefined || local === undefined || prefix === undefined || ao.scope !== 'global') continue;
    addrs.push({ family, address: local, prefix });
  }
  const out: HostIface = {
    name: str(o.ifname) ?? '',
    kind,
    mac: str(o.address),
    mtu: num(o.mtu) ?? 0,
    up: flags.includes('UP'),
    operstate: (str(o.operstate) ?? 'UNKNOWN').toLowerCase(),
    master: str(o.master),
    link: str(o.link),
    addrs,
  };
  if (kind === 'bridge') out.bridge = { stp: (num(data.stp_state) ?? 0) !== 0, forwardDelayCs: num(data.forward_delay) ?? 0 };
  if (kind === 'vlan') out.vlanId = num(data.id) ?? 0;
  if (kind === 'bond') out.bondMode = str(data.mode);
  return out;
}

/** Every network device of this namespace with its addresses. */
export async function hostInterfaces(): Promise<HostIface[]> {
  return parseJsonArray(await ip(['-json', '-details', 'addr', 'show'], 'list network devices'), 'devices').map(toIface);
}

/** The routes of the main table through `dev` that someone set (kernel routes follow addresses by themselves). */
export async function deviceRoutes(dev: string): Promise<HostRoute[]> {
  const out: HostRoute[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const text = await ip([family === 'ipv4' ? '-4' : '-6', '-json', 'route', 'show', 'table', 'main', 'dev', dev], `list the routes of ${dev}`);
    for (const r of parseJsonArray(text, 'routes')) {
      const o = obj(r);
      const dst = str(o.dst);
      if (dst === undefined || o.protocol === 'kernel' || dst.startsWith('fe80:') || dst.startsWith('ff00:') || o.type === 'multicast') continue;
      const route: HostRoute = { family, dst };
      const gateway = str(o.gateway);
      const metric = num(o.metric);
      const protocol = str(o.protocol);
      const scope = str(o.scope);
      if (gateway !== undefined) route.gateway = gateway;
      if (metric !== undefined) route.metric = metric;
      if (protocol !== undefined) route.protocol = protocol;
      if (scope !== undefined) route.scope = scope;
      out.push(route);
    }
  }
  return out;
}

/** The link speed in Mb/s as sysfs reports it; undefined when the device has none (bridges, down links). */
async function linkSpeed(name: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(`/sys/class/net/${name}/speed`, 'utf8')).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The default gateway of each family through `dev`. */
function gateways(routes: readonly HostRoute[]): Map<'ipv4' | 'ipv6', string> {
  const out = new Map<'ipv4' | 'ipv6', string>();
  for (const r of routes) if (r.dst === 'default' && r.gateway !== undefined && !out.has(r.family)) out.set(r.family, r.gateway);
  return out;
}

/** The addressing of a device as <protocol> elements: its global addresses and default gateways. */
export function protocolsOf(addrs: readonly HostAddr[], routes: readonly HostRoute[]): InterfaceProtocol[] {
  const gw = gateways(routes);
  const out: InterfaceProtocol[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const ips = addrs.filter((a) => a.family === family).map((a) => ({ address: a.address, prefix: a.prefix }));
    const gateway = gw.get(family);
    if (ips.length === 0 && gateway === undefined) continue;
    out.push({ family, ips, ...(gateway === undefined ? {} : { gateway }) });
  }
  return out;
}

/** The libvirt type of a device. */
export function ifaceType(i: HostIface): InterfaceDef['type'] {
  return i.kind === 'bridge' ? 'bridge' : i.kind === 'bond' ? 'bond' : i.kind === 'vlan' ? 'vlan' : 'ethernet';
}

/** A bare description of a bridge or bond member: type, link and MAC. */
async function bareDef(i: HostIface): Promise<InterfaceDef> {
  const type = ifaceType(i);
  const speed = await linkSpeed(i.name);
  const def: InterfaceDef = { type: type === 'vlan' ? 'vlan' : 'ethernet', name: i.name, protocols: [], link: { ...(speed === undefined ? {} : { speed }), state: i.operstate } };
  if (def.type === 'ethernet' && i.mac !== undefined) def.mac = i.mac;
  if (type === 'vlan' && i.link !== undefined) def.vlan = { tag: i.vlanId ?? 0, device: i.link };
  return def;
}

/** What the kernel has of `name` as libvirt interface XML's model (iface-dumpxml of a live interface). */
export async function liveInterfaceDef(name: string, all: readonly HostIface[]): Promise<InterfaceDef | undefined> {
  const i = all.find((x) => x.name === name);
  if (i === undefined) return undefined;
  const type = ifaceType(i);
  const def: InterfaceDef = { type, name, mtu: i.mtu, protocols: protocolsOf(i.addrs, await deviceRoutes(name)) };
  if (type !== 'bridge') {
    const speed = await linkSpeed(name);
    def.link = { ...(speed === undefined ? {} : { speed }), state: i.operstate };
  }
  if (type === 'ethernet' && i.mac !== undefined) def.mac = i.mac;
  const members = all.filter((x) => x.master === name);
  if (type === 'bridge') {
    def.bridge = { stp: i.bridge?.stp ?? false, delay: (i.bridge?.forwardDelayCs ?? 0) / 100, members: await Promise.all(members.map(bareDef)) };
  }
  if (type === 'bond') {
    const modes = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
    const mode = modes.find((m) => m === i.bondMode);
    def.bond = { ...(mode === undefined ? {} : { mode }), members: await Promise.all(members.map(bareDef)) };
  }
  if (type === 'vlan' && i.link !== undefined) def.vlan = { tag: i.vlanId ?? 0, device: i.link };
  return def;
}
