/**
 * Which running guests use a storage volume, from their live definitions: a volume disk names
 * it by pool and volume (kept in the live XML, so this survives a daemon restart, when the
 * resolved paths are gone), a file or block disk by the volume's path. The storage service asks
 * this before it deletes, wipes, shrinks or uploads into a volume: libvirt lets a user destroy a
 * running guest's disk that way; vireo refuses, naming the guest.
 */
import * as path from 'node:path';
import type { DomainDef } from '../../conf/domain-model.js';

/** A volume as the question names it. */
export interface VolumeRef {
  pool: string;
  name: string;
  /** Its file or device, when it has one (not an iSCSI LUN). */
  path?: string;
}

/** Whether one of `def`'s disks is the volume `v`. */
export function usesVolume(def: DomainDef, v: VolumeRef): boolean {
  const wanted = v.path === undefined ? undefined : path.normalize(v.path);
  return def.devices.disks.some((d) => {
    if (d.volume !== undefined) return d.volume.pool === v.pool && d.volume.volume === v.name;
    return wanted !== undefined && d.source !== undefined && path.normalize(d.source) === wanted;
  });
}

/** The names of the running guests (name + live definition) whose disks include `v`. */
export function volumeUsers(running: Iterable<{ name: string; liveDef: DomainDef }>, v: VolumeRef): string[] {
  const out: string[] = [];
  for (const r of running) if (usesVolume(r.liveDef, v)) out.push(r.name);
  return out;
}
