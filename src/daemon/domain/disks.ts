/**
 * Disks that name storage rather than a path: at start each `<disk type='volume'>` is looked up
 * in its pool (which must be active and hold the volume) and becomes, in the live definition, a
 * file, a block device or an iSCSI LUN that QEMU opens itself. The live XML still shows pool and
 * volume, as libvirt's does; the resolved source is runtime state. What vireo cannot give a disk
 * is refused before anything starts, naming the disk.
 */
import { VireoError } from '../../api/errors.js';
import type { DomainDef, ResolvedVolume, VolumeSource } from '../../conf/domain-model.js';

/** What volume disks need from the storage service. */
export interface VolumeContext {
  /** Where the volume `src` names is; libvirt's errors for a missing or inactive pool and a missing volume. */
  resolve(src: VolumeSource): ResolvedVolume;
}

/** A copy of `def` whose volume disks carry their volumes' sources (raw where no format is given, as libvirt). */
export function resolveDisks(def: DomainDef, volumes: VolumeContext): DomainDef {
  if (!def.devices.disks.some((d) => d.volume !== undefined || d.network !== undefined)) return def;
  const live = structuredClone(def);
  for (const d of live.devices.disks) {
    if (d.volume !== undefined) {
      d.resolved = volumes.resolve(d.volume);
      d.format ??= 'raw';
    }
    const network = d.resolved?.type === 'network' ? d.resolved.network : d.network;
    if (network?.auth !== undefined) {
      // CHAP needs the password from libvirt's secret driver, which vireo does not have yet.
      throw VireoError.of('CONFIG_UNSUPPORTED', `disk ${d.target}: iSCSI CHAP authentication (<auth username='${network.auth.username}'>) needs a secret driver, which vireo does not have yet`, {
        hint: 'allow this initiator on the target without CHAP, or remove <auth>',
      });
    }
  }
  return live;
}

/** The host files a definition's disks need (its own paths and its file or block volumes). */
export function diskPaths(def: DomainDef): string[] {
  const out: string[] = [];
  for (const d of def.devices.disks) {
    if (d.source !== undefined) out.push(d.source);
    else if (d.resolved !== undefined && d.resolved.type !== 'network') out.push(d.resolved.path);
  }
  return out;
}

/**
 * Give each disk of a live definition its block node number (its position + 1, as the command
 * line names it) unless it has one; hot-plugged disks get one past the highest (nextDiskNode).
 */
export function assignDiskNodes(live: DomainDef): void {
  live.devices.disks.forEach((d, i) => (d.nodeIndex ??= i + 1));
}

/** The node number for a disk plugged into the running guest `live`. */
export function nextDiskNode(live: DomainDef): number {
  return live.devices.disks.reduce((m, d, i) => Math.max(m, d.nodeIndex ?? i + 1), 0) + 1;
}
