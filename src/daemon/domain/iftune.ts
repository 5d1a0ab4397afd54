/**
 * domiftune: a NIC's bandwidth limits (<bandwidth>), read and changed in the running guest (tc
 * and nftables on its tap, network/bandwidth.ts) and/or the stored definition, with virsh's
 * --live/--config/--current. A direction a change names is replaced whole; the other stays, as
 * libvirt does. Limits in the definition are put on the tap at start and hot-plug (nics.ts).
 */
import { VireoError } from '../../api/errors.js';
import type { IfTuneInfo, IfTuneRate, IfTuneRequest, ModificationImpact } from '../../api/types.js';
import type { Bandwidth, BandwidthRate, DomainDef, Interface } from '../../conf/domain-model.js';
import { parseMac } from '../../conf/names.js';
import { setTapBandwidth } from '../../network/index.js';
import { saveStatus } from './context.js';
import { affected, redefine, type DomainHost } from './ops.js';

/** The NIC `ref` names (its tap or MAC), or libvirt's error. */
function nicOf(def: DomainDef, ref: string): Interface {
  const mac = parseMac(ref);
  const nic = def.devices.interfaces.find((n) => (mac !== undefined ? n.mac === mac : n.targetDev === ref));
  if (nic === undefined) throw VireoError.of('INVALID_ARG', `'${ref}' is not a known interface`);
  return nic;
}

const listed = (r: BandwidthRate | undefined, floor: boolean): IfTuneRate => ({
  average: r?.average ?? 0, peak: r?.peak ?? 0, burst: r?.burst ?? 0, ...(floor ? { floor: r?.floor ?? 0 } : {}),
});

/** The limits of NIC `iface`: the running guest's, else the stored definition's. */
export function getIfTune(host: DomainHost, ref: string, iface: string, r: ModificationImpact): IfTuneInfo {
  const dom = host.lookup(ref);
  if (r.live === true && r.config === true) throw VireoError.of('INVALID_ARG', "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive");
  const f = affected(dom, r);
  const def = f.live && dom.runtime !== undefined ? dom.runtime.liveDef : dom.persistent!;
  const bw = nicOf(def, iface).bandwidth;
  return { inbound: listed(bw?.inbound, true), outbound: listed(bw?.outbound, false) };
}

/** One direction as the request gives it; undefined: no limit. */
function rateOf(r: IfTuneRate): BandwidthRate | undefined {
  const out: BandwidthRate = {};
  for (const k of ['average', 'peak', 'burst', 'floor'] as const) {
    const v = r[k];
    if (v !== undefined && v > 0) out[k] = v;
  }
  return out.average === undefined && out.floor === undefined ? undefined : out;
}

/**
 * The NIC's limits after the change. A floor is refused live (vireo's networks have no
 * <bandwidth> to take it from); a definition may keep one, as define takes it.
 */
function merged(nic: Interface, r: IfTuneRequest, live: boolean): Bandwidth | undefined {
  const next: Bandwidth = { ...(nic.bandwidth ?? {}) };
  for (const dir of ['inbound', 'outbound'] as const) {
    const given = r[dir];
    if (given === undefined) continue;
    if (dir === 'outbound' && (given.floor ?? 0) > 0) throw VireoError.of('CONFIG_UNSUPPORTED', "'floor' attribute allowed only in <inbound> element");
    const rate = rateOf(given);
    if (rate === undefined) delete next[dir];
    else next[dir] = rate;
  }
  if (live) checkFloor(nic, next);
  return next.inbound === undefined && next.outbound === undefined ? undefined : next;
}

/**
 * libvirt's refusal of a floor that cannot be honoured: a floor is taken from a network's own
 * inbound <bandwidth>, which vireo's networks do not have yet.
 */
export function checkFloor(nic: Interface, bw: Bandwidth | undefined = nic.bandwidth): void {
  if (bw?.inbound?.floor === undefined) return;
  if (nic.type !== 'network') throw VireoError.of('CONFIG_UNSUPPORTED', 'floor attribute is not supported for this config');
  throw VireoError.of('NO_SUPPORT', `Operation not supported: Invalid use of 'floor' on interface with MAC address ${nic.mac} - network '${nic.source ?? ''}' has no inbound QoS set`);
}

function applyTo(nic: Interface, bw: Bandwidth | undefined): void {
  if (bw === undefined) delete nic.bandwidth;
  else nic.bandwidth = bw;
}

/** Change the limits of NIC `iface` in the running guest and/or the stored definition. */
export async function setIfTune(host: DomainHost, ref: string, r: IfTuneRequest): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('domiftune', 'short', async () => {
    const f = affected(dom, r);
    let nextConfig: DomainDef | undefined;
    if (f.config) {
      const def = dom.persistent!;
      const i = def.devices.interfaces.indexOf(nicOf(def, r.iface));
      const bw = merged(def.devices.interfaces[i]!, r, false);
      nextConfig = redefine(def, (n) => applyTo(n.devices.interfaces[i]!, bw));
    }
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      const nic = nicOf(rt.liveDef, r.iface);
      const bw = merged(nic, r, true);
      if (nic.type === 'user' || nic.targetDev === undefined) {
        throw VireoError.of('CONFIG_UNSUPPORTED', `setting bandwidth on interfaces of type '${nic.type}' is not implemented yet`);
      }
      const tap = nic.targetDev;
      await setTapBandwidth(tap, bw).catch(async (e: unknown) => {
        // Half a change (the old limits cleared, the new ones not all set) goes back to the old.
        await setTapBandwidth(tap, nic.bandwidth).catch(() => undefined);
        throw e;
      });
      applyTo(nic, bw);
      await saveStatus(host.ctx, dom);
    }
    if (nextConfig !== undefined) {
      await host.ctx.store.saveConfig(nextConfig);
      dom.persistent = nextConfig;
    }
  });
}
