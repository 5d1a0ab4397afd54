/** A storage volume definition: libvirt's volume XML as a typed model. */
import type { Permissions } from './pool-model.js';

/** Volume formats vireo creates in file pools; libvirt's others are read (info) but not made. */
export const FILE_VOL_FORMATS = ['raw', 'qcow2'] as const;

/** File formats libvirt names for volumes in file pools (pool-capabilities' targetFormatType). */
export const KNOWN_VOL_FORMATS = ['none', 'raw', 'dir', 'bochs', 'cloop', 'dmg', 'iso', 'vpc', 'vdi', 'fat', 'vhd', 'ploop', 'cow', 'qcow', 'qcow2', 'qed', 'vmdk'] as const;

export type VolType = 'file' | 'block' | 'dir' | 'network' | 'netdir';

/** A file's times as libvirt prints them: seconds since the epoch with nanoseconds. */
export interface Timestamps {
  atime: bigint;
  mtime: bigint;
  ctime: bigint;
  /** 0n: unknown (libvirt 9.0 always prints 0). */
  btime: bigint;
}

export interface VolTarget {
  path?: string;
  format?: string;
  permissions?: Permissions;
  timestamps?: Timestamps;
  /** qcow2 compatibility level ('0.10' or '1.1'). */
  compat?: string;
  /** qcow2 cluster size in bytes (libvirt prints it once it has read the image). */
  clusterSize?: number;
  /**
   * qcow2 lazy refcounts: true prints <features><lazy_refcounts/></features>, false an empty
   * <features/> (libvirt's way of showing a version 3 image without that feature), absent none.
   */
  lazyRefcounts?: boolean;
}

export interface VolumeDef {
  name: string;
  type?: VolType;
  key?: string;
  /** Bytes; required to create, optional in vol-create-from (the input's then). */
  capacity?: number;
  allocation?: number;
  /** Size of the file on disk (runtime). */
  physical?: number;
  target: VolTarget;
  backingStore?: { path: string; format?: string; permissions?: Permissions; timestamps?: Timestamps };
}
