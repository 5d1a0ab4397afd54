/**
 * The `logical` pool: an LVM volume group whose logical volumes are the pool's volumes, driven
 * with libvirt's commands. build = pvcreate on each source device + vgcreate (a device holding
 * a signature is refused unless --overwrite, which wipes it first); start = vgchange -aly after
 * checking the group exists on the pool's devices; stop = vgchange -aln; delete = vgremove +
 * pvremove. A volume is `lvcreate --name N -L SIZE VG`, or with an allocation below its capacity
 * a sparse snapshot volume (`-L ALLOC --type snapshot --virtualsize CAP`), as libvirt makes them.
 *
 * Making or activating a logical volume needs the kernel's device-mapper; a host without it can
 * hold volume groups but no volumes, and says so (NO_SUPPORT) rather than leaving LVM's words.
 */
import type { WipeAlgorithm } from '../api/storage-types.js';
import { wipeLocal } from './wipe.js';
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';
import type { PoolDef, PoolSource, PoolType, VolumeDef } from '../conf/storage/index.js';
import { Revert } from '../util/revert.js';
import { statFacts } from './files.js';
import { hasDeviceMapper, listLvs, listPvs, listVgs, vgDevices, type LvFacts } from './lvm.js';
import { convertImage } from './qemu-img.js';
import { checkBuildFlags, requireBlank, requireSource } from './signatures.js';
import { childFailed, mustRun, runTool, toolPath } from './tool.js';
import type { CreateFromOptions, CreateVolumeOptions, PoolBackend, PoolScan } from './types.js';

const vgOf = (def: PoolDef): string => def.source.name ?? def.name;
const kib = (bytes: number): string => `${Math.ceil(bytes / 1024)}K`;

/** A logical volume as a pool volume (libvirt: key = LV UUID, a block volume at /dev/VG/LV). */
async function toVolume(vg: string, lv: LvFacts): Promise<VolumeDef> {
  const path = lv.path !== '' ? lv.path : `/dev/${vg}/${lv.name}`;
  // A sparse or snapshot volume's segments are its copy-on-write space only.
  const allocation = Math.min(lv.allocated, lv.size);
  const vol: VolumeDef = { name: lv.name, type: 'block', key: lv.uuid, capacity: lv.size, allocation, physical: lv.size, target: { path, format: 'raw' } };
  // The device node exists only while the LV is active.
  const f = await statFacts(path).catch(() => undefined);
  if (f !== undefined) {
    vol.target.permissions = f.permissions;
    vol.target.timestamps = f.timestamps;
  }
  // A sparse volume's origin ([NAME_vorigin]) is LVM's own; only a real origin is a backing store.
  if (lv.origin !== '' && !lv.origin.startsWith('[')) vol.backingStore = { path: `/dev/${vg}/${lv.origin}` };
  return vol;
}

/** LVM's failure to reach device-mapper, said plainly. */
function noDm(what: string, cause: VireoError): VireoError {
  return VireoError.of('NO_SUPPORT', `cannot ${what}: this kernel has no device-mapper (not in /proc/misc), which LVM needs for logical volumes; ${cause.message}`, {
    hint: 'volume groups work without it, logical volumes do not: load the dm-mod module or use another pool type',
    cause,
  });
}

export class LogicalBackend implements PoolBackend {
  readonly type: PoolType = 'logical';

  async unsupported(): Promise<string | undefined> {
    if (toolPath('vgcreate') === undefined) return 'the LVM tools are not installed (apt-get install lvm2)';
    if (!(await hasDeviceMapper())) return 'this kernel has no device-mapper: volume groups can be made, logical volumes cannot';
    return undefined;
  }

  /** Every volume group with its physical volumes (PVs in no group are left out, as libvirt). */
  async findSources(spec: PoolSource): Promise<PoolSource[]> {
    const groups = new Map<string, string[]>();
    for (const { pv, vg } of await listPvs()) {
      if (vg === '' || (spec.name !== undefined && spec.name !== vg)) continue;
      groups.set(vg, [...(groups.get(vg) ?? []), pv]);
    }
    return [...groups].map(([name, pvs]) => ({ hosts: [], devices: pvs.map((path) => ({ path })), name, format: 'lvm2' }));
  }

