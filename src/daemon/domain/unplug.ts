/**
 * The end of a device's removal from a running guest. device_del only asks: the guest must let
 * the device go (a PCI hot-unplug), and QEMU says when it has with a DEVICE_DELETED event —
 * quickly, much later (a paused or busy guest) or never. A detach waits for the event a short
 * while (as libvirt, 5 s); whenever it comes, the device's backend and tap go and the live
 * definition and status file drop it. After a daemon restart, the devices QEMU no longer has
 * are found with qom-list.
 */
import { VireoError } from '../../api/errors.js';
import { diskId } from '../../qemu/argv.js';
import type { Monitor } from '../../qemu/monitor.js';
import { logger } from '../../util/log.js';
import { isCurrent, saveStatus, type LifecycleContext } from './context.js';
import { unplugNics } from './nics.js';
import type { Domain, Runtime } from './domain.js';
import { completeDiskRemoval, liveDiskIndex } from './unplug-disk.js';
import { completeMemoryRemoval, isLiveDimm } from './unplug-memory.js';

const log = logger('hotplug');

/** libvirt's wait for DEVICE_DELETED before a detach returns with the removal still pending. */
export const UNPLUG_WAIT_MS = 5000;

/** Per runtime: the detaches waiting for a device's DEVICE_DELETED (or the guest's refusal), by device id. */
const waiters = new WeakMap<Runtime, Map<string, (refused?: VireoError) => void>>();
/** Per runtime: device ids whose removal was asked for and not yet seen. */
const pending = new WeakMap<Runtime, Set<string>>();

/** Whether a removal of device `alias` was asked for and QEMU has not reported it done. */
export function unplugPending(rt: Runtime, alias: string): boolean {
  return pending.get(rt)?.has(alias) === true;
}

/** Record that device_del was sent for `alias`. */
export function markUnplugPending(rt: Runtime, alias: string): void {
  let set = pending.get(rt);
  if (set === undefined) pending.set(rt, (set = new Set<string>()));
  set.add(alias);
}

/**
 * Wait for the DEVICE_DELETED of `alias`, at most `ms`. Resolves true when it came (the caller,
 * inside its job, then completes the removal), false when the time ran out; rejects when the
 * guest refused to let the device go (onUnplugRefused).
 */
export function waitDeviceDeleted(rt: Runtime, alias: string, ms = UNPLUG_WAIT_MS): Promise<boolean> {
  let map = waiters.get(rt);
  if (map === undefined) waiters.set(rt, (map = new Map<string, (refused?: VireoError) => void>()));
  const table = map;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      table.delete(alias);
      resolve(false);
    }, ms);
    table.set(alias, (refused) => {
      clearTimeout(timer);
      table.delete(alias);
      if (refused === undefined) resolve(true);
      else reject(refused);
    });
  });
}

/**
 * The guest refused to let device `alias` go (a memory module it could not offline: an ACPI
 * _OST failure for the eject): a detach waiting for it fails with libvirt's words, and a later
 * detach asks again.
 */
export function onUnplugRefused(rt: Runtime, alias: string): void {
  if (pending.get(rt)?.delete(alias) !== true) return;
  waiters.get(rt)?.get(alias)?.(VireoError.of('OPERATION_FAILED', 'unplug of device was rejected by the guest', {
    hint: 'the guest could not take the memory offline (memory in use that it cannot move); a module the guest onlines as movable (memhp_default_state=online_movable) can be unplugged',
  }));
}

/**
 * QEMU's DEVICE_DELETED for `alias`: wake the detach that waits for it, or else complete the
 * removal as an internal job of the domain (the detach returned long ago, or vireod asked
 * before a restart).
 */
export function onDeviceDeleted(ctx: LifecycleContext, dom: Domain, rt: Runtime, alias: string): void {
  const wake = waiters.get(rt)?.get(alias);
  if (wake !== undefined) {
    wake();
    return;
  }
  const complete = completerFor(rt, alias);
  if (complete === undefined) return;
  dom.jobs.run('device removal', 'short', async () => {
    if (isCurrent(dom, rt)) await complete(ctx, dom, rt, alias);
  }, { internal: true }).catch((e: unknown) => log.error(`${dom.name}: completing the removal of ${alias} failed`, { error: String(e) }));
}

type Completion = (ctx: LifecycleContext, dom: Domain, rt: Runtime, alias: string) => Promise<void>;

