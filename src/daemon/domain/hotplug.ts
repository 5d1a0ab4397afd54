/**
 * attach-device, detach-device and update-device: one device given as XML, applied to the
 * running guest (--live), the stored definition (--config), or both, as one job of the domain.
 * The stored definition is changed as define would make it (addresses assigned by the same
 * rules); the running guest through the device kind's hot-plug module (KINDS below). The config
 * change is computed first and saved only after the live change worked, so a failure leaves
 * both as they were.
 */
import { VireoError } from '../../api/errors.js';
import type { DeviceRequest, DeviceResult } from '../../api/types.js';
import { parseDeviceXml, type DeviceDef, type DeviceOf } from '../../conf/domain-device.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { affected, redefine, type DomainHost } from './ops.js';
import { diskKind } from './hotplug-disk.js';
import { memoryKind } from './hotplug-memory.js';
import { hubKind, rngKind, watchdogKind } from './hotplug-misc.js';
import { nicKind } from './hotplug-nic.js';
import { controllerKind } from './hotplug-controller.js';
import { inputKind } from './hotplug-input.js';
import type { DeviceKind, DeviceOp } from './hotplug-kind.js';

/** How each kind of device is attached, detached and updated. One entry per DeviceDef kind. */
const KINDS: { [K in DeviceDef['kind']]: DeviceKind<DeviceOf<K>> } = {
  interface: nicKind,
  disk: diskKind,
  rng: rngKind,
  watchdog: watchdogKind,
  controller: controllerKind,
  input: inputKind,
  hub: hubKind,
  memory: memoryKind,
};

function kindOf<D extends DeviceDef>(dev: D): DeviceKind<D> {
  return KINDS[dev.kind] as unknown as DeviceKind<D>;
}

/** The stored definition after `op` with `dev`. */
function configChange(def: DomainDef, op: DeviceOp, dev: DeviceDef): DomainDef {
  return redefine(def, (next) => kindOf(dev).config(next, op, dev));
}

/** Run one device request. */
export async function deviceRequest(host: DomainHost, ref: string, op: DeviceOp, r: DeviceRequest): Promise<DeviceResult> {
  const dev = parseDeviceXml(r.xml, op === 'detach');
  const kind = kindOf(dev);
  const dom = host.lookup(ref);
  return dom.jobs.run(`${op}-device`, 'short', async () => {
    const f = affected(dom, r);
    if (op === 'update' && kind.update === false) {
      throw VireoError.of('NO_SUPPORT', `Operation not supported: ${f.live ? 'live' : 'persistent'} update of device '${dev.kind}' is not supported`);
    }
    const nextConfig = f.config ? configChange(dom.persistent!, op, dev) : undefined;
    const result: DeviceResult = { device: dev.kind, alias: null, mac: dev.kind === 'interface' ? dev.nic.mac : null, pending: false };
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      const qmp = await host.qmp(dom);
      await kind.live({ ctx: host.ctx, dom, rt, qmp }, op, dev, result);
    }
    if (nextConfig !== undefined) {
      await host.ctx.store.saveConfig(nextConfig);
      dom.persistent = nextConfig;
    }
    return result;
  });
}
