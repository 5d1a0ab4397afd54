/**
 * attach-device, detach-device and update-device: one device given as XML, applied to the
 * running guest (--live), the stored definition (--config), or both, as one job of the domain.
 * The stored definition is changed as define would make it (addresses assigned by the same
 * rules); the running guest through the device kind's hot-plug module (hotplug-nic.ts). The
 * config change is computed first and saved only after the live change worked, so a failure
 * leaves both as they were.
 */
import type { DeviceRequest, DeviceResult } from '../../api/types.js';
import { findMatchingNic, nicUpdate, parseDeviceXml, type DeviceDef } from '../../conf/domain-device.js';
import type { DomainDef } from '../../conf/domain-model.js';
import type { Monitor } from '../../qemu/monitor.js';
import type { LifecycleContext } from './context.js';
import { affected, redefine, type DomainHost } from './ops.js';
import type { Domain, Runtime } from './domain.js';
import { plugLiveNic, unplugLiveNic, updateLiveNic } from './hotplug-nic.js';

type Op = 'attach' | 'detach' | 'update';

/** The stored definition after `op` with `dev`. */
function configChange(def: DomainDef, op: Op, dev: DeviceDef): DomainDef {
  return redefine(def, (next) => {
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
  });
}

/** Run one device request. */
export async function deviceRequest(host: DomainHost, ref: string, op: Op, r: DeviceRequest): Promise<DeviceResult> {
  const dev = parseDeviceXml(r.xml);
  const dom = host.lookup(ref);
  return dom.jobs.run(`${op}-device`, 'short', async () => {
    const f = affected(dom, r);
    const nextConfig = f.config ? configChange(dom.persistent!, op, dev) : undefined;
    const result: DeviceResult = { device: dev.kind, alias: null, mac: dev.nic.mac, pending: false };
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      const qmp = await host.qmp(dom);
      await liveChange(host.ctx, dom, rt, qmp, op, dev, result);
    }
    if (nextConfig !== undefined) {
      await host.ctx.store.saveConfig(nextConfig);
      dom.persistent = nextConfig;
    }
    return result;
  });
}

async function liveChange(ctx: LifecycleContext, dom: Domain, rt: Runtime, qmp: Monitor, op: Op, dev: DeviceDef, out: DeviceResult): Promise<void> {
  if (op === 'attach') {
    out.alias = await plugLiveNic(ctx, dom, rt, qmp, dev.nic);
    return;
  }
  const old = findMatchingNic(rt.liveDef, dev);
  out.mac = old.mac;
  out.alias = old.alias ?? null;
  if (op === 'detach') out.pending = await unplugLiveNic(ctx, dom, rt, qmp, old);
  else await updateLiveNic(ctx, dom, rt, qmp, old, dev.nic);
}