/** How the removal of device `alias` of the running guest ends, by its kind; undefined: no such device. */
function completerFor(rt: Runtime, alias: string): Completion | undefined {
  if (rt.liveDef.devices.interfaces.some((n) => n.alias === alias)) return completeNicRemoval;
  if (alias === 'watchdog0' && rt.liveDef.devices.watchdogs.length > 0) {
    return async (ctx, dom, r, a) => {
      pending.get(r)?.delete(a);
      r.liveDef.devices.watchdogs = [];
      await saveStatus(ctx, dom);
      ctx.changed(dom, 'device-removed', a);
    };
  }
  if (isLiveDimm(rt, alias)) {
    return async (ctx, dom, r, a) => {
      pending.get(r)?.delete(a);
      await completeMemoryRemoval(ctx, dom, r, a);
    };
  }
  if (liveDiskIndex(rt.liveDef, alias) >= 0) {
    return async (ctx, dom, r, a) => {
      pending.get(r)?.delete(a);
      await completeDiskRemoval(ctx, dom, r, a);
    };
  }
  const scsi = /^scsi(\d+)$/.exec(alias);
  if (scsi !== null && rt.liveDef.devices.controllers.some((c) => c.type === 'scsi' && c.index === Number(scsi[1]))) {
    return async (ctx, dom, r, a) => {
      pending.get(r)?.delete(a);
      const list = r.liveDef.devices.controllers;
      const i = list.findIndex((c) => c.type === 'scsi' && c.index === Number(scsi[1]));
      if (i < 0) return;
      list.splice(i, 1);
      await saveStatus(ctx, dom);
      ctx.changed(dom, 'device-removed', a);
    };
  }
  if (rt.liveDef.devices.inputs.some((x) => x.alias === alias)) {
    return async (ctx, dom, r, a) => {
      pending.get(r)?.delete(a);
      const list = r.liveDef.devices.inputs;
      const i = list.findIndex((x) => x.alias === a);
      if (i < 0) return;
      list.splice(i, 1);
      await saveStatus(ctx, dom);
      ctx.changed(dom, 'device-removed', a);
    };
  }
  if (rt.liveDef.devices.rngs.some((r) => r.alias === alias)) {
    return async (ctx, dom, r, a) => {
      pending.get(r)?.delete(a);
      await completeRngRemoval(ctx, dom, r, a);
    };
  }
  return undefined;
}

/**
 * The guest has let NIC `alias` go: remove its netdev (QEMU keeps it until told) and its tap,
 * drop it from the live definition and status file, and report device-removed. Does nothing
 * when the NIC is already gone.
 */
export async function completeNicRemoval(ctx: LifecycleContext, dom: Domain, rt: Runtime, alias: string): Promise<void> {
  pending.get(rt)?.delete(alias);
  const nics = rt.liveDef.devices.interfaces;
  const index = nics.findIndex((n) => n.alias === alias);
  const nic = nics[index];
  if (nic === undefined) return;
  try {
    await rt.qmp?.netdevDel(`host${alias}`);
  } catch (e) {
    // A backend QEMU no longer has (removed before a daemon restart) is no reason to keep the NIC listed.
    log.warn(`${dom.name}: removing the network backend of ${alias}`, { error: String(e) });
  }
  nics.splice(index, 1);
  const tap = nic.targetDev;
  if (tap !== undefined && rt.taps.includes(tap)) {
    rt.taps = rt.taps.filter((t) => t !== tap);
    await unplugNics([tap], [nic]);
  }
  await saveStatus(ctx, dom);
  ctx.changed(dom, 'device-removed', alias);
}

/**
 * After a reconnect: complete the removal of the NICs, hot-pluggable disks and memory modules that QEMU no
 * longer has (their guest let them go while vireod was not running).
 */
export async function reconcileNics(ctx: LifecycleContext, dom: Domain, rt: Runtime): Promise<void> {
  const qmp = rt.qmp;
  if (qmp === undefined) return;
  const present = new Set(await qmp.peripherals());
  const disks = rt.liveDef.devices.disks.filter((d) => d.bus === 'virtio' || d.bus === 'scsi').map((d) => diskId(rt.liveDef, d));
  const dimms = rt.liveDef.devices.memories.map((m) => m.alias);
  const gone = [...rt.liveDef.devices.interfaces.map((n) => n.alias), ...disks, ...dimms, ...rt.liveDef.devices.rngs.map((r) => r.alias),
    ...rt.liveDef.devices.controllers.filter((c) => c.type === 'scsi').map((c) => `scsi${c.index}`),
    ...rt.liveDef.devices.inputs.filter((x) => x.bus !== 'ps2').map((x) => x.alias)].filter((a): a is string => a !== undefined && !present.has(a));
  for (const alias of gone) {
    log.info(`${dom.name}: ${alias} was unplugged while vireod was not running`);
    onDeviceDeleted(ctx, dom, rt, alias);
  }
}

/**
 * Ask the guest to let device `alias` go and wait (up to 5 s) for it; then its removal
 * completes as its kind needs (completerFor). Returns true when the removal is still pending:
 * it then completes whenever QEMU reports it.
 */
export async function unplugDevice(ctx: LifecycleContext, dom: Domain, rt: Runtime, qmp: Monitor, alias: string): Promise<boolean> {
  // A second detach of a device whose removal is under way waits again instead of asking again.
  if (!unplugPending(rt, alias)) {
    await qmp.deviceDel(alias);
    markUnplugPending(rt, alias);
  }
  if (!(await waitDeviceDeleted(rt, alias))) return true;
  await completerFor(rt, alias)?.(ctx, dom, rt, alias);
  return false;
}

/** The guest has let rng `alias` go: its backend goes, and it leaves the live definition. */
export async function completeRngRemoval(ctx: LifecycleContext, dom: Domain, rt: Runtime, alias: string): Promise<void> {
  const list = rt.liveDef.devices.rngs;
  const i = list.findIndex((r) => r.alias === alias);
  if (i < 0) return;
  await rt.qmp?.execute('object-del', { id: `obj${alias}` }).catch((e: unknown) => log.warn(`${dom.name}: removing the backend of ${alias}`, { error: String(e) }));
  list.splice(i, 1);
  await saveStatus(ctx, dom);
  ctx.changed(dom, 'device-removed', alias);
}
