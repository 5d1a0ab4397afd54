/**
 * A guest's tap-based NICs on the host: before QEMU starts, each `<interface type='network'|
 * 'bridge'|'ethernet'>` gets a tap (named vnetN, the lowest free, unless `<target dev>` names
 * one), attached to its network's or host bridge's bridge and set up as its link state says; the
 * live definition shows the tap. The taps go when the guest stops (or its start fails).
 */
import { readFile } from 'node:fs/promises';
import type { DomainDef, Interface } from '../../conf/domain-model.js';
import type { DomainIfAddr, NetworkLease } from '../../api/types.js';
import { parseMac } from '../../conf/names.js';
import { VireoError } from '../../api/errors.js';
import { clearTapBandwidth, createTap, deleteTap, dropPolicing, linkExists, setTapBandwidth, tapMacFor } from '../../network/index.js';
import type { Revert } from '../../util/revert.js';
import { logger } from '../../util/log.js';
import { checkFloor } from './iftune.js';

const log = logger('nics');

/** What the NICs need from the rest of the daemon: the bridge of an active virtual network. */
export interface NicContext {
  bridgeOfNetwork(name: string): string;
  /** The DHCP leases a virtual network gave out to `mac`. */
  leasesOf(network: string, mac: string): Promise<NetworkLease[]>;
}

/** The NIC of `def` that `ref` names: its host tap name or its MAC (as virsh's domif-* take). */
export function findNic(def: DomainDef, ref: string): { nic: Interface; index: number } {
  const mac = parseMac(ref);
  const index = def.devices.interfaces.findIndex((n) => n.targetDev === ref || (mac !== undefined && n.mac === mac));
  const nic = def.devices.interfaces[index];
  if (nic === undefined) throw VireoError.of('OPERATION_FAILED', `couldn't find interface with name or MAC '${ref}'`);
  return { nic, index };
}

/** domifaddr's addresses of each NIC with one: from DHCP leases or the host's ARP table. */
export async function nicAddresses(def: DomainDef, ctx: NicContext, source: 'lease' | 'arp'): Promise<DomainIfAddr[]> {
  const arp = source === 'arp' ? await readArp() : [];
  const out: DomainIfAddr[] = [];
  for (const nic of def.devices.interfaces) {
    let addrs: DomainIfAddr['addrs'];
    if (source === 'lease') {
      if (nic.type !== 'network' || nic.source === undefined) continue;
      addrs = (await ctx.leasesOf(nic.source, nic.mac)).map((l) => ({ type: l.type, addr: l.ip, prefix: l.prefix }));
    } else {
      addrs = arp.filter((a) => a.mac === nic.mac).map((a) => ({ type: 'ipv4' as const, addr: a.ip, prefix: 0 }));
    }
    if (addrs.length > 0) out.push({ name: nic.targetDev ?? '-', mac: nic.mac, addrs });
  }
  return out;
}

/** The host's IPv4 neighbour table (/proc/net/arp), complete entries only. */
async function readArp(): Promise<{ ip: string; mac: string }[]> {
  const text = await readFile('/proc/net/arp', 'utf8').catch(() => '');
  return text.split('\n').slice(1).flatMap((line) => {
    const [ip, , flags, mac] = line.trim().split(/\s+/);
    // Flags 0x2: a complete entry; an incomplete one has no usable MAC.
    if (ip === undefined || mac === undefined || flags === undefined || (Number(flags) & 2) === 0) return [];
    return [{ ip, mac: mac.toLowerCase() }];
  });
}

/**
 * Make the taps of `live` (its interfaces get their tap in targetDev) and return the ones made
 * here, which are the daemon's to delete; each is also registered with `revert`.
 */
export async function plugNics(live: DomainDef, ctx: NicContext, revert: Revert): Promise<string[]> {
  const made: string[] = [];
  for (const [i, nic] of live.devices.interfaces.entries()) {
    const tap = await plugNic(nic, `net${i}`, ctx, revert);
    if (tap !== undefined) made.push(tap);
  }
  return made;
}

