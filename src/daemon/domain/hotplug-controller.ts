/**
 * Controllers in hotplug.ts's table. A running guest takes what libvirt's QEMU driver plugs
 * live: a SCSI controller (virtio-scsi-pci, or lsi for lsilogic) at a free hot-pluggable PCI
 * place, unplugged with device_del once no disk is on it. Every other type is refused live in
 * libvirt's words ("'usb' controller cannot be hot plugged."). The stored definition takes any
 * controller whose type and index are free, and gives one up by type and index.
 */
import { VireoError } from '../../api/errors.js';
import { hotplugPlace, type DeviceOf } from '../../conf/domain-device.js';
import type { Controller, DomainDef } from '../../conf/domain-model.js';
import { scsiControllerDevice } from '../../qemu/argv.js';
import { Revert } from '../../util/revert.js';
import { saveStatus } from './context.js';
import type { DeviceKind } from './hotplug-kind.js';
import { unplugDevice } from './unplug.js';

/** The lowest index of `type` that no controller of `def` has (PCI's 0 is the root bus). */
function freeIndex(def: DomainDef, type: Controller['type']): number {
  let i = type === 'pci' ? 1 : 0;
  while (def.devices.controllers.some((c) => c.type === type && c.index === i)) i++;
  return i;
}

/** The controller of `def` a device XML names: its type and index (0 when it gives none). */
function findController(def: DomainDef, given: Controller): number {
  const index = given.index < 0 ? 0 : given.index;
  return def.devices.controllers.findIndex((c) => c.type === given.type && c.index === index && (given.model === undefined || c.model === given.model));
}

export const controllerKind: DeviceKind<DeviceOf<'controller'>> = {
  config(next, op, dev) {
    const list = next.devices.controllers;
    const c = structuredClone(dev.controller);
    if (op === 'attach') {
      if (c.index < 0) c.index = freeIndex(next, c.type);
      else if (list.some((x) => x.type === c.type && x.index === c.index)) {
        throw VireoError.of('OPERATION_INVALID', `controller index='${c.index}' already exists`);
      }
      list.push(c);
      return;
    }
    const i = findController(next, c);
    if (i < 0) throw VireoError.of('DEVICE_MISSING', 'device not present in domain configuration');
    list.splice(i, 1);
  },
  async live({ ctx, dom, rt, qmp }, op, dev, out) {
    const given = dev.controller;
    if (given.type !== 'scsi') {
      throw VireoError.of('NO_SUPPORT', `Operation not supported: '${given.type}' controller cannot be hot ${op === 'attach' ? 'plugged' : 'unplugged'}.`);
    }
    const live = rt.liveDef;
    if (op === 'detach') {
      const index = given.index < 0 ? 0 : given.index;
      const i = findController(live, given);
      if (i < 0) throw VireoError.of('DEVICE_MISSING', `controller ${given.type}:${index} not found`);
      if (live.devices.disks.some((d) => d.bus === 'scsi' && d.address?.type === 'drive' && d.address.controller === index)) {
        throw VireoError.of('OPERATION_FAILED', 'device cannot be detached: device is busy', { hint: 'detach the disks on this controller first' });
      }
      out.alias = `scsi${index}`;
      out.pending = await unplugDevice(ctx, dom, rt, qmp, out.alias);
      return;
    }
    const c = structuredClone(given);
    if (c.index < 0) c.index = freeIndex(live, c.type);
    else if (live.devices.controllers.some((x) => x.type === c.type && x.index === c.index)) {
      throw VireoError.of('OPERATION_FAILED', `target ${c.type}:${c.index} already exists`);
    }
    c.model ??= 'lsilogic'; // libvirt's default for x86, as a definition gets it
    c.address = hotplugPlace(live, (trial) => {
      const copy = structuredClone(c);
      trial.devices.controllers.push(copy);
      return () => copy.address;
    });
    const alias = `scsi${c.index}`;
    await Revert.run(async (revert) => {
      await qmp.deviceAdd(scsiControllerDevice(live, c));
      revert.add(() => qmp.deviceDel(alias), `device ${alias}`);
      live.devices.controllers.push(c);
      revert.add(() => live.devices.controllers.splice(live.devices.controllers.indexOf(c), 1), 'live definition');
      await saveStatus(ctx, dom);
    });
    ctx.changed(dom, 'device-added', alias);
    out.alias = alias;
  },
  update: false,
};