  async build(def: PoolDef, opts: { overwrite?: boolean; noOverwrite?: boolean }): Promise<void> {
    checkBuildFlags(opts);
    const devices = def.source.devices.map((d) => d.path);
    if (devices.length === 0) {
      throw VireoError.of('XML_INVALID', `pool '${def.name}' has no <source><device path>: pool-build makes its volume group on those devices`);
    }
    const vg = vgOf(def);
    // Checked before anything is written, so a refusal leaves every device as it was.
    for (const d of devices) await requireBlank(d, 'LVM2_member', opts.overwrite === true);
    if ((await listVgs(vg)).length > 0) {
      // --overwrite makes the group anew, as libvirt (which wipes its PVs): only when every PV of
      // it is one of the pool's devices, so no other disk is left with half a volume group.
      const pvs = await Promise.all((await vgDevices(vg)).map((p) => fs.realpath(p).catch(() => p)));
      const mine = await Promise.all(devices.map((p) => fs.realpath(p).catch(() => p)));
      const others = pvs.filter((p) => !mine.includes(p));
      if (opts.overwrite !== true || others.length > 0) {
        throw VireoError.of('STORAGE_POOL_BUILT', `volume group '${vg}' already exists${others.length > 0 ? ` on ${others.join(', ')} too` : ''}`, {
          hint: `pool-start uses it as it is; vgremove ${vg} first to make it anew`,
        });
      }
      await this.requireNoVolumes(vg, 'rebuild');
      await mustRun('vgremove', ['-f', vg], { what: `removing volume group '${vg}' to make it anew` });
    }
    await Revert.run(async (revert) => {
      for (const d of devices) {
        // libvirt zeroes the start of the device; wipefs removes every signature blkid saw.
        if (opts.overwrite === true) await mustRun('wipefs', ['-a', d], { what: `wiping '${d}'` });
        await mustRun('pvcreate', [d], { what: `making '${d}' an LVM physical volume` });
        revert.add(() => runTool('pvremove', ['-y', d], { what: 'undoing pvcreate' }).then(() => undefined), `pvremove ${d}`);
      }
      await mustRun('vgcreate', [vg, ...devices], { what: `making volume group '${vg}'` });
    });
  }

  async start(def: PoolDef): Promise<void> {
    const vg = vgOf(def);
    if ((await listVgs(vg)).length === 0) {
      throw VireoError.of('CONFIG_UNSUPPORTED', `cannot find logical volume group name '${vg}'`, { hint: 'pool-build makes it on the source devices' });
    }
    const wanted = def.source.devices.map((d) => d.path);
    if (wanted.length > 0) {
      const real = await Promise.all((await vgDevices(vg)).map((p) => fs.realpath(p).catch(() => p)));
      const mine = await Promise.all(wanted.map((p) => fs.realpath(p).catch(() => p)));
      if (!mine.some((p) => real.includes(p))) {
        throw VireoError.of('CONFIG_UNSUPPORTED', `cannot find any matching source devices for logical volume group '${vg}'`, {
          hint: `'${vg}' is on ${real.join(', ') || 'no device'}; the pool names ${wanted.join(', ')}`,
        });
      }
    }
    const r = await runTool('vgchange', ['-aly', vg], { what: `activating volume group '${vg}'` });
    if (r.code !== 0) {
      const err = childFailed('vgchange', ['-aly', vg], r);
      throw (await hasDeviceMapper()) ? err : noDm(`activate the logical volumes of '${vg}'`, err);
    }
  }

  async stop(def: PoolDef): Promise<void> {
    const vg = vgOf(def);
    // A group removed behind the pool's back has nothing left to deactivate.
    if ((await listVgs(vg)).length === 0) return;
    await mustRun('vgchange', ['-aln', vg], { what: `deactivating volume group '${vg}'` });
  }

  /** Refuse to remove a group that still holds logical volumes (libvirt's vgremove -f would take them). */
  private async requireNoVolumes(vg: string, what: string): Promise<void> {
    const lvs = (await listLvs(vg)).map((l) => l.name);
    if (lvs.length > 0) {
      throw VireoError.of('OPERATION_INVALID', `cannot ${what} volume group '${vg}': it still holds logical volumes ${lvs.join(', ')}`, {
        hint: 'delete them first (vol-delete)',
      });
    }
  }

  async delete(def: PoolDef): Promise<void> {
    const vg = vgOf(def);
    if ((await listVgs(vg)).length === 0) {
      throw VireoError.of('CONFIG_UNSUPPORTED', `cannot find logical volume group name '${vg}'`);
    }
    await this.requireNoVolumes(vg, 'delete');
    await mustRun('vgremove', ['-f', vg], { what: `removing volume group '${vg}'` });
    for (const d of def.source.devices) await mustRun('pvremove', [d.path], { what: `removing the LVM label of '${d.path}'` });
  }

  async refresh(def: PoolDef): Promise<PoolScan> {
    const vg = vgOf(def);
    const [facts] = await listVgs(vg);
    if (facts === undefined) throw VireoError.of('CONFIG_UNSUPPORTED', `cannot find logical volume group name '${vg}'`);
    const volumes = await Promise.all((await listLvs(vg)).map((lv) => toVolume(vg, lv)));
    return { sizes: { capacity: facts.size, allocation: facts.size - facts.free, available: facts.free }, volumes };
  }

