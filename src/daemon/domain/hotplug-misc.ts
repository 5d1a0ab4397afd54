/**
 * rng and watchdog devices in hotplug.ts's table: changed in the stored definition; a running
 * guest is refused with libvirt's words until their live hot-plug is built.
 */
import { VireoError } from '../../api/errors.js';
import type { DeviceOf } from '../../conf/domain-device.js';
import { liveUnsupported, type DeviceKind } from './hotplug-kind.js';

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
  async live(_t, op) {
    throw VireoError.of('NO_SUPPORT', liveUnsupported(op, 'watchdog'));
  },
  update: false,
};
