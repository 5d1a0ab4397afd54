/**
 * Storage volumes of the daemon's pools (vol-* commands). A volume is found by name in its
 * pool, or by key or path in any active pool. Changes to one volume run one at a time; a new
 * name is reserved before the first await, so two creates of one name cannot both proceed.
 * Refusals are libvirt's: a name with '/', a name taken, a pool that is not active.
 */
import { WIPE_ALGORITHMS } from '../../api/storage-types.js';
import * as path from 'node:path';
import type { VolumeCreateFromRequest, VolumeResizeRequest, VolumeSummary } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { formatVolumeXml, parseVolumeXml, type VolumeDef } from '../../conf/storage/index.js';
import { backendFor } from '../../storage/index.js';
import { volumeSummary, type Pool } from './pool.js';
import type { PoolService } from './service.js';
import type { IncompleteMarks } from './marks.js';
import { download, upload, type TransferOptions, type DownloadSink } from './transfer.js';
import type { Readable } from 'node:stream';

/** What volumes need from beyond storage: the marks of cut-off uploads, and which running guests use a volume. */
export interface VolumeDeps {
  marks: IncompleteMarks;
  /** The running guests of this daemon whose disks are this volume (by pool and name, or by path). */
  usedBy(v: { pool: string; name: string; path?: string }): string[];
}

const noVol = (ref: string): VireoError => VireoError.of('NO_STORAGE_VOL', `no storage vol with matching path '${ref}'`);

export class VolumeService {
  constructor(private readonly pools: PoolService, readonly deps: VolumeDeps) {}

  /** A volume as the API shows it, with the mark of a cut-off upload. */
  summary(pool: Pool, v: VolumeDef): VolumeSummary {
    const s = volumeSummary(pool, v);
    const mark = v.target.path === undefined ? undefined : this.deps.marks.get(v.target.path);
    if (mark !== undefined) s.incompleteUpload = mark;
    return s;
  }

  /** Refuse a volume whose content a cut-off upload left part old, part new. */
  requireWhole(v: VolumeDef, what: string): void {
    const mark = v.target.path === undefined ? undefined : this.deps.marks.get(v.target.path);
    if (mark !== undefined) {
      throw VireoError.of('VOLUME_INCOMPLETE', `cannot ${what} volume '${v.name}': ${mark}`, { hint: 'upload it again in full, wipe it (vol-wipe) or delete it' });
    }
  }

  /**
   * Refuse to change a volume a running guest has as a disk: libvirt lets vol-delete or vol-wipe
   * pull a disk from under a guest; vireo does not.
   */
  requireUnused(pool: Pool, v: VolumeDef, what: string): void {
    const users = this.deps.usedBy({ pool: pool.name, name: v.name, ...(v.target.path === undefined ? {} : { path: v.target.path }) });
    if (users.length > 0) {
      const doms = users.map((u) => `'${u}'`).join(', ');
      throw VireoError.of('VOLUME_IN_USE', `cannot ${what} storage volume '${v.name}': it is in use by running domain${users.length > 1 ? 's' : ''} ${doms}`, {
        hint: 'shut the guest down (or detach the disk) first',
      });
    }
  }

  /** Forget the mark of a cut-off upload: the volume was rewritten whole or removed. */
  async clearMark(v: VolumeDef): Promise<void> {
    if (v.target.path !== undefined) await this.deps.marks.clear(v.target.path);
  }

  /** vol-upload: the bytes of `src` into the volume's file (transfer.ts). */
  upload(poolRef: string | undefined, ref: string, o: TransferOptions, src: Readable, accepted?: () => void): Promise<VolumeSummary> {
    return upload(this, poolRef, ref, o, src, accepted);
  }

  /** vol-download: the volume's bytes to what `sink` opens (transfer.ts). */
  download(poolRef: string | undefined, ref: string, o: TransferOptions, sink: DownloadSink): Promise<void> {
    return download(this, poolRef, ref, o, sink);
  }

  /** A volume of `pool` by name, key or path. */
  private find(pool: Pool, ref: string): VolumeDef {
    pool.requireActive();
    const v = pool.volumes.get(ref) ?? [...pool.volumes.values()].find((x) => x.key === ref || x.target.path === ref);
    if (v === undefined) throw noVol(ref);
    return v;
  }

