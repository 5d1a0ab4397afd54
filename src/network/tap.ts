/**
 * Tap devices for guest NICs: named vnetN as libvirt names them (or a given target name),
 * persistent and owned by the user QEMU runs as, so QEMU opens them by name
 * (`-netdev tap,ifname=vnet0,script=no,downscript=no`); attached to a bridge with its MTU.
 */
import { VireoError } from '../api/errors.js';
import { checkIfname, checkMac, setLinkUp } from './bridge.js';
import { ip, getLink, listLinks, type LinkInfo, type LinkStats } from './iproute.js';

export interface TapOptions {
  /** A given target device name; absent: the lowest free vnetN. */
  name?: string;
  /** Owner (name or uid) and group allowed to open the tap: the user an unprivileged QEMU runs as. */
  user?: string | number;
  group?: string | number;
  /** For `<driver queues='N'>` with N > 1. */
  multiQueue?: boolean;
  /** The tap's own MAC (see tapMacFor). */
  mac?: string;
  /** Attach to this bridge, taking its MTU unless `mtu` says otherwise. */
  bridge?: string;
  mtu?: number;
  /** Bring the link up (default true); false for `<link state='down'>`. */
  up?: boolean;
}

/**
 * The MAC libvirt gives a guest's tap: the guest's with the first byte 0xfe, so a bridge (which
 * takes the lowest MAC of its ports unless given one) never takes a guest's own address.
 */
export function tapMacFor(guestMac: string): string {
  return `fe${checkMac(guestMac, 'guest MAC').slice(2)}`;
}

const VNET = /^vnet([0-9]+)$/;

/** The lowest N for which no device vnetN exists. */
export function lowestFreeVnet(existing: readonly string[]): string {
  const used = new Set(existing.map((n) => VNET.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number));
  let n = 0;
  while (used.has(n)) n++;
  return `vnet${n}`;
}

/** Create a persistent tap; returns its name. Everything it did is undone if a step fails. */
export async function createTap(o: TapOptions = {}): Promise<string> {
  if (o.name !== undefined) checkIfname(o.name, 'tap name');
  const mac = o.mac === undefined ? undefined : checkMac(o.mac, 'tap MAC');
  let name: string;
  for (let attempt = 0; ; attempt++) {
    const links = await listLinks();
    name = o.name ?? lowestFreeVnet(links.map((l) => l.name));
    if (o.name !== undefined && links.some((l) => l.name === o.name)) {
      throw new VireoError('OPERATION_INVALID', `network device '${o.name}' already exists`);
    }
    const args = ['tuntap', 'add', 'dev', name, 'mode', 'tap'];
    if (o.user !== undefined) args.push('user', String(o.user));
    if (o.group !== undefined) args.push('group', String(o.group));
    if (o.multiQueue === true) args.push('multi_queue');
    try {
      await ip(args, `create tap ${name}`);
      break;
    } catch (e) {
      // Another creator took the name between the listing and the ioctl: take the next free one.
      if (o.name === undefined && attempt < 5 && e instanceof VireoError && /busy|exists/i.test(e.message)) continue;
      throw e;
    }
  }
  try {
    const set = ['link', 'set', 'dev', name];
    if (mac !== undefined) set.push('address', mac);
    let mtu = o.mtu;
    if (o.bridge !== undefined) {
      const br = await getLink(o.bridge);
      if (br === undefined || br.kind !== 'bridge') throw new VireoError('OPERATION_INVALID', `bridge '${o.bridge}' does not exist`);
      mtu ??= br.mtu;
    }
    if (mtu !== undefined) set.push('mtu', String(mtu));
    if (o.bridge !== undefined) set.push('master', o.bridge);
    if (o.up !== false) set.push('up');
    if (set.length > 4) await ip(set, `set up tap ${name}`);
  } catch (e) {
    await deleteTap(name).catch(() => undefined);
    throw e;
  }
  return name;
}

/** Remove a tap; no error when it is already gone. Refuses to remove a device that is no tap. */
export async function deleteTap(name: string): Promise<void> {
  const link = await getLink(name);
  if (link === undefined) return;
  if (link.kind !== 'tun') throw new VireoError('OPERATION_INVALID', `device '${name}' is not a tap; not removing it`);
  await ip(['tuntap', 'del', 'dev', name, 'mode', link.tun?.type === 'tun' ? 'tun' : 'tap'], `remove tap ${name}`);
}

/** Make a device a port of a bridge, with the bridge's MTU (libvirt's order: MTU, then master). */
export async function attachToBridge(dev: string, bridge: string): Promise<void> {
  const br = await getLink(bridge);
  if (br === undefined || br.kind !== 'bridge') throw new VireoError('OPERATION_INVALID', `bridge '${bridge}' does not exist`);
  await ip(['link', 'set', 'dev', dev, 'mtu', String(br.mtu)], `set the MTU of ${dev}`);
  await ip(['link', 'set', 'dev', dev, 'master', bridge], `attach ${dev} to bridge ${bridge}`);
}

/** Release a device from its bridge. */
export async function detachFromBridge(dev: string): Promise<void> {
  await ip(['link', 'set', 'dev', dev, 'nomaster'], `detach ${dev} from its bridge`);
}

/** Set a device's link up or down (the host side of domif-setlink). */
export const setLinkState = setLinkUp;

export interface LinkState {
  name: string;
  up: boolean;
  operstate: string;
  mtu: number;
  mac: string | undefined;
  master: string | undefined;
  /**
   * Counters as the host sees them. For a tap, what the host receives the guest sent: a
   * guest-side view (domifstat) swaps rx and tx.
   */
  stats: LinkStats | undefined;
}

/** A device's link state and counters (one `ip -s` call); undefined when there is none. */
export async function linkState(name: string): Promise<LinkState | undefined> {
  const l: LinkInfo | undefined = await getLink(name);
  if (l === undefined) return undefined;
  return { name: l.name, up: l.up, operstate: l.operstate, mtu: l.mtu, mac: l.mac, master: l.master, stats: l.stats };
}
