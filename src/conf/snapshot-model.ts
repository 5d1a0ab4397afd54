/**
 * A domain snapshot as libvirt's domainsnapshot XML describes it (domainsnapshot.rng): what the
 * user asks for at snapshot-create, and what vireod records (state, parent, creation time, the
 * domain definition at that moment) once it is taken.
 */

/** Where a disk's or the memory's snapshot lives: libvirt's `snapshot` attribute. */
export type SnapshotLocation = 'no' | 'internal' | 'external' | 'manual';

/** The domain's state when the snapshot was taken, as libvirt writes it in <state>. */
export type SnapshotState =
  | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended' | 'disk-snapshot';

export const SNAPSHOT_STATES: readonly SnapshotState[] = [
  'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended', 'disk-snapshot',
];

/** One <disks>/<disk>: which guest disk (target name or source path) and how to snapshot it. */
export interface SnapshotDisk {
  name: string;
  snapshot?: SnapshotLocation;
  /** External snapshots: the overlay's <driver type>, e.g. qcow2. */
  driverType?: string;
  /** External snapshots: the overlay file (<source file>). */
  sourceFile?: string;
}

/** <memory snapshot= file=>. */
export interface SnapshotMemory {
  snapshot: 'no' | 'internal' | 'external';
  file?: string;
}

/** A parsed or recorded snapshot definition. */
export interface SnapshotDef {
  name?: string;
  description?: string;
  state?: SnapshotState;
  /** The parent snapshot's name. */
  parent?: string;
  /** Seconds since the epoch. */
  creationTime?: number;
  memory?: SnapshotMemory;
  /** Absent when the XML had no <disks>. */
  disks?: SnapshotDisk[];
  /** The domain definition at snapshot time, as domain XML (its own document, final newline). */
  domainXml?: string;
}
