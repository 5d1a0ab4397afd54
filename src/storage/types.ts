/**
 * The storage driver's contract: one backend per pool type, driven by the daemon's pool service
 * with plain definitions (conf/storage). Backends touch the host (directories, files, qemu-img,
 * later mounts, LVM and iSCSI) and know nothing of the registry, locks or other pools; every
 * multi-step operation undoes its own steps when a later one fails (util/revert.ts).
 */
import type { WipeAlgorithm } from '../api/storage-types.js';
import type { PoolDef, PoolSizes, PoolSource, PoolType, Permissions, VolumeDef } from '../conf/storage/index.js';

/** What a refresh finds: the pool's figures, its target's permissions and every volume. */
/** How vol-create-from / vol-clone copy: the pool's free bytes, and virsh's --reflink and --prealloc-metadata. */
export interface CreateFromOptions {
  available: number;
  reflink?: boolean;
  preallocMetadata?: boolean;
}

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
  /**
   * Why this host cannot run the type (a tool or kernel part missing), or undefined when it
   * can: pool-capabilities' supported='yes'. Absent: always runnable.
   */
  unsupported?(): Promise<string | undefined>;
  /**
   * After a daemon restart: is the pool still up (mounted, ...)? Throws the reason when not,
   * and the pool is then inactive, as libvirt's check. Absent: start() is run again.
   */
  check?(def: PoolDef): Promise<void>;
  /**
   * find-storage-pool-sources: the sources this host offers for the type (volume groups, a
   * server's NFS exports), narrowed by `spec`. Absent: the type has no source discovery.
   */
  findSources?(spec: PoolSource): Promise<PoolSource[]>;
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
  createVolumeFrom(def: PoolDef, vol: VolumeDef, input: VolumeDef, opts: CreateFromOptions): Promise<void>;
  deleteVolume(def: PoolDef, vol: VolumeDef): Promise<void>;
  resizeVolume(def: PoolDef, vol: VolumeDef, capacity: number, opts: ResizeOptions): Promise<void>;
  /** vol-wipe, as libvirt: zero (zeros over the volume's allocation) or another algorithm (wipe.ts). */
  wipeVolume(def: PoolDef, vol: VolumeDef, algorithm: WipeAlgorithm): Promise<void>;
}
