/**
 * A NIC plugged into, unplugged from or changed in a running guest, as libvirt's QEMU driver
 * does it: the tap (made and joined to its bridge as at start), netdev_add, then device_add at a
 * free hot-pluggable PCI place; device_del, then (once the guest lets go) netdev_del and the
 * tap; set_link for the link state, and the tap moved to another bridge for a new network.
 * Every step is undone when a later one fails; the status file follows each change.
 */
import type { DomainDef, Interface } from '../../conf/domain-model.js';
import { findMatchingNic, hotplugPciAddress, nextNicAlias, nicUpdate, type DeviceOf } from '../../conf/domain-device.js';
import { VireoError } from '../../api/errors.js';
import { checkHostSupport, netdevProps, nicDeviceProps } from '../../qemu/argv.js';
import { hostFacts } from '../../qemu/prepare.js';
import { DEFAULT_EMULATOR } from '../../host/qemu-binary.js';
import type { Monitor } from '../../qemu/monitor.js';
import { attachToBridge, setTapBandwidth } from '../../network/index.js';
import { checkFloor } from './iftune.js';
import { Revert } from '../../util/revert.js';
import { saveStatus, type LifecycleContext } from './context.js';
import { bridgeOf, plugNic } from './nics.js';
import { completeNicRemoval, markUnplugPending, unplugPending, waitDeviceDeleted } from './unplug.js';
import type { Domain, Runtime } from './domain.js';
import type { DeviceKind } from './hotplug-kind.js';

/** NICs in hotplug.ts's table. */
export const nicKind: DeviceKind<DeviceOf<'interface'>> = {
  config(next, op, dev) {
    const nics = next.devices.interfaces;
    if (op === 'attach') {
      const nic = structuredClone(dev.nic);
      delete nic.alias;
      nics.push(nic);
      return;
    }
    const old = findMatchingNic(next, dev);
    if (op === 'detach') nics.splice(nics.indexOf(old), 1);
    else nics[nics.indexOf(old)] = nicUpdate(old, dev.nic, false).next;
  },
  async live({ ctx, dom, rt, qmp }, op, dev, out) {
    if (op === 'attach') {
      out.alias = await plugLiveNic(ctx, dom, rt, qmp, dev.nic);
      return;
    }
    const old = findMatchingNic(rt.liveDef, dev);
    out.mac = old.mac;
    out.alias = old.alias ?? null;
    if (op === 'detach') out.pending = await unplugLiveNic(ctx, dom, rt, qmp, old);
    else await updateLiveNic(ctx, dom, rt, qmp, old, dev.nic);
  },
};

/** Plug `nic` into the running guest; returns its device id. */
export async function plugLiveNic(ctx: LifecycleContext, dom: Domain, rt: Runtime, qmp: Monitor, given: Interface): Promise<string> {
  const live = rt.liveDef;
  const nic = structuredClone(given);
  const alias = nextNicAlias(live);
  nic.alias = alias;
  nic.address = hotplugPciAddress(live, nic);
  // The definition the NIC joins, for the checks and property builders that read the machine.
  const trial: DomainDef = { ...live, devices: { ...live.devices, interfaces: [...live.devices.interfaces, nic] } };
  const index = trial.devices.interfaces.length - 1;
  const facts = await hostFacts(live.devices.emulator ?? DEFAULT_EMULATOR, { ...trial, devices: { ...trial.devices, graphics: [], tpms: [] } });
  checkHostSupport({ ...trial, devices: { ...trial.devices, interfaces: [nic] } }, facts);
  await Revert.run(async (revert) => {
    const tap = await plugNic(nic, alias, ctx.nics, revert);
    if (tap !== undefined) {
      rt.taps.push(tap);
      revert.add(() => (rt.taps = rt.taps.filter((t) => t !== tap)), 'tap record');
      await saveStatus(ctx, dom); // a daemon dying from here on must find the tap
    }
    await qmp.netdevAdd(netdevProps(trial, nic, index, facts.vhostNet));
    revert.add(() => qmp.netdevDel(`host${alias}`), `netdev host${alias}`);
    await qmp.deviceAdd(nicDeviceProps(trial, nic, index));
    revert.add(() => qmp.deviceDel(alias), `device ${alias}`);
    if (nic.linkState === 'down') await qmp.setLink(alias, false);
    live.devices.interfaces.push(nic);
    revert.add(() => live.devices.interfaces.splice(live.devices.interfaces.indexOf(nic), 1), 'live definition');
    await saveStatus(ctx, dom);
  });
  ctx.changed(dom, 'device-added', alias);
  return alias;
}

/**
 * Ask the guest to let NIC `nic` go and wait (up to 5 s) for it; then its backend and tap go.
 * Returns true when the removal is still pending (the guest has not answered yet): it then
 * completes whenever QEMU reports it (unplug.ts).
 */
export async function unplugLiveNic(ctx: LifecycleContext, dom: Domain, rt: Runtime, qmp: Monitor, nic: Interface): Promise<boolean> {
  const alias = nic.alias;
  if (alias === undefined) throw VireoError.of('INTERNAL', `the NIC ${nic.mac} has no device id in the running guest`);
  // A second detach of a device whose removal is under way waits again instead of asking again.
  if (!unplugPending(rt, alias)) {
    await qmp.deviceDel(alias);
    markUnplugPending(rt, alias);
  }
  if (!(await waitDeviceDeleted(rt, alias))) return true;
  await completeNicRemoval(ctx, dom, rt, alias);
  return false;
}

/**
 * update-device of a NIC in the running guest: link state (set_link) and the network or host
 * bridge its tap is on; anything else a running guest cannot take is refused (nicUpdate).
 */
export async function updateLiveNic(ctx: LifecycleContext, dom: Domain, rt: Runtime, qmp: Monitor, old: Interface, upd: Interface): Promise<Interface> {
  const change = nicUpdate(old, upd, true);
  const next = change.next;
  const alias = old.alias ?? '';
  await Revert.run(async (revert) => {
    if (change.source && old.targetDev !== undefined && next.targetManaged !== false) {
      const to = await bridgeOf(next, alias, ctx.nics);
      const from = await bridgeOf(old, alias, ctx.nics).catch(() => undefined);
      if (to !== undefined) {
        await attachToBridge(old.targetDev, to);
        if (from !== undefined) revert.add(() => attachToBridge(old.targetDev!, from), `tap ${old.targetDev} back on ${from}`);
      }
    }
    if (change.bandwidth && old.type !== 'user' && old.targetDev !== undefined) {
      // update-device changes a NIC's limits too, as libvirt's does (domiftune's other way).
      checkFloor(next);
      const tap = old.targetDev;
      await setTapBandwidth(tap, next.bandwidth);
      revert.add(() => setTapBandwidth(tap, old.bandwidth), `limits of ${tap}`);
    }
    if (change.link) {
      await qmp.setLink(alias, next.linkState !== 'down');
      revert.add(() => qmp.setLink(alias, old.linkState !== 'down'), `link of ${alias}`);
    }
    const nics = rt.liveDef.devices.interfaces;
    nics[nics.indexOf(old)] = next;
    revert.add(() => (nics[nics.indexOf(next)] = old), 'live definition');
    await saveStatus(ctx, dom);
  });
  return next;
}
