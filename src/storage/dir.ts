/**
 * The `dir` pool: a directory whose files are volumes. Thin qcow2 through qemu-img (with a
 * backing file for linked clones), raw files fully allocated unless asked otherwise (as
 * libvirt), clones by reflink where the file system shares blocks and qemu-img convert
 * elsewhere. A volume made half-way is removed before the error is reported.
 */
import type { WipeAlgorithm } from '../api/storage-types.js';
import { wipeLocal } from './wipe.js';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import type { PoolDef, PoolType, VolumeDef } from '../conf/storage/index.js';
import { Revert } from '../util/revert.js';
import {
  allocate, applyPermissions, fsSizes, reflinkCopy, sparseCopy, statFacts, systemError,
} from './files.js';
import { convertImage, createImage, resizeImage } from './qemu-img.js';
import { readVolume, scanVolumes } from './scan.js';
import type { CreateFromOptions, CreateVolumeOptions, PoolBackend, PoolScan, ResizeOptions } from './types.js';

/** libvirt builds pool directories 0711 and makes volumes 0600 unless the XML says otherwise. */
const DIR_MODE = 0o711;
const VOL_MODE = 0o600;

const targetOf = (def: PoolDef): string => {
  if (def.target === undefined) throw VireoError.of('INTERNAL', `pool '${def.name}' has no target path`);
  return def.target.path;
};

function noSpace(vol: VolumeDef, bytes: number, available: number): void {
  if (bytes > available) {
    throw VireoError.of('NO_SPACE', `cannot allocate ${bytes} bytes in file '${vol.target.path ?? vol.name}': No space left on device`, {
      hint: `the pool has ${available} bytes free; make a thin volume (qcow2, or raw with --allocation 0) or free space`,
    });
  }
}

export class DirBackend implements PoolBackend {
  readonly type: PoolType = 'dir';

  async build(def: PoolDef, opts: { overwrite?: boolean; noOverwrite?: boolean }): Promise<void> {
    if (opts.overwrite === true || opts.noOverwrite === true) {
      throw VireoError.of('OPERATION_INVALID', `No source device specified when formatting pool '${def.name}'`);
    }
    const dir = targetOf(def);
    try {
      await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
      await applyPermissions(dir, def.target?.permissions, DIR_MODE);
    } catch (e) {
      throw systemError(`cannot create path '${dir}'`, e);
    }
  }

  async start(def: PoolDef): Promise<void> {
    const dir = targetOf(def);
    try {
      await fs.access(dir, constants.R_OK | constants.X_OK);
      const st = await fs.stat(dir);
      if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (e) {
      throw systemError(`cannot open directory '${dir}'`, e);
    }
  }

  async stop(def: PoolDef): Promise<void> {
    // A directory has nothing to release; its volumes stay. (The mounted pools unmount `def`.)
    void def;
  }

  async delete(def: PoolDef): Promise<void> {
    const dir = targetOf(def);
    try {
      await fs.rmdir(dir);
    } catch (e) {
      throw systemError(`failed to remove pool '${dir}'`, e);
    }
  }

  async refresh(def: PoolDef): Promise<PoolScan> {
    const dir = targetOf(def);
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
    } catch (e) {
      throw systemError(`cannot open directory '${dir}'`, e);
    }
    const volumes = await scanVolumes(dir, names);
    const facts = await statFacts(dir);
    return { sizes: await fsSizes(dir), targetPermissions: facts.permissions, volumes };
  }

  async volumeInfo(def: PoolDef, name: string): Promise<VolumeDef> {
    const file = path.join(targetOf(def), name);
    const vol = await readVolume(file, name);
    if (vol === undefined) throw VireoError.of('NO_STORAGE_VOL', `no storage vol with matching path '${file}'`);
    return vol;
  }

