/**
 * The end of a disk's removal from a running guest (unplug.ts calls it once QEMU reports the
 * device gone): its block nodes are closed (format, then storage: QEMU keeps them open until
 * told, and with them the image file), and the live definition, status file and event follow.
 */
import type { DomainDef } from '../../conf/domain-model.js';
import { diskId, diskNode } from '../../qemu/argv.js';
import { logger } from '../../util/log.js';
import { saveStatus, type LifecycleContext } from './context.js';
import type { Domain, Runtime } from './domain.js';

const log = logger('hotplug');

/** The position of the disk whose device id is `alias` in a live definition, or -1. */
export function liveDiskIndex(live: DomainDef, alias: string): number {
  return live.devices.disks.findIndex((d) => diskId(live, d) === alias);
}

/** Close the block nodes of disk number `index` of the live definition (failures logged). */
export async function closeDiskNodes(dom: Domain, rt: Runtime, index: number): Promise<void> {
  const d = rt.liveDef.devices.disks[index];
  if (d === undefined || rt.qmp === undefined) return;
  const node = diskNode(d, index);
  for (const n of [`${node}-format`, `${node}-storage`]) {
    try {
      await rt.qmp.blockdevDel(n);
    } catch (e) {
      // A node QEMU no longer has (closed before a daemon restart) is no reason to keep the disk listed.
      log.warn(`${dom.name}: closing block node ${n}`, { error: String(e) });
    }
  }
}

/** The guest has let disk `alias` go: close its nodes, drop it, report device-removed. */
export async function completeDiskRemoval(ctx: LifecycleContext, dom: Domain, rt: Runtime, alias: string): Promise<void> {
  const index = liveDiskIndex(rt.liveDef, alias);
  if (index < 0) return;
  await closeDiskNodes(dom, rt, index);
  rt.liveDef.devices.disks.splice(index, 1);
  await saveStatus(ctx, dom);
  ctx.changed(dom, 'device-removed', alias);
}
