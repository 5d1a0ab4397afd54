/**
 * domblkinfo: a disk's capacity, allocation and physical size, as libvirt reports them. A running
 * guest's come from QEMU (query-block: the image's virtual size and the bytes it takes on the
 * host) and the host file's size; a shut-off guest's from the file (qemu-img info for the
 * virtual size, stat for the rest). A volume disk is looked up in its pool, also when the guest is
 * shut off (libvirt 9.0 fails there with "missing storage backend for 'volume' storage"). An
 * iSCSI disk of a shut-off guest has no sizes vireo can read without logging in: '-' in the
 * table, an error for that disk alone, as libvirt.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../../api/errors.js';
import type { DomainBlockInfo } from '../../api/types.js';
import type { Disk, DomainDef } from '../../conf/domain-model.js';
import { diskId } from '../../qemu/argv.js';
import type { BlockImage, Monitor } from '../../qemu/monitor.js';
import { imageInfo } from '../../storage/index.js';
import type { VolumeContext } from './disks.js';

/** The disk `device` names (its target or its source path), with libvirt's refusal. */
export function findDisk(def: DomainDef, device: string): Disk {
  const d = def.devices.disks.find((x) => x.target === device || (x.source !== undefined && x.source === device));
  if (d === undefined) throw VireoError.of('INVALID_ARG', `invalid path ${device} not assigned to domain`);
  return d;
}

/** Size of a file, or of a block device (from sysfs: its st_size is 0). */
async function hostSizes(file: string): Promise<{ size: number; allocated: number }> {
  const st = await fs.stat(file, { bigint: true });
  if (!st.isBlockDevice()) return { size: Number(st.size), allocated: Number(st.blocks) * 512 };
  const sectors = await fs.readFile(`/sys/dev/block/${Number(st.rdev >> 8n) & 0xfff}:${Number(st.rdev & 0xffn)}/size`, 'utf8');
  return { size: Number(sectors.trim()) * 512, allocated: 0 };
}

/** The host file of a disk (a volume disk's resolved in its pool), or undefined for a network disk. */
function hostFile(d: Disk, volumes: VolumeContext): string | undefined {
  if (d.source !== undefined) return d.source;
  if (d.volume !== undefined) {
    const r = d.resolved ?? volumes.resolve(d.volume);
    return r.type === 'network' ? undefined : r.path;
  }
  return undefined;
}

/** One disk's sizes; throws libvirt's errors for an empty drive and for what cannot be read. */
async function diskInfo(def: DomainDef, d: Disk, volumes: VolumeContext, images: BlockImage[] | undefined): Promise<DomainBlockInfo> {
  if (d.source === undefined && d.volume === undefined && d.network === undefined) {
    throw VireoError.of('INVALID_ARG', `disk '${d.target}' does not currently have a source assigned`);
  }
  const file = hostFile(d, volumes);
  if (images !== undefined) {
    const id = diskId(def, d);
    const img = images.find((b) => b.qdev === id || b.qdev.startsWith(`/machine/peripheral/${id}/`) || b.device === `drive-${id}`);
    if (img?.virtualSize === undefined) throw VireoError.of('OPERATION_FAILED', `QEMU reports no image for disk '${d.target}'`);
    const physical = file === undefined ? img.virtualSize : (await hostSizes(file)).size;
    return { target: d.target, capacity: img.virtualSize, allocation: img.actualSize ?? 0, physical };
  }
  if (file === undefined) {
    throw VireoError.of('NO_SUPPORT', `disk '${d.target}' is an iSCSI LUN; its sizes are known only while the guest runs`);
  }
  const host = await hostSizes(file);
  const capacity = d.format === 'raw' || d.format === undefined ? host.size : (await imageInfo(file)).virtualSize;
  return { target: d.target, capacity, allocation: host.allocated, physical: host.size };
}

/**
 * The sizes of one disk (`device`: target or source path), or of every disk with nulls for those
 * whose sizes cannot be had. `qmp`: the running guest's monitor, undefined when it is shut off.
 */
export async function blockInfo(def: DomainDef, qmp: Monitor | undefined, volumes: VolumeContext, device?: string): Promise<DomainBlockInfo[]> {
  const images = qmp === undefined ? undefined : await qmp.queryBlock();
  if (device !== undefined) return [await diskInfo(def, findDisk(def, device), volumes, images)];
  return Promise.all(def.devices.disks.map((d) => diskInfo(def, d, volumes, images)
    .catch(() => ({ target: d.target, capacity: null, allocation: null, physical: null }))));
}
