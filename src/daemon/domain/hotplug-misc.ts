/**
 * rng and watchdog devices in hotplug.ts's table. An i6300esb watchdog (a PCI card) is plugged
 * into a running guest at a free hot-pluggable PCI place, its action set with
 * watchdog-set-action, and unplugged as other PCI devices (device_del, DEVICE_DELETED); an rng, or
 * an ib700 watchdog (ISA), changes in the stored definition only, as libvirt refuses them live.
 */
import { VireoError } from '../../api/errors.js';
import type { DeviceOf } from '../../conf/domain-device.js';
import { hotplugPlace } from '../../conf/domain-device.js';
import { pciProps } from '../../qemu/argv/util.js';
import { saveStatus } from './context.js';
import { liveUnsupported, type DeviceKind } from './hotplug-kind.js';
import { unplugDevice } from './unplug.js';

/** The device id of the one watchdog a guest may have (the command line's too). */
export const WATCHDOG_ID = 'watchdog0';

export const rngKind: DeviceKind<DeviceOf<'rng'>> = {
  config(next, op, dev) {
    const list = next.devices.rngs;
    if (op === 'attach') {
      list.push(structuredClone(dev.rng));
      return;
    }
    const want = JSON.stringify({ ...dev.rng, address: undefined });
    const i = list.findIndex((r) => JSON.stringify({ ...r, address: undefined }) === want);
    if (i < 0) throw VireoError.of('DEVICE_MISSING', 'matching RNG device was not found');
    list.splice(i, 1);
  },
  async live(_t, op) {
    throw VireoError.of('NO_SUPPORT', liveUnsupported(op, 'rng'));
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