  async createVolume(def: PoolDef, vol: VolumeDef, opts: CreateVolumeOptions): Promise<void> {
    const file = path.join(targetOf(def), vol.name);
    vol.target.path = file;
    const format = vol.target.format ?? 'raw';
    const capacity = vol.capacity ?? 0;
    const allocation = Math.min(vol.allocation ?? capacity, capacity);
    await Revert.run(async (revert) => {
      if (format === 'raw') {
        if (vol.backingStore !== undefined) throw VireoError.of('NO_SUPPORT', 'this function is not supported by the connection driver: backing storage not supported for raw volumes');
        noSpace(vol, allocation, opts.available);
        const fh = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, VOL_MODE).catch((e: unknown) => {
          throw systemError(`cannot create volume '${file}'`, e);
        });
        revert.add(() => fs.rm(file, { force: true }), `removing ${file}`);
        try {
          await fh.truncate(capacity).catch((e: unknown) => {
            throw systemError(`cannot extend file '${file}'`, e);
          });
        } finally {
          await fh.close();
        }
        await allocate(file, 0, allocation);
      } else if (format === 'qcow2') {
        if (opts.preallocMetadata === true && vol.backingStore !== undefined) {
          throw VireoError.of('CONFIG_UNSUPPORTED', 'metadata preallocation conflicts with backing store');
        }
        const full = opts.preallocMetadata === true && allocation >= capacity;
        if (full) noSpace(vol, capacity, opts.available);
        // qemu-img creates the file itself: claim the name first, so that a racing create fails here.
        await fs.writeFile(file, '', { flag: 'wx', mode: VOL_MODE }).catch((e: unknown) => {
          throw systemError(`cannot create volume '${file}'`, e);
        });
        revert.add(() => fs.rm(file, { force: true }), `removing ${file}`);
        const b = vol.backingStore;
        await createImage({
          path: file, format, capacity,
          ...(b === undefined ? {} : { backing: { path: b.path, format: b.format ?? 'raw' } }),
          ...(opts.preallocMetadata === true ? { preallocation: full ? 'falloc' : 'metadata' } : {}),
          ...(vol.target.compat === undefined ? {} : { compat: vol.target.compat }),
          ...(vol.target.clusterSize === undefined ? {} : { clusterSize: vol.target.clusterSize }),
          ...(vol.target.lazyRefcounts === true ? { lazyRefcounts: true } : {}),
        });
      } else {
        throw VireoError.of('NO_SUPPORT', `creating volumes of format '${format}' is not supported; use raw or qcow2`);
      }
      await applyPermissions(file, vol.target.permissions, VOL_MODE);
    });
  }

  async createVolumeFrom(def: PoolDef, vol: VolumeDef, input: VolumeDef, opts: CreateFromOptions): Promise<void> {
    const file = path.join(targetOf(def), vol.name);
    vol.target.path = file;
    const src = { path: input.target.path ?? '', format: input.target.format ?? 'raw' };
    const format = vol.target.format ?? src.format;
    await Revert.run(async (revert) => {
      await fs.writeFile(file, '', { flag: 'wx', mode: VOL_MODE }).catch((e: unknown) => {
        throw systemError(`cannot create volume '${file}'`, e);
      });
      revert.add(() => fs.rm(file, { force: true }), `removing ${file}`);
      // A reflink shares every block and keeps a backing-file reference as it is; a volume on a
      // backing chain is flattened instead, as qemu-img convert (and libvirt) does. Without
      // reflinks a raw volume is copied sparse (cp: no image decoding, half qemu-img's time),
      // anything else converted.
      const sameShape = format === src.format && input.backingStore === undefined;
      if (opts.reflink === true) {
        // As libvirt: --reflink only for a raw copy of a raw volume, and a reflink or nothing.
        if (!(sameShape && format === 'raw')) {
          throw VireoError.of('NO_SUPPORT', `unsupported flags (0x2): --reflink clones raw volumes only; a ${format} copy is made by qemu-img`);
        }
        if (!(await reflinkCopy(src.path, file))) throw VireoError.of('STORAGE_FAILED', `failed to clone files from '${src.path}': Operation not supported`);
      } else if (!(sameShape && (await reflinkCopy(src.path, file)))) {
        noSpace(vol, input.allocation ?? 0, opts.available);
        if (sameShape && format === 'raw') {
          await sparseCopy(src.path, file);
        } else {
          await fs.rm(file, { force: true });
          await convertImage(src, { path: file, format, preallocMetadata: opts.preallocMetadata === true });
        }
      }
      await applyPermissions(file, vol.target.permissions, VOL_MODE);
    });
  }

  async deleteVolume(_def: PoolDef, vol: VolumeDef): Promise<void> {
    const file = vol.target.path ?? '';
    try {
      if (vol.type === 'dir') await fs.rmdir(file);
      else await fs.unlink(file);
    } catch (e) {
      throw systemError(`cannot unlink file '${file}'`, e);
    }
  }

  async resizeVolume(_def: PoolDef, vol: VolumeDef, capacity: number, opts: ResizeOptions): Promise<void> {
    const file = vol.target.path ?? '';
    const format = vol.target.format ?? 'raw';
    const old = vol.capacity ?? 0;
    if (format === 'raw') {
      if (opts.allocate === true && capacity > old) noSpace(vol, capacity - old, opts.available);
      try {
        await fs.truncate(file, capacity);
      } catch (e) {
        throw systemError(`Failed to truncate volume with path '${file}' to ${capacity} bytes`, e);
      }
      if (opts.allocate === true && capacity > old) {
        try {
          await allocate(file, old, capacity - old);
        } catch (e) {
          await fs.truncate(file, old).catch(() => undefined); // back to the size it had
          throw e;
        }
      }
      return;
    }
    if (opts.allocate === true) throw VireoError.of('NO_SUPPORT', 'Operation not supported: preallocate is only supported for raw type volume');
    await resizeImage(file, format, capacity, capacity < old);
  }

  async wipeVolume(_def: PoolDef, vol: VolumeDef, algorithm: WipeAlgorithm): Promise<void> {
    const file = vol.target.path ?? '';
    if (vol.type === 'dir') throw VireoError.of('NO_SUPPORT', `cannot wipe directory volume '${file}'`);
    await wipeLocal(file, vol.allocation ?? 0, algorithm);
  }
}
