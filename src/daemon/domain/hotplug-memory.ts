/**
 * Memory modules (<memory model='dimm'>) in hotplug.ts's table. A live attach creates the
 * module's memory backend (object-add), plugs a pc-dimm into a free slot (device_add) and reads
 * where QEMU placed it (query-memory-devices: the live XML's <address base>); <memory> and
 * <currentMemory> grow by its size, as libvirt's do. A detach is device_del: the guest must
 * offline the memory and eject the module (ACPI), QEMU then reports DEVICE_DELETED and the
 * backend goes (unplug-memory.ts); a guest that refuses says so with an ACPI _OST status, which
 * fails the detach in libvirt's words. The stored definition changes as define would make it.
 */
import { VireoError } from '../../api/errors.js';
import type { DeviceOf } from '../../conf/domain-device.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { findMemoryDevice, memoryDeviceMissing, placeHotplugDimm } from '../../conf/domain-parse-memory.js';
import { hugepagesForDomain } from '../../host/hugepages.js';
import { dimmBackendId, dimmBackendProps, dimmDeviceProps } from '../../qemu/argv.js';
import { objectAdd, objectDel, queryMemoryDevices } from '../../qemu/monitor-memory.js';
import type { Monitor } from '../../qemu/monitor.js';
import { saveStatus } from './context.js';
import { liveUnsupported, type DeviceKind } from './hotplug-kind.js';
import { unplugDevice } from './unplug.js';

/** Record in `live` where QEMU placed each module (the base addresses libvirt's live XML shows). */
export async function readDimmBases(qmp: Monitor, live: DomainDef): Promise<void> {
  if (live.devices.memories.length === 0) return;
  const placed = await queryMemoryDevices(qmp);
  for (const m of live.devices.memories) {
    const q = placed.find((p) => p.id === m.alias) ?? placed.find((p) => p.slot === m.slot);
    if (q !== undefined) m.base = q.addr;
  }
}

export const memoryKind: DeviceKind<DeviceOf<'memory'>> = {
  config(next, op, dev) {
    const list = next.devices.memories;
    if (op === 'attach') {
      if (next.maxMemory === undefined) throw VireoError.of('CONFIG_UNSUPPORTED', "cannot use/hotplug a memory device when domain 'maxMemory' is not defined");
      if (next.memoryKiB + dev.memory.sizeKiB > next.maxMemory.kib) {
        throw VireoError.of('CONFIG_UNSUPPORTED', `Attaching memory device with size '${dev.memory.sizeKiB}' would exceed domain's maxMemory config size '${next.maxMemory.kib}'`);
      }
      // The module's memory is added to the guest's (currentMemory too, as libvirt); the slot,
      // the checks against <maxMemory> and the NUMA cells come with the redefinition.
      list.push(structuredClone(dev.memory));
      next.memoryKiB += dev.memory.sizeKiB;
      next.currentMemoryKiB += dev.memory.sizeKiB;
      return;
    }
    const i = findMemoryDevice(list, dev.memory);
    const found = list[i];
    // libvirt's words differ between the stored definition and the running guest.
    if (found === undefined) throw VireoError.of('DEVICE_MISSING', 'matching memory device was not found');
    list.splice(i, 1);
    next.memoryKiB -= found.sizeKiB;
    next.currentMemoryKiB = Math.max(next.currentMemoryKiB - found.sizeKiB, 0);
  },
  async live({ ctx, dom, rt, qmp }, op, dev, out) {
    const live = rt.liveDef;
    if (op === 'update') throw VireoError.of('NO_SUPPORT', liveUnsupported(op, 'memory'));
    if (op === 'detach') {
      const found = live.devices.memories[findMemoryDevice(live.devices.memories, dev.memory)];
      if (found?.alias === undefined) throw memoryDeviceMissing(dev.memory);
      out.alias = found.alias;
      out.pending = await unplugDevice(ctx, dom, rt, qmp, found.alias);
      return;
    }
    const m = placeHotplugDimm(live, dev.memory);
    const pages = live.memoryBacking?.hugepages;
    const hugepagesPath = pages === undefined ? undefined
      : (await hugepagesForDomain({ name: live.name, memoryKiB: m.sizeKiB, pages }, ctx.store.layout.run)).path;
    await objectAdd(qmp, dimmBackendProps(live, { accel: live.type === 'kvm' ? 'kvm' : 'tcg', ...(hugepagesPath === undefined ? {} : { hugepagesPath }) }, m));
    try {
      await qmp.deviceAdd(dimmDeviceProps(m));
    } catch (e) {
      await objectDel(qmp, dimmBackendId(m)).catch(() => undefined);
      throw e;
    }
    // The module is in the guest from here on: a failure to read its address leaves it without one.
    m.base = (await queryMemoryDevices(qmp).catch(() => [])).find((p) => p.id === m.alias)?.addr;
    if (m.base === undefined) delete m.base;
    live.devices.memories.push(m);
    live.memoryKiB += m.sizeKiB;
    live.currentMemoryKiB += m.sizeKiB;
    await saveStatus(ctx, dom);
    ctx.changed(dom, 'device-added', m.alias ?? '');
    out.alias = m.alias ?? null;
  },
  update: false,
};
