/**
 * Reading the files of a file-backed pool as volumes: stat for allocation, permissions and times,
 * the image header for format, capacity and backing store (image-probe.ts natively, qemu-img for
 * the formats the probe leaves to it). A refresh of a pool on a local file system reads its
 * headers with synchronous calls in slices of a few milliseconds, yielding to the event loop
 * between slices: a thousand volumes take tens of milliseconds that way, against hundreds through
 * the thread pool (each file is a stat, an open, a read and a close). On network file systems a
 * single call may hang, so there every file goes through the thread pool.
 */
import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { VolumeDef } from '../conf/storage/index.js';
import { errnoCode, factsOf, statFacts, systemError, type FileFacts } from './files.js';
import { VireoError } from '../api/errors.js';
import { logger } from '../util/log.js';
import { formatByMagic, probeImage, probeImageSync, type ProbedImage } from './image-probe.js';
import { imageInfo, type ImageInfo } from './qemu-img.js';

const log = logger('storage');

/** Volumes read at once on a network file system (each through the thread pool). */
const ASYNC_PARALLEL = 16;
/** How long a slice of synchronous reads may hold the event loop. */
const SLICE_MS = 4;

/** statfs f_type of file systems reached over a network (or a user-space daemon) where a call may block. */
const REMOTE_FS = new Set([
  0x6969 /* nfs */, 0xff534d42 /* cifs */, 0xfe534d42 /* smb2 */, 0x517b /* smb */, 0x65735546 /* fuse */,
  0x00c36400 /* ceph */, 0x5346414f /* afs */, 0x01021997 /* 9p */, 0x564c /* ncp */, 0x73757245 /* coda */,
  0x7461636f /* ocfs2 */, 0x01161970 /* gfs2 */, 0x47504653 /* gpfs */, 0x013111a8 /* ibrix */,
]);

/** The volume a file is, given its facts and (for a file) its image facts. */
function volumeOf(file: string, name: string, f: FileFacts, info: ImageInfo | undefined, backing: (p: string) => FileFacts | undefined): VolumeDef {
  const vol: VolumeDef = {
    name, type: f.isDir ? 'dir' : 'file', key: file, capacity: f.size, allocation: f.allocated, physical: f.size,
    target: { path: file, format: f.isDir ? 'dir' : 'raw', permissions: f.permissions, timestamps: f.timestamps },
  };
  if (info === undefined) return vol;
  vol.capacity = info.virtualSize;
  vol.target.format = info.format;
  if (info.clusterSize !== undefined) vol.target.clusterSize = info.clusterSize;
  // As libvirt: a version 3 qcow2 shows <compat>1.1</compat> and its <features>; version 2 neither.
  const probed: ProbedImage = info;
  if (probed.version === 3) {
    vol.target.compat = '1.1';
    vol.target.lazyRefcounts = probed.lazyRefcounts === true;
  }
  if (info.backingFile !== undefined) {
    const b = path.resolve(path.dirname(file), info.backingFile);
    vol.backingStore = { path: b };
    if (info.backingFormat !== undefined) vol.backingStore.format = info.backingFormat;
    const bf = backing(b);
    if (bf !== undefined) {
      vol.backingStore.permissions = bf.permissions;
      vol.backingStore.timestamps = bf.timestamps;
    }
  }
  return vol;
}

const openError = (file: string) => (e: unknown): null => {
  if (errnoCode(e) === 'ENOENT') return null;
  throw systemError(`cannot open volume '${file}'`, e);
};

/**
 * An image qemu-img refuses to open (its own words say why): listed as the format its magic
 * names with its file's size, and logged, rather than failing the refresh, which would take
 * every other volume (and the pool) away with it, as libvirt's refresh does.
 */
const unopenable = (file: string, size: number) => async (e: unknown): Promise<ImageInfo> => {
  if (!(e instanceof VireoError) || e.code !== 'STORAGE_FAILED') throw e;
  log.warn('qemu-img cannot open a volume; listed by its magic and file size', { volume: file, error: e.message });
  return { format: await formatByMagic(file), virtualSize: size };
};

/** Read one file of the pool as a volume (undefined for what is no volume: sockets, dangling links, a file gone). */
export async function readVolume(file: string, name: string): Promise<VolumeDef | undefined> {
  let f;
  try {
    f = await statFacts(file);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw systemError(`cannot stat file '${file}'`, e);
  }
  if (!f.isFile && !f.isDir) return undefined;
  if (f.isDir) return volumeOf(file, name, f, undefined, () => undefined);
  const probed = await probeImage(file, f.size).catch(openError(file));
  if (probed === null) return undefined;
  const info = probed ?? (await imageInfo(file).catch(unopenable(file, f.size)));
  const b = info.backingFile === undefined ? undefined : await statFacts(path.resolve(path.dirname(file), info.backingFile)).catch(() => undefined);
  return volumeOf(file, name, f, info, () => b);
}

const statSyncFacts = (p: string): FileFacts | undefined => {
  const st = statSync(p, { bigint: true, throwIfNoEntry: false });
  return st === undefined ? undefined : factsOf(st);
};

/** readVolume with synchronous calls; 'qemu-img' when the probe leaves the file to qemu-img. */
function readVolumeSync(file: string, name: string): VolumeDef | undefined | 'qemu-img' {
  let f;
  try {
    f = statSyncFacts(file);
  } catch (e) {
    throw systemError(`cannot stat file '${file}'`, e);
  }
  if (f === undefined || (!f.isFile && !f.isDir)) return undefined;
  if (f.isDir) return volumeOf(file, name, f, undefined, () => undefined);
  let probed;
  try {
    probed = probeImageSync(file, f.size);
  } catch (e) {
    openError(file)(e); // throws unless the file is gone
    return undefined;
  }
  if (probed === undefined) return 'qemu-img';
  return volumeOf(file, name, f, probed, (b) => {
    try {
      return statSyncFacts(b);
    } catch {
      return undefined;
    }
  });
}

/** Every volume among `names` in `dir` (in that order), read as fast as the file system allows. */
export async function scanVolumes(dir: string, names: readonly string[]): Promise<VolumeDef[]> {
  const found = new Array<VolumeDef | undefined>(names.length);
  const later: number[] = []; // files for qemu-img, or all of them on a network file system
  const remote = REMOTE_FS.has(Number((await fs.statfs(dir)).type));
  if (remote) later.push(...names.keys());
  else {
    let sliceStart = performance.now();
    for (let i = 0; i < names.length; i++) {
      const n = names[i] ?? '';
      const v = readVolumeSync(path.join(dir, n), n);
      if (v === 'qemu-img') later.push(i);
      else found[i] = v;
      if (performance.now() - sliceStart > SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
  }
  // A fixed number of workers, each taking the next file: a slow one (a qemu-img) holds up one
  // worker, not a batch.
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let k = next++; k < later.length; k = next++) {
      const i = later[k] ?? 0;
      found[i] = await readVolume(path.join(dir, names[i] ?? ''), names[i] ?? '');
    }
  };
  await Promise.all(Array.from({ length: Math.min(ASYNC_PARALLEL, later.length) }, worker));
  return found.filter((v): v is VolumeDef => v !== undefined);
}