  /** A volume anywhere, by key or path (vol-* without --pool). */
  lookupByKey(ref: string): { pool: Pool; vol: VolumeDef } {
    const wanted = ref.startsWith('/') ? path.normalize(ref) : ref;
    for (const pool of this.pools.pools()) {
      if (!pool.active) continue;
      for (const vol of pool.volumes.values()) if (vol.key === wanted || vol.target.path === wanted) return { pool, vol };
    }
    throw noVol(ref);
  }

  resolve(poolRef: string | undefined, ref: string): { pool: Pool; vol: VolumeDef } {
    if (poolRef === undefined) return this.lookupByKey(ref);
    const pool = this.pools.lookup(poolRef);
    return { pool, vol: this.find(pool, ref) };
  }

  list(poolRef: string): VolumeSummary[] {
    const pool = this.pools.lookup(poolRef);
    pool.requireActive();
    return [...pool.volumes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((v) => this.summary(pool, v));
  }

  get(poolRef: string | undefined, ref: string): VolumeSummary {
    const { pool, vol } = this.resolve(poolRef, ref);
    return this.summary(pool, vol);
  }

  xml(poolRef: string | undefined, ref: string): string {
    return formatVolumeXml(this.resolve(poolRef, ref).vol);
  }

  /** Reserve a new volume name in `pool` (synchronously), or throw libvirt's refusal. */
  private reserve(pool: Pool, name: string): () => void {
    pool.requireActive();
    if (name.includes('/')) throw VireoError.of('OPERATION_INVALID', `volume name '${name}' cannot contain '/'`);
    if (pool.volumes.has(name) || pool.creating.has(name)) throw VireoError.of('STORAGE_VOL_EXISTS', `storage volume '${name}' exists already`);
    pool.creating.add(name);
    return () => pool.creating.delete(name);
  }

  /** Read the volume back from disk and show it in the pool, with the pool's new figures. */
  async record(pool: Pool, name: string): Promise<VolumeSummary> {
    const backend = backendFor(pool.def.type);
    const vol = await backend.volumeInfo(pool.def, name);
    pool.volumes.set(name, vol);
    const scan = await backend.refresh(pool.def).catch(() => undefined);
    if (scan !== undefined) pool.sizes = scan.sizes;
    return this.summary(pool, vol);
  }

  /** vol-create / vol-create-as: make a volume from XML. */
  async create(poolRef: string, xml: string, opts: { preallocMetadata?: boolean }): Promise<VolumeSummary> {
    const pool = this.pools.lookup(poolRef);
    const def = parseVolumeXml(xml);
    if (def.capacity === undefined) throw VireoError.of('XML_INVALID', 'missing capacity element in the volume XML');
    const release = this.reserve(pool, def.name);
    return pool.volumeSerial(def.name, async () => {
      try {
        if (def.backingStore !== undefined) {
          const b = this.lookupOrPath(pool, def.backingStore.path);
          def.backingStore.format ??= b?.target.format ?? 'raw';
        }
        await backendFor(pool.def.type).createVolume(pool.def, def, { available: pool.sizes.available, ...opts });
        const made = await this.record(pool, def.name);
        // A new file at the path of a volume once cut off in an upload is not that volume.
        await this.deps.marks.clear(made.path);
        delete made.incompleteUpload;
        return made;
      } finally {
        release();
      }
    });
  }

  private lookupOrPath(pool: Pool, ref: string): VolumeDef | undefined {
    try {
      return this.find(pool, ref);
    } catch {
      try {
        return this.lookupByKey(ref).vol;
      } catch {
        return undefined;
      }
    }
  }

  /** vol-create-from (XML) and vol-clone (a new name): a new volume with the content of another. */
  async createFrom(poolRef: string, r: VolumeCreateFromRequest): Promise<VolumeSummary> {
    const pool = this.pools.lookup(poolRef);
    const src = this.resolve(r.inputPool, r.input);
    let def: VolumeDef;
    if (r.xml !== undefined) def = parseVolumeXml(r.xml);
    else if (r.name !== undefined) def = { name: r.name, target: { format: src.vol.target.format ?? 'raw' } };
    else throw VireoError.of('INVALID_ARG', 'a new volume needs xml or name');
    if (def.target.permissions === undefined && r.xml === undefined && src.vol.target.permissions?.mode !== undefined) {
      def.target.permissions = { mode: src.vol.target.permissions.mode };
    }
    const release = this.reserve(pool, def.name);
    // The input must not change while it is copied: its own lock is held too (by name in its pool).
    return pool.volumeSerial(def.name, () => src.pool.volumeSerial(src.vol.name, async () => {
      try {
        const input = src.pool.volumes.get(src.vol.name);
        if (input === undefined) throw noVol(r.input);
        this.requireWhole(input, 'copy');
        await backendFor(pool.def.type).createVolumeFrom(pool.def, def, input, {
          available: pool.sizes.available, reflink: r.reflink === true, preallocMetadata: r.preallocMetadata === true,
        });
        const made = await this.record(pool, def.name);
        await this.deps.marks.clear(made.path);
        delete made.incompleteUpload;
        return made;
      } finally {
        release();
      }
    }));
  }

  async delete(poolRef: string | undefined, ref: string): Promise<VolumeSummary> {
    const { pool, vol } = this.resolve(poolRef, ref);
    return pool.volumeSerial(vol.name, async () => {
      const current = pool.volumes.get(vol.name);
      if (current === undefined) throw noVol(ref);
      this.requireUnused(pool, current, 'delete');
      await backendFor(pool.def.type).deleteVolume(pool.def, current);
      pool.volumes.delete(vol.name);
      await this.clearMark(current);
      const scan = await backendFor(pool.def.type).refresh(pool.def).catch(() => undefined);
      if (scan !== undefined) pool.sizes = scan.sizes;
      return this.summary(pool, current);
    });
  }

  async wipe(poolRef: string | undefined, ref: string, algorithm: string | undefined): Promise<VolumeSummary> {
    const alg = WIPE_ALGORITHMS.find((a) => a === (algorithm ?? 'zero'));
    if (alg === undefined) throw VireoError.of('INVALID_ARG', `invalid argument: unsupported wipe algorithm '${algorithm ?? ''}'; supported: ${WIPE_ALGORITHMS.join(', ')}`);
    const { pool, vol } = this.resolve(poolRef, ref);
    return pool.volumeSerial(vol.name, async () => {
      const current = pool.volumes.get(vol.name);
      if (current === undefined) throw noVol(ref);
      this.requireUnused(pool, current, 'wipe');
      await backendFor(pool.def.type).wipeVolume(pool.def, current, alg);
      await this.clearMark(current);
      return this.record(pool, vol.name);
    });
  }

  async resize(poolRef: string | undefined, ref: string, r: VolumeResizeRequest): Promise<VolumeSummary> {
    const { pool, vol } = this.resolve(poolRef, ref);
    return pool.volumeSerial(vol.name, async () => {
      const current = pool.volumes.get(vol.name);
      if (current === undefined) throw noVol(ref);
      const old = current.capacity ?? 0;
      const capacity = r.delta === true ? old + r.capacity : r.capacity;
      // libvirt's checks, in its order.
      if (capacity < (current.allocation ?? 0)) {
        throw VireoError.of('INVALID_ARG', "can't shrink capacity below existing allocation");
      }
      if (capacity < old && r.shrink !== true) {
        throw VireoError.of('INVALID_ARG', "Can't shrink capacity below current capacity unless shrink flag explicitly specified");
      }
      // Growing is harmless to a running guest (it sees the old size until told); shrinking cuts its data.
      if (capacity < old) this.requireUnused(pool, current, 'shrink');
      if (r.allocate === true && capacity - old > pool.sizes.available) {
        throw VireoError.of('NO_SPACE', 'Not enough space left in storage pool');
      }
      await backendFor(pool.def.type).resizeVolume(pool.def, current, capacity, { allocate: r.allocate === true, available: pool.sizes.available });
      return this.record(pool, vol.name);
    });
  }
}
