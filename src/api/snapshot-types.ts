/** Wire types of domain snapshots (snapshot-list, snapshot-info, snapshot-create...). */

/** One snapshot as snapshot-list and snapshot-info show it. */
export interface SnapshotSummary {
  name: string;
  /** The parent snapshot's name; absent for a root. */
  parent?: string;
  /** Seconds since the epoch. */
  creationTime: number;
  /** The domain's state when it was taken (libvirt's <state>: running, shutoff, disk-snapshot...). */
  state: string;
  /** internal: inside the qcow2 images; external: overlay files (and a memory file). */
  location: 'internal' | 'external';
  current: boolean;
  children: number;
  descendants: number;
}

/** snapshot-create: the snapshot as domainsnapshot XML. */
export interface SnapshotCreateRequest {
  xml: string;
}

/** A snapshot named (create's answer, snapshot-current NAME, snapshot-revert). */
export interface SnapshotName {
  name: string;
}

/** snapshot-delete. */
export interface SnapshotDeleteRequest {
  name: string;
  children?: boolean;
  childrenOnly?: boolean;
  metadata?: boolean;
}

/** snapshot-list's selection. */
export interface SnapshotListQuery {
  roots?: boolean;
  leaves?: boolean;
  noLeaves?: boolean;
  from?: string;
  descendants?: boolean;
  topological?: boolean;
  internal?: boolean;
  external?: boolean;
}
