/**
 * Host interface configs applied with iproute2, as netcf's ifup/ifdown would: a bridge is made,
 * its members enslaved and their addresses and routes moved onto it (so the host keeps its
 * connectivity); an ethernet NIC gets its MTU, addresses, default route and is set up; a VLAN or
 * bond device is created. Every start runs under a Revert: a failure half-way leaves the host as
 * it was. What a start took from the members is returned, so that stop (even after a vireod
 * restart, from the status file) gives it back.
 */
import { VireoError } from '../api/errors.js';
import { memberNames, type InterfaceDef } from '../conf/interface/index.js';
import { logger } from '../util/log.js';
import { Revert } from '../util/revert.js';
import { deviceRoutes, hostInterfaces, type HostAddr, type HostIface, type HostRoute } from './hostif-state.js';
import { ip } from './iproute.js';

const log = logger('host-interfaces');

/** What a member device had before a bridge or bond took it. */
export interface MemberSnapshot {
  name: string;
  up: boolean;
  mtu: number;
  addrs: HostAddr[];
  routes: HostRoute[];
}

/** What a start did that its stop must undo. */
export interface AppliedInterface {
  /** Whether start created the device (bridge, bond, vlan) rather than configured an existing one. */
  created: boolean;
  members: MemberSnapshot[];
}

const cidr = (a: HostAddr): string => `${a.address}/${a.prefix}`;

async function addAddr(dev: string, a: HostAddr): Promise<void> {
  // IPv6 skips DAD: the address was already in use on this host a moment ago (on the member).
  const args = a.family === 'ipv4' ? ['addr', 'replace', cidr(a), 'broadcast', '+', 'dev', dev] : ['-6', 'addr', 'replace', cidr(a), 'dev', dev, 'nodad'];
  await ip(args, `add address ${cidr(a)} to ${dev}`);
}

function routeArgs(r: HostRoute, dev: string): string[] {
  const args = [r.family === 'ipv4' ? '-4' : '-6', 'route', 'replace', r.dst];
  if (r.gateway !== undefined) args.push('via', r.gateway);
  args.push('dev', dev);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  if (r.protocol !== undefined) args.push('proto', r.protocol);
  if (r.scope !== undefined && r.gateway === undefined) args.push('scope', r.scope);
  return args;
}

async function addRoute(r: HostRoute, dev: string): Promise<void> {
  await ip(routeArgs(r, dev), `add route ${r.dst}${r.gateway === undefined ? '' : ` via ${r.gateway}`} on ${dev}`);
}

/** Routes are put back as far as they can be: one whose gateway is no longer reachable is reported, not fatal. */
async function restoreRoutes(routes: readonly HostRoute[], dev: string): Promise<void> {
  for (const r of routes) {
    await addRoute(r, dev).catch((e: unknown) => log.warn(`route ${r.dst} on ${dev} not restored`, { error: String(e) }));
  }
}

/** The addresses, routes, MTU and state of a member, so they can be given back. */
async function snapshot(i: HostIface): Promise<MemberSnapshot> {
  return { name: i.name, up: i.up, mtu: i.mtu, addrs: i.addrs, routes: await deviceRoutes(i.name) };
}

/** Give a released member back what it had. */
async function restoreMember(m: MemberSnapshot): Promise<void> {
  await ip(['link', 'set', 'dev', m.name, 'mtu', String(m.mtu)], `restore the MTU of ${m.name}`).catch(() => {});
  for (const a of m.addrs) await addAddr(m.name, a);
  if (m.up) await ip(['link', 'set', 'dev', m.name, 'up'], `set ${m.name} up`);
  await restoreRoutes(m.routes, m.name);
}

const addrsOf = (def: InterfaceDef): HostAddr[] => def.protocols.flatMap((p) => p.ips.map((i) => ({
  family: p.family, address: i.address, prefix: i.prefix ?? (p.family === 'ipv4' ? 24 : 64),
})));

const defaultRoutes = (def: InterfaceDef): HostRoute[] => def.protocols.flatMap((p) => (p.gateway === undefined ? [] : [{ family: p.family, dst: 'default', gateway: p.gateway }]));

