/**
 * The storage driver's contract: one backend per pool type, driven by the daemon's pool service
 * with plain definitions (conf/storage). Backends touch the host (directories, files, qemu-img,
 * later mounts, LVM and iSCSI) and know nothing of the registry, locks or other pools; every
 * multi-step operation undoes its own steps when a later one fails (util/revert.ts).
 */
import type { PoolDef, PoolSizes, PoolSource, PoolType, Permissions, VolumeDef } from '../conf/storage/index.js';

/** What a refresh finds: the pool's figures, its target's permissions and every volume. */
export interface PoolScan {
  sizes: PoolSizes;
  /** Owner and mode of the target directory, as libvirt shows them in an active pool's XML. */
  targetPermissions?: Permissions;
  volumes: VolumeDef[];
}

/** How vol-create-as / vol-create make a volume. */
export interface CreateVolumeOptions {
  /** qcow2 only: preallocate metadata (or all of it when allocation equals capacity). */
  preallocMetadata?: boolean;
  /** The pool's free bytes, for the check that a fully allocated volume fits. */
  available: number;
}

/** How vol-resize changes a volume's capacity. */
export interface ResizeOptions {
  /** Allocate the added bytes (raw only). */
  allocate?: boolean;
  available: number;
}

export interface PoolBackend {
  readonly type: PoolType;
  /** pool-build: make the storage (a directory; later mkfs, vgcreate). */
  build(def: PoolDef, opts: { overwrite?: boolean; noOverwrite?: boolean }): Promise<void>;
  /** pool-start: check (later: mount, activate) the storage. */
  start(def: PoolDef): Promise<void>;
  /** pool-destroy: release it (later: unmount); volumes stay. */
  stop(def: PoolDef): Promise<void>;
  /** pool-delete: remove what build made (a directory only when empty). */
  delete(def: PoolDef): Promise<void>;
  /** pool-refresh: sizes and every volume. */
  refresh(def: PoolDef): Promise<PoolScan>;
  /** Read one volume as refresh would. */
  volumeInfo(def: PoolDef, name: string): Promise<VolumeDef>;
  /** Make a volume (target.path is filled by the backend); nothing is left behind on failure. */
  createVolume(def: PoolDef, vol: VolumeDef, opts: CreateVolumeOptions): Promise<void>;
  /** vol-create-from / vol-clone: a new volume with `input`'s content (reflink where possible). */
  createVolumeFrom(def: PoolDef, vol: VolumeDef, input: VolumeDef, opts: { available: number }): Promise<void>;
  deleteVolume(def: PoolDef, vol: VolumeDef): Promise<void>;
  resizeVolume(def: PoolDef, vol: VolumeDef, capacity: number, opts: ResizeOptions): Promise<void>;
  /** vol-wipe with the zero algorithm, as libvirt: zeros over the volume's allocation. */
  wipeVolume(def: PoolDef, vol: VolumeDef): Promise<void>;
  /** find-storage-pool-sources: the sources a pool of this type could use, found from `spec` (absent where the type cannot look). */
  findSources?(spec: PoolSource | undefined): Promise<PoolSource[]>;
}
