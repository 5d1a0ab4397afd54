/**
 * A storage pool definition: libvirt's pool XML as a typed model. Capacity, allocation and
 * available are the pool's runtime figures (0 while inactive); everything else is configuration.
 */

/** Pool types vireo reads and prints; 'dir' is driven today, the others follow (see src/storage/). */
export const POOL_TYPES = ['dir', 'fs', 'netfs', 'logical', 'iscsi-direct'] as const;
export type PoolType = (typeof POOL_TYPES)[number];

/** libvirt's other pool types, refused by name. */
export const OTHER_POOL_TYPES = ['disk', 'iscsi', 'scsi', 'mpath', 'rbd', 'sheepdog', 'gluster', 'zfs', 'vstorage'] as const;

/** File system formats of an fs pool's device, as libvirt lists them. */
export const FS_FORMATS = ['auto', 'ext2', 'ext3', 'ext4', 'ufs', 'iso9660', 'udf', 'gfs', 'gfs2', 'vfat', 'hfs+', 'xfs', 'ocfs2', 'vmfs'] as const;
/** Network file system protocols of a netfs pool. */
export const NETFS_FORMATS = ['auto', 'nfs', 'glusterfs', 'cifs'] as const;
/** Formats of a logical pool's physical volumes. */
export const LOGICAL_FORMATS = ['unknown', 'lvm2'] as const;

/** Ownership and mode of a directory or file; undefined parts are left as they are. */
export interface Permissions {
  /** e.g. 0o755 */
  mode?: number;
  owner?: number;
  group?: number;
  /** A security label (SELinux, ...), kept and printed. */
  label?: string;
}

export interface PoolSource {
  hosts: { name: string; port?: number }[];
  devices: { path: string }[];
  dir?: string;
  /** Volume group (logical). */
  name?: string;
  format?: string;
  /** The initiator IQN (iscsi-direct). */
  initiatorIqn?: string;
}

export interface PoolDef {
  type: PoolType;
  name: string;
  uuid: string;
  source: PoolSource;
  /** Absent for iscsi-direct, whose volumes QEMU reaches itself. */
  target?: { path: string; permissions?: Permissions };
  /** fs and netfs: options added to the mount's own (libvirt's <fs:mount_opts>). */
  mountOpts?: string[];
}

/** The XML namespace of libvirt's fs pool extensions (<fs:mount_opts>). */
export const FS_POOL_NS = 'http://libvirt.org/schemas/storagepool/fs/1.0';

/** Mount options that would undo the nodev,nosuid,noexec every mounted pool gets. */
export const UNSAFE_MOUNT_OPTS = ['dev', 'suid', 'exec', 'defaults'] as const;

/** Runtime figures of an active pool, in bytes (libvirt's statvfs-based ones for file pools). */
export interface PoolSizes {
  capacity: number;
  allocation: number;
  available: number;
}