/** Addresses, MTU, up, default routes: what every type gets once its device exists. */
async function configure(def: InterfaceDef, revert: Revert): Promise<void> {
  if (def.mtu !== undefined) await ip(['link', 'set', 'dev', def.name, 'mtu', String(def.mtu)], `set the MTU of ${def.name}`);
  if (def.mac !== undefined) await ip(['link', 'set', 'dev', def.name, 'address', def.mac], `set the MAC address of ${def.name}`);
  for (const a of addrsOf(def)) {
    await addAddr(def.name, a);
    revert.add(() => ip(['addr', 'del', cidr(a), 'dev', def.name], 'remove an address'), `address ${cidr(a)} on ${def.name}`);
  }
  await ip(['link', 'set', 'dev', def.name, 'up'], `set ${def.name} up`);
  for (const r of defaultRoutes(def)) await addRoute(r, def.name);
  if (def.protocols.some((p) => p.dhcp !== undefined)) {
    log.warn(`interface ${def.name}: <dhcp/> is recorded, but vireod runs no DHCP client; only its static addresses are set`);
  }
}

function findMembers(def: InterfaceDef, all: readonly HostIface[]): HostIface[] {
  return memberNames(def).map((n) => {
    const m = all.find((i) => i.name === n);
    if (m === undefined) throw VireoError.of('OPERATION_FAILED', `cannot start interface ${def.name}: its member device '${n}' does not exist`);
    if (m.master !== undefined) throw VireoError.of('OPERATION_INVALID', `interface '${n}' is already attached to '${m.master}'`);
    if (m.kind === 'bridge') throw VireoError.of('OPERATION_INVALID', `interface '${n}' is a bridge; it cannot be a member of '${def.name}'`);
    return m;
  });
}

/** Take members from what they had and attach them to `master`, under `revert`. */
async function enslave(master: string, members: readonly HostIface[], snaps: readonly MemberSnapshot[], revert: Revert, down: boolean): Promise<void> {
  for (const [k, m] of members.entries()) {
    const snap = snaps[k]!;
    await ip(['addr', 'flush', 'dev', m.name, 'scope', 'global'], `remove the addresses of ${m.name}`);
    revert.add(() => restoreMember(snap), `addresses of ${m.name}`);
    if (down) await ip(['link', 'set', 'dev', m.name, 'down'], `set ${m.name} down`);
    await ip(['link', 'set', 'dev', m.name, 'master', master], `attach ${m.name} to ${master}`);
    revert.add(() => ip(['link', 'set', 'dev', m.name, 'nomaster'], 'detach'), `${m.name} from ${master}`);
    await ip(['link', 'set', 'dev', m.name, 'up'], `set ${m.name} up`);
  }
}

/** Bring up an interface from its config; on failure nothing it did is left. */
export async function startInterface(def: InterfaceDef): Promise<AppliedInterface> {
  const all = await hostInterfaces();
  const existing = all.find((i) => i.name === def.name);
  if (def.type !== 'ethernet' && existing !== undefined) throw VireoError.of('OPERATION_INVALID', `interface '${def.name}' is already active`);
  if (def.type === 'ethernet' && existing === undefined) {
    throw VireoError.of('OPERATION_FAILED', `cannot start interface ${def.name}: the host has no network device of that name`);
  }
  const members = findMembers(def, all);
  const snaps = await Promise.all(members.map(snapshot));
  return Revert.run(async (revert) => {
    if (def.type === 'ethernet') {
      const before = await snapshot(existing!);
      revert.add(async () => {
        await ip(['addr', 'flush', 'dev', def.name, 'scope', 'global'], 'remove addresses');
        await restoreMember(before);
        if (!before.up) await ip(['link', 'set', 'dev', def.name, 'down'], 'set down');
      }, `settings of ${def.name}`);
      await configure(def, revert);
      return { created: false, members: [] };
    }
    await create(def);
    revert.add(() => ip(['link', 'del', 'dev', def.name], 'remove'), `device ${def.name}`);
    if (def.type === 'bridge') {
      // The bridge takes its first member's MAC, as the member had it: DHCP servers and ARP
      // caches out there keep knowing the host, and guest taps joining later do not change it.
      const mac = members[0]?.mac;
      if (mac !== undefined) await ip(['link', 'set', 'dev', def.name, 'address', mac], `set the MAC address of ${def.name}`);
    }
    await enslave(def.name, members, snaps, revert, def.type === 'bond');
    await configure(def, revert);
    // Routes the members had (beyond the default route the config names) move with them.
    const own = new Set(defaultRoutes(def).map((r) => `${r.family} ${r.dst}`));
    await restoreRoutes(snaps.flatMap((s) => s.routes).filter((r) => !own.has(`${r.family} ${r.dst}`)), def.name);
    return { created: true, members: snaps };
  });
}