  async volumeInfo(def: PoolDef, name: string): Promise<VolumeDef> {
    const vg = vgOf(def);
    const lv = (await listLvs(vg)).find((l) => l.name === name);
    if (lv === undefined) throw VireoError.of('NO_STORAGE_VOL', `no storage vol with matching path '/dev/${vg}/${name}'`);
    return toVolume(vg, lv);
  }

  async createVolume(def: PoolDef, vol: VolumeDef, opts: CreateVolumeOptions): Promise<void> {
    const vg = vgOf(def);
    const format = vol.target.format ?? 'raw';
    if (format !== 'raw' && format !== 'none') {
      throw VireoError.of('CONFIG_UNSUPPORTED', `a logical pool's volumes are raw logical volumes; format '${format}' is not supported`);
    }
    if (opts.preallocMetadata === true) throw VireoError.of('CONFIG_UNSUPPORTED', 'metadata preallocation is for qcow2 volumes; a logical volume is raw');
    const capacity = vol.capacity ?? 0;
    const allocation = Math.min(vol.allocation ?? capacity, capacity);
    if (allocation > opts.available) {
      throw VireoError.of('NO_SPACE', `volume group '${vg}' has ${opts.available} bytes free; volume '${vol.name}' needs ${allocation}`);
    }
    vol.target.path = `/dev/${vg}/${vol.name}`;
    const args = ['--name', vol.name, '-L'];
    if (allocation !== capacity) args.push(kib(allocation || 1), '--type', 'snapshot', '--virtualsize');
    args.push(kib(capacity));
    if (vol.backingStore !== undefined) args.push('-s', vol.backingStore.path);
    else args.push(vg);
    args.push('--yes');
    const r = await runTool('lvcreate', args, { what: `making logical volume '${vol.name}'` });
    if (r.code === 0) return;
    // lvcreate backs out of a volume it could not activate; make sure none is left looking whole.
    await this.removeIfThere(vg, vol.name);
    const err = childFailed('lvcreate', args, r);
    throw (await hasDeviceMapper()) ? err : noDm(`create logical volume '${vol.name}'`, err);
  }

  private async removeIfThere(vg: string, name: string): Promise<void> {
    const left = (await listLvs(vg).catch(() => [])).some((l) => l.name === name);
    if (left) await runTool('lvremove', ['-f', `${vg}/${name}`], { what: 'removing a half-made logical volume' });
  }

  async createVolumeFrom(def: PoolDef, vol: VolumeDef, input: VolumeDef, opts: CreateFromOptions): Promise<void> {
    if (opts.reflink === true) throw VireoError.of('NO_SUPPORT', 'unsupported flags (0x2): --reflink needs a file system that shares blocks, not a logical volume');
    const capacity = Math.max(vol.capacity ?? 0, input.capacity ?? 0);
    const made: VolumeDef = { ...vol, capacity, allocation: capacity, target: { ...vol.target, format: 'raw' } };
    await this.createVolume(def, made, { available: opts.available });
    vol.target.path = made.target.path;
    await Revert.run(async (revert) => {
      revert.add(() => this.removeIfThere(vgOf(def), vol.name), `lvremove ${vol.name}`);
      // As libvirt: the input's content copied (a backing chain flattened) into the new LV.
      await convertImage({ path: input.target.path ?? '', format: input.target.format ?? 'raw' }, { path: made.target.path!, format: 'raw' });
    });
  }

  async deleteVolume(def: PoolDef, vol: VolumeDef): Promise<void> {
    const target = `${vgOf(def)}/${vol.name}`;
    await mustRun('lvremove', ['-f', target], { what: `removing logical volume '${target}'` });
  }

  async resizeVolume(def: PoolDef, vol: VolumeDef, capacity: number): Promise<void> {
    const target = `${vgOf(def)}/${vol.name}`;
    // Shrinking was asked for explicitly (the service checks --shrink): lvresize wants -f for it.
    const shrink = capacity < (vol.capacity ?? 0);
    await mustRun('lvresize', [...(shrink ? ['-f'] : []), '-L', kib(capacity), target], { what: `resizing logical volume '${target}'` });
  }

  async wipeVolume(_def: PoolDef, vol: VolumeDef, algorithm: WipeAlgorithm): Promise<void> {
    const dev = vol.target.path ?? '';
    await requireSource(dev).catch((e: unknown) => {
      throw VireoError.of('STORAGE_FAILED', `cannot wipe logical volume '${dev}': its device is not there (is the volume group active?)`, { cause: e });
    });
    await wipeLocal(dev, vol.capacity ?? 0, algorithm);
  }
}
