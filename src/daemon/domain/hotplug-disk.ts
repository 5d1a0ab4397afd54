/**
 * A disk plugged into or unplugged from a running guest, as libvirt's QEMU driver does it: its
 * block nodes opened (blockdev-add: storage, then format, named as a start names them), then
 * device_add at a hot-pluggable place (virtio: a free PCI place, on q35 a free pcie-root-port;
 * scsi: a unit of an existing SCSI controller); device_del, then (once the guest lets go)
 * blockdev-del of the nodes, so that QEMU no longer holds the image. A volume disk is resolved
 * in its pool as at start, and the live definition it joins marks the volume in use. Every step
 * is undone when a later one fails.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../../api/errors.js';
import { hotplugPlace, type DeviceOf } from '../../conf/domain-device.js';
import type { Disk, DomainDef } from '../../conf/domain-model.js';
import { diskId, diskParts } from '../../qemu/argv.js';
import { Revert } from '../../util/revert.js';
import { saveStatus } from './context.js';
import { diskPaths, nextDiskNode, resolveDisks } from './disks.js';
import type { DeviceKind, LiveTarget } from './hotplug-kind.js';
import { changeLiveMedia, mediaUpdate } from './media.js';
import { redefine } from './ops.js';
import { checkIothreadUse } from '../../conf/domain-iothreads.js';
import { unplugDevice } from './unplug.js';

/** Where a disk's data is, for libvirt's duplicate-target message. */
const where = (d: Disk): string => d.source ?? (d.volume !== undefined ? `${d.volume.pool}/${d.volume.volume}` : d.network?.name ?? '');

/** libvirt's refusal of a second disk on a target. */
function checkTargetFree(def: DomainDef, disk: Disk): void {
  const other = def.devices.disks.find((d) => d.target === disk.target);
  if (other !== undefined) {
    throw VireoError.of('XML_INVALID', `XML error: target '${disk.target}' duplicated for disk sources '${where(other)}' and '${where(disk)}'`);
  }
}

/** The disk of `def` on the target a device XML names, or libvirt's error (`live`: the running guest's words). */
export function findDisk(def: DomainDef, disk: Disk, live: boolean): number {
  const i = def.devices.disks.findIndex((d) => d.target === disk.target);
  if (i < 0) throw VireoError.of('DEVICE_MISSING', live ? `disk ${disk.target} not found` : `no target device ${disk.target}`);
  return i;
}

/** A copy of a disk as the stored definition keeps it (no runtime parts). */
function stored(disk: Disk): Disk {
  const d = structuredClone(disk);
  delete d.nodeIndex;
  delete d.resolved;
  return d;
}

/** Disks in hotplug.ts's table. */
export const diskKind: DeviceKind<DeviceOf<'disk'>> = {
  config(next, op, dev) {
    const disks = next.devices.disks;
    if (op === 'attach') {
      checkTargetFree(next, dev.disk);
      disks.push(stored(dev.disk));
      return;
    }
    const i = findDisk(next, dev.disk, false);
    if (op === 'detach') disks.splice(i, 1);
    else disks[i] = mediaUpdate(disks[i]!, dev.disk);
  },
  async live(t, op, dev, out) {
    if (op === 'attach') {
      out.alias = await plugLiveDisk(t, dev.disk);
      return;
    }
    const live = t.rt.liveDef;
    const index = findDisk(live, dev.disk, true);
    if (op === 'update') {
      out.alias = await changeLiveMedia(t, index, dev.disk);
      return;
    }
    const old = live.devices.disks[index]!;
    if (old.bus !== 'virtio' && old.bus !== 'scsi') {
      throw VireoError.of('NO_SUPPORT', `Operation not supported: disk device type '${old.device}' on bus '${old.bus}' cannot be hot unplugged`);
    }
    const alias = diskId(live, old);
    out.alias = alias;
    out.pending = await unplugDevice(t.ctx, t.dom, t.rt, t.qmp, alias);
  },
};

/**
 * Where the disk goes in the running guest `live`: a virtio disk on a free hot-pluggable PCI
 * place; a SCSI disk on a unit of an existing controller (a running guest takes no new one).
 * Other buses cannot take a device while the guest runs (QEMU refuses; libvirt passes QEMU's
 * refusal on, vireo says it first).
 */
function place(live: DomainDef, disk: Disk): Disk {
  if (disk.device !== 'disk') {
    throw VireoError.of('NO_SUPPORT', `Operation not supported: disk device='${disk.device}' cannot be hot-plugged; use change-media for a drive's medium`);
  }
  const placed = structuredClone(disk);
  if (disk.bus === 'virtio') {
    placed.address = hotplugPlace(live, (trial) => {
      const copy = structuredClone(disk);
      trial.devices.disks.push(copy);
      return () => (copy.address?.type === 'pci' ? copy.address : undefined);
    });
    return placed;
  }
  if (disk.bus !== 'scsi') throw VireoError.of('NO_SUPPORT', `Operation not supported: disk bus '${disk.bus}' cannot be hotplugged.`);
  const trial = redefine(live, (n) => n.devices.disks.push(stored(disk)));
  const got = trial.devices.disks.find((d) => d.target === disk.target)?.address;
  if (got?.type !== 'drive' || !live.devices.controllers.some((c) => c.type === 'scsi' && c.index === got.controller)) {
    throw VireoError.of('OPERATION_FAILED', `SCSI controller ${got?.type === 'drive' ? got.controller : 0} for disk ${disk.target} does not exist; a running guest takes no new controller (attach-device one with --config and restart, or add it to the definition)`);
  }
  placed.address = got;
  return placed;
}

/** Plug `given` into the running guest; returns its device id. */
async function plugLiveDisk({ ctx, dom, rt, qmp }: LiveTarget, given: Disk): Promise<string> {
  const live = rt.liveDef;
  checkTargetFree(live, given);
  checkIothreadUse({ ...live, devices: { ...live.devices, disks: [given] } }); // its I/O thread must run (domain-iothreads.ts)
  const disk = place(live, given);
  disk.nodeIndex = nextDiskNode(live);
  // A volume disk becomes the file, device or LUN its pool holds, as at start.
  const trial: DomainDef = resolveDisks({ ...live, devices: { ...live.devices, disks: [...live.devices.disks, disk] } }, ctx.volumes);
  const ready = trial.devices.disks[trial.devices.disks.length - 1]!;
  for (const f of diskPaths({ ...trial, devices: { ...trial.devices, disks: [ready] } })) {
    await fs.access(f).catch((e: unknown) => {
      throw new VireoError('STORAGE_MISSING', `Cannot access storage file '${f}': No such file or directory`, { cause: e });
    });
  }
  const parts = diskParts(trial, ready, trial.devices.disks.length - 1);
  const alias = diskId(trial, ready);
  await Revert.run(async (revert) => {
    for (const node of parts.nodes) {
      await qmp.blockdevAdd(node);
      const name = String(node['node-name']);
      revert.add(() => qmp.blockdevDel(name), `block node ${name}`);
    }
    await qmp.deviceAdd(parts.device);
    revert.add(() => qmp.deviceDel(alias), `device ${alias}`);
    live.devices.disks.push(ready);
    revert.add(() => live.devices.disks.splice(live.devices.disks.indexOf(ready), 1), 'live definition');
    await saveStatus(ctx, dom);
  });
  ctx.changed(dom, 'device-added', alias);
  return alias;
}