async function create(def: InterfaceDef): Promise<void> {
  let args: string[];
  if (def.type === 'bridge') {
    const delayCs = Math.round((def.bridge?.delay ?? 0) * 100);
    args = ['link', 'add', 'name', def.name, 'type', 'bridge', 'stp_state', def.bridge?.stp === true ? '1' : '0', 'forward_delay', String(delayCs)];
  } else if (def.type === 'vlan') {
    const v = def.vlan!;
    args = ['link', 'add', 'link', v.device, 'name', def.name, 'type', 'vlan', 'id', String(v.tag)];
  } else {
    const b = def.bond!;
    args = ['link', 'add', 'name', def.name, 'type', 'bond'];
    if (b.mode !== undefined) args.push('mode', b.mode);
    if (b.miimon !== undefined) {
      args.push('miimon', String(b.miimon.freq));
      if (b.miimon.updelay !== undefined) args.push('updelay', String(b.miimon.updelay));
      if (b.miimon.downdelay !== undefined) args.push('downdelay', String(b.miimon.downdelay));
      if (b.miimon.carrier !== undefined) args.push('use_carrier', b.miimon.carrier === 'netif' ? '1' : '0');
    }
    if (b.arpmon !== undefined) {
      args.push('arp_interval', String(b.arpmon.interval), 'arp_ip_target', b.arpmon.target);
      if (b.arpmon.validate !== undefined) args.push('arp_validate', b.arpmon.validate);
    }
  }
  try {
    await ip(args, `create ${def.type} ${def.name}`);
  } catch (e) {
    if (e instanceof VireoError && /Unknown device type/.test(e.message)) {
      const module = def.type === 'vlan' ? '8021q' : def.type === 'bond' ? 'bonding' : 'bridge';
      throw VireoError.of('NO_SUPPORT', `cannot create ${def.type} device ${def.name}: this kernel has no ${def.type} devices (module ${module})`, { cause: e });
    }
    throw e;
  }
}

/**
 * Take an interface down as ifdown does: a bridge or bond releases its members (given back
 * their addresses and routes) and is removed, a VLAN is removed, an ethernet NIC loses its
 * addresses and is set down.
 */
export async function stopInterface(def: InterfaceDef, applied: AppliedInterface | undefined): Promise<void> {
  const all = await hostInterfaces();
  const dev = all.find((i) => i.name === def.name);
  if (dev === undefined) return;
  if (def.type === 'ethernet') {
    // A NIC is never removed, whatever its kind (a veth, a tap): only taken down.
    await ip(['addr', 'flush', 'dev', def.name, 'scope', 'global'], `remove the addresses of ${def.name}`);
    await ip(['link', 'set', 'dev', def.name, 'down'], `set ${def.name} down`);
    return;
  }
  for (const port of all.filter((i) => i.master === def.name)) {
    await ip(['link', 'set', 'dev', port.name, 'nomaster'], `detach ${port.name} from ${def.name}`);
  }
  await ip(['link', 'del', 'dev', def.name], `remove ${def.name}`);
  for (const m of applied?.members ?? []) {
    if (!all.some((i) => i.name === m.name)) continue;
    await restoreMember(m).catch((e: unknown) => log.error(`cannot give ${m.name} back its addresses`, { error: String(e) }));
  }
}
