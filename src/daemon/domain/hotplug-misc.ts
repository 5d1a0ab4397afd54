/**
 * rng and watchdog devices in hotplug.ts's table. A virtio rng is plugged into a running guest
 * as libvirt does it: its backend object (object-add: rng-random or rng-builtin), then the
 * virtio-rng-pci device at a free hot-pluggable PCI place; unplugged with device_del, and once
 * the guest lets go (DEVICE_DELETED) its backend goes too (object-del). An i6300esb watchdog (a
 * PCI card) is plugged at a free place, its action set with watchdog-set-action, and unplugged
 * as other PCI devices; an ib700 watchdog (ISA) changes in the stored definition only, as
 * libvirt refuses it live.
 */
import { VireoError } from '../../api/errors.js';
import type { DeviceOf } from '../../conf/domain-device.js';
import { hotplugPlace } from '../../conf/domain-device.js';
import type { DomainDef, Rng } from '../../conf/domain-model.js';
import { rngDevice, rngObject } from '../../qemu/argv.js';
import { pciProps } from '../../qemu/argv/util.js';
import { Revert } from '../../util/revert.js';
import { saveStatus } from './context.js';
import { liveUnsupported, type DeviceKind } from './hotplug-kind.js';
import { unplugDevice } from './unplug.js';

/** The device id of the one watchdog a guest may have (the command line's too). */
export const WATCHDOG_ID = 'watchdog0';

/** The rng of `list` a device XML names: the same backend and rate (and address, when it gives one). */
function findRng(list: readonly Rng[], given: Rng): number {
  const key = (r: Rng): string => JSON.stringify({ ...r, address: undefined, alias: undefined });
  const at = given.address === undefined ? undefined : JSON.stringify(given.address);
  const i = list.findIndex((r) => key(r) === key(given) && (at === undefined || JSON.stringify(r.address) === at));
  if (i < 0) throw VireoError.of('DEVICE_MISSING', 'matching RNG device was not found');
  return i;
}

/** Give each rng of a live definition its device id (rng<index>, what the command line gave it) unless it has one. */
function nameRngs(live: DomainDef): void {
  live.devices.rngs.forEach((r, i) => (r.alias ??= `rng${i}`));
}

/** The lowest rngN no rng of the running guest has. */
function nextRngAlias(live: DomainDef): string {
  const used = new Set(live.devices.rngs.map((r) => r.alias));
  let n = 0;
  while (used.has(`rng${n}`)) n++;
  return `rng${n}`;
}

export const rngKind: DeviceKind<DeviceOf<'rng'>> = {
  config(next, op, dev) {
    const list = next.devices.rngs;
    if (op === 'attach') {
      list.push(structuredClone(dev.rng));
      return;
    }
    list.splice(findRng(list, dev.rng), 1);
  },
  async live({ ctx, dom, rt, qmp }, op, dev, out) {
    const live = rt.liveDef;
    nameRngs(live);
    if (op === 'detach') {
      const alias = live.devices.rngs[findRng(live.devices.rngs, dev.rng)]!.alias!;
      out.alias = alias;
      out.pending = await unplugDevice(ctx, dom, rt, qmp, alias);
      return;
    }
    // An egd backend needs its chardev plugged first; vireo does not hot-plug chardevs yet.
    if (dev.rng.backend.model === 'egd') throw VireoError.of('NO_SUPPORT', "Operation not supported: live attach of an rng with backend model 'egd' is not supported; use --config");
    const rng = structuredClone(dev.rng);
    rng.alias = nextRngAlias(live);
    rng.address = hotplugPlace(live, (trial) => {
      const copy = structuredClone(dev.rng);
      trial.devices.rngs.push(copy);
      return () => copy.address;
    });
    const alias = rng.alias;
    await Revert.run(async (revert) => {
      const object = rngObject(rng, alias);
      await qmp.execute('object-add', object);
      revert.add(() => qmp.execute('object-del', { id: object.id }), `rng backend ${String(object.id)}`);
      await qmp.deviceAdd(rngDevice(live, rng, alias));
      revert.add(() => qmp.deviceDel(alias), `device ${alias}`);
      live.devices.rngs.push(rng);
      revert.add(() => live.devices.rngs.splice(live.devices.rngs.indexOf(rng), 1), 'live definition');
      await saveStatus(ctx, dom);
    });
    ctx.changed(dom, 'device-added', alias);
    out.alias = alias;
  },
  update: false,
};

export const watchdogKind: DeviceKind<DeviceOf<'watchdog'>> = {
  config(next, op, dev) {
    const list = next.devices.watchdogs;
    if (op === 'attach') {
      if (list.length > 0) throw VireoError.of('OPERATION_INVALID', 'domain already has a watchdog');
      list.push(structuredClone(dev.watchdog));
      return;
    }
    const i = list.findIndex((w) => w.model === dev.watchdog.model && w.action === dev.watchdog.action);
    if (i < 0) throw VireoError.of('OPERATION_INVALID', 'watchdog device not present in domain configuration');
    list.splice(i, 1);
  },
  async live({ ctx, dom, rt, qmp }, op, dev, out) {
    const live = rt.liveDef;
    if (op !== 'attach') {
      const i = live.devices.watchdogs.findIndex((w) => w.model === dev.watchdog.model && w.action === dev.watchdog.action);
      if (i < 0) throw VireoError.of('OPERATION_INVALID', 'watchdog device not present in domain configuration');
      if (live.devices.watchdogs[i]!.model !== 'i6300esb') throw VireoError.of('NO_SUPPORT', liveUnsupported('detach', 'watchdog'));
      out.alias = WATCHDOG_ID;
      out.pending = await unplugDevice(ctx, dom, rt, qmp, WATCHDOG_ID);
      return;
    }
    if (live.devices.watchdogs.length > 0) throw VireoError.of('OPERATION_INVALID', 'domain already has a watchdog');
    if (dev.watchdog.model !== 'i6300esb') throw VireoError.of('NO_SUPPORT', liveUnsupported('attach', 'watchdog'));
    const w = structuredClone(dev.watchdog);
    w.address = hotplugPlace(live, (trial) => {
      const copy = structuredClone(dev.watchdog);
      trial.devices.watchdogs.push(copy);
      return () => copy.address;
    });
    await qmp.deviceAdd({ driver: 'i6300esb', id: WATCHDOG_ID, ...pciProps(live, w.address) });
    try {
      await qmp.watchdogSetAction(w.action);
    } catch (e) {
      await qmp.deviceDel(WATCHDOG_ID).catch(() => undefined);
      throw e;
    }
    live.devices.watchdogs.push(w);
    await saveStatus(ctx, dom);
    ctx.changed(dom, 'device-added', WATCHDOG_ID);
    out.alias = WATCHDOG_ID;
  },
  update: false,
};

/** USB hubs: refused live and persistent, in libvirt's words (its QEMU driver changes none). */
export const hubKind: DeviceKind<DeviceOf<'hub'>> = {
  config(_next, op) {
    throw VireoError.of('NO_SUPPORT', `Operation not supported: persistent ${op} of device 'hub' is not supported`);
  },
  async live(_t, op) {
    throw VireoError.of('NO_SUPPORT', liveUnsupported(op, 'hub'));
  },
  update: false,
};