/**
 * Make the tap of one NIC (`which` names it in messages): joined to its network's or host
 * bridge, up or down per its link state; its name goes into targetDev. Returns the tap when
 * vireod made it (undefined for a user NIC or a tap someone else keeps); `revert` deletes it.
 */
export async function plugNic(nic: Interface, which: string, ctx: NicContext, revert: Revert): Promise<string | undefined> {
  if (nic.type === 'user') return undefined; // QEMU's user networking has no tap to limit: libvirt, too, leaves its <bandwidth> unapplied
  checkFloor(nic);
  const bridge = await bridgeOf(nic, which, ctx);
  // <target dev managed='no'>: a tap someone else made and keeps; used as it is.
  if (nic.targetManaged === false) {
    if (nic.targetDev === undefined || !(await linkExists(nic.targetDev))) {
      throw VireoError.of('OPERATION_FAILED', `interface ${which}: the unmanaged tap '${nic.targetDev ?? ''}' does not exist`);
    }
    if (nic.bandwidth !== undefined) {
      const dev = nic.targetDev;
      revert.add(() => clearTapBandwidth(dev), `limits of ${dev}`);
      await setTapBandwidth(dev, nic.bandwidth);
    }
    return undefined;
  }
  const tap = await createTap({
    ...(nic.targetDev === undefined ? {} : { name: nic.targetDev }),
    mac: tapMacFor(nic.mac),
    ...(bridge === undefined ? {} : { bridge }),
    ...(nic.mtu === undefined ? {} : { mtu: nic.mtu }),
    ...(nic.driver?.queues !== undefined && nic.driver.queues > 1 ? { multiQueue: true } : {}),
    up: nic.linkState !== 'down',
  });
  revert.add(() => deleteTap(tap), `tap ${tap}`);
  nic.targetDev = tap;
  if (nic.bandwidth !== undefined) {
    if (nic.bandwidth.outbound !== undefined) revert.add(() => dropPolicing(tap), `outbound limit of ${tap}`);
    await setTapBandwidth(tap, nic.bandwidth);
  }
  return tap;
}

/**
 * The bridge a NIC's tap joins: its active network's, or the named host bridge (which must
 * exist; libvirt's words when not). None for type ethernet.
 */
export async function bridgeOf(nic: Interface, which: string, ctx: NicContext): Promise<string | undefined> {
  if (nic.type === 'network') return ctx.bridgeOfNetwork(nic.source ?? '');
  if (nic.type !== 'bridge') return undefined;
  const bridge = nic.source ?? '';
  if (!(await linkExists(bridge))) {
    throw VireoError.of('OPERATION_FAILED', `Cannot get interface MTU on '${bridge}': No such device`, {
      hint: `interface ${which} joins host bridge '${bridge}', which does not exist; create it (e.g. vireo iface-bridge) or fix <source bridge>`,
    });
  }
  return bridge;
}

/** Give each NIC of a live definition its device id (net<index>) unless it has one. */
export function assignNicAliases(live: DomainDef): void {
  live.devices.interfaces.forEach((n, i) => (n.alias ??= `net${i}`));
}

/**
 * Delete the taps a guest's start made (its QEMU is gone), and the limits (<bandwidth>) that
 * `nics`, its live NICs, put on them or on taps someone else keeps. Failures are logged.
 */
export async function unplugNics(taps: readonly string[], nics: readonly Interface[] = []): Promise<void> {
  for (const tap of taps) {
    await deleteTap(tap).catch((e: unknown) => log.warn(`cannot delete tap ${tap}`, { error: String(e) }));
  }
  for (const nic of nics) {
    const dev = nic.targetDev;
    if (dev === undefined || nic.bandwidth === undefined || nic.type === 'user') continue;
    // A deleted tap took its qdiscs along, not its policing chain; a kept tap keeps both.
    const clear = taps.includes(dev) ? (nic.bandwidth.outbound === undefined ? undefined : dropPolicing(dev)) : nic.targetManaged === false ? clearTapBandwidth(dev) : undefined;
    await clear?.catch((e: unknown) => log.warn(`cannot clear the limits of ${dev}`, { error: String(e) }));
  }
}
