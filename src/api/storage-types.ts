/** Wire types of storage pools and volumes (re-exported by types.ts). */

/** A storage pool as pool-list and pool-info show it; sizes are null while inactive. */
export interface PoolSummary {
  name: string;
  uuid: string;
  /** dir, fs, netfs, logical, iscsi-direct */
  type: string;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  capacity: number | null;
  allocation: number | null;
  available: number | null;
  /** How many volumes an active pool holds. */
  volumes: number | null;
}

/** POST /v1/pools, /v1/pools/create. */
export interface PoolDefineRequest {
  xml: string;
  /** create only: build the pool first (pool-create --build). */
  build?: boolean;
  overwrite?: boolean;
  noOverwrite?: boolean;
}

/** POST /v1/pool-sources (find-storage-pool-sources). */
export interface PoolSourcesRequest {
  /** The pool type, e.g. 'iscsi-direct'. */
  type: string;
  /** A <source> saying where to look (host, initiator...), as the type needs. */
  spec?: string;
}

/** POST /v1/pools/{ref}/build and /start. */
/** find-storage-pool-sources: a pool type and, optionally, libvirt's <source> specification. */
export interface PoolSourcesRequest {
  type: string;
  spec?: string;
}

export interface PoolBuildRequest {
  /** start only: build first. */
  build?: boolean;
  overwrite?: boolean;
  noOverwrite?: boolean;
}

/** A storage volume as vol-list, vol-info, vol-path, vol-key show it. */
export interface VolumeSummary {
  /** The pool holding it. */
  pool: string;
  name: string;
  key: string;
  path: string;
  /** file, dir, block... */
  type: string;
  /** raw, qcow2... */
  format: string;
  /** Bytes the guest sees. */
  capacity: number;
  /** Bytes the host really holds for it. */
  allocation: number;
  /** Size of the file. */
  physical: number;
  /** The backing file of an overlay, else null. */
  backing: string | null;
  /** Present when an upload into the volume was cut off half-way: when, and how far it got. */
  incompleteUpload?: string;
}

/** POST /v1/pools/{ref}/volumes: vol-create and vol-create-as. */
export interface VolumeCreateRequest {
  xml: string;
  preallocMetadata?: boolean;
}

/** POST /v1/pools/{ref}/volumes/from: vol-create-from (xml) and vol-clone (name). */
export interface VolumeCreateFromRequest {
  xml?: string;
  name?: string;
  /** The input volume: its name in inputPool, or its key or path. */
  input: string;
  inputPool?: string;
  /** --reflink: share the input's blocks (FICLONE) or fail; never a full copy. */
  reflink?: boolean;
  /** --prealloc-metadata: a qcow2 copy with its metadata allocated. */
  preallocMetadata?: boolean;
}

/** POST /v1/pools/{ref}/volumes/{vol}/resize. */
export interface VolumeResizeRequest {
  /** Bytes: the new capacity, or with delta what to add. */
  capacity: number;
  delta?: boolean;
  shrink?: boolean;
  allocate?: boolean;
}

/** A pool's lifecycle event (pool-event), streamed by GET /v1/events. */
export interface PoolEvent {
  type: 'pool-lifecycle';
  pool: { name: string; uuid: string };
  event: 'Defined' | 'Undefined' | 'Started' | 'Stopped' | 'Created' | 'Deleted' | 'Refreshed';
  timestamp: number;
}

/** vol-wipe's algorithms, in libvirt's order (virStorageVolWipeAlgorithm); zero is the default. */
export const WIPE_ALGORITHMS = ['zero', 'nnsa', 'dod', 'bsi', 'gutmann', 'schneier', 'pfitzner7', 'pfitzner33', 'random', 'trim'] as const;
export type WipeAlgorithm = (typeof WIPE_ALGORITHMS)[number];
