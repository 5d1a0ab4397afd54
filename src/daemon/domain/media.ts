/**
 * A CD-ROM or floppy drive's medium changed in a running guest (update-device of a <disk>,
 * change-media), as libvirt's QEMU driver does it: the tray opened (forced: a guest may have
 * locked it), the old medium removed and its block nodes closed, the new image's nodes opened
 * and inserted, the tray closed. The live definition then shows the new source.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../../api/errors.js';
import type { Disk } from '../../conf/domain-model.js';
import { diskId, diskParts } from '../../qemu/argv.js';
import { Revert } from '../../util/revert.js';
import { saveStatus } from './context.js';
import { nextDiskNode } from './disks.js';
import type { LiveTarget } from './hotplug-kind.js';
import { closeDiskNodes } from './unplug-disk.js';

/** The disk `next` is `old` with another medium (or none): nothing else may differ. */
export function mediaUpdate(old: Disk, upd: Disk): Disk {
  if (old.device === 'disk') {
    throw VireoError.of('NO_SUPPORT', `Operation not supported: disk '${old.target}' is not a cdrom or floppy: only their media can change in place`);
  }
  if (upd.bus !== old.bus || upd.device !== old.device) {
    throw VireoError.of('NO_SUPPORT', `Operation not supported: cannot modify field 'target bus' or 'device' of the disk`);
  }
  const next: Disk = { ...old, sourceType: upd.sourceType };
  for (const k of ['source', 'volume', 'network', 'format', 'tray'] as const) {
    if (upd[k] === undefined) delete next[k];
    else (next as unknown as Record<string, unknown>)[k] = upd[k];
  }
  delete next.resolved;
  delete next.nodeIndex;
  return next;
}

const hasMedium = (d: Disk): boolean => d.source !== undefined || d.volume !== undefined || d.network !== undefined;

/** Change the medium of drive number `index` of the running guest to `upd`'s. */
export async function changeLiveMedia({ ctx, dom, rt, qmp }: LiveTarget, index: number, upd: Disk): Promise<string> {
  const live = rt.liveDef;
  const old = live.devices.disks[index]!;
  const next = mediaUpdate(old, upd);
  const id = diskId(live, old);
  if (hasMedium(next)) {
    next.nodeIndex = nextDiskNode(live);
    if (next.source !== undefined) {
      await fs.access(next.source).catch((e: unknown) => {
        throw new VireoError('STORAGE_MISSING', `Cannot access storage file '${next.source!}': No such file or directory`, { cause: e });
      });
    }
  }
  // The old medium's nodes are closed only once the new one is in; until then a failure puts it back.
  await Revert.run(async (revert) => {
    await qmp.blockdevOpenTray(id);
    revert.add(() => qmp.blockdevCloseTray(id), `tray of ${id}`);
    if (hasMedium(old)) {
      await qmp.blockdevRemoveMedium(id);
      revert.add(() => qmp.blockdevInsertMedium(id, `vireo-${old.nodeIndex ?? index + 1}-format`), `medium of ${id}`);
    }
    if (hasMedium(next)) {
      const parts = diskParts(live, next, index);
      for (const node of parts.nodes) {
        await qmp.blockdevAdd(node);
        const name = String(node['node-name']);
        revert.add(() => qmp.blockdevDel(name), `block node ${name}`);
      }
      await qmp.blockdevInsertMedium(id, `vireo-${next.nodeIndex!}-format`);
      revert.add(() => qmp.blockdevRemoveMedium(id), `new medium of ${id}`);
    }
    if (next.tray !== 'open') await qmp.blockdevCloseTray(id);
  });
  if (hasMedium(old)) await closeDiskNodes(dom, rt, index);
  live.devices.disks[index] = next;
  await saveStatus(ctx, dom);
  return id;
}
