/**
 * The end of a memory module's removal from a running guest: the guest has ejected it (QEMU's
 * DEVICE_DELETED), so its memory backend goes (QEMU keeps it until told), and the live
 * definition loses the module and its memory, as libvirt's does.
 */
import { dimmBackendId } from '../../qemu/argv.js';
import { objectDel } from '../../qemu/monitor-memory.js';
import { logger } from '../../util/log.js';
import { saveStatus, type LifecycleContext } from './context.js';
import type { Domain, Runtime } from './domain.js';

const log = logger('hotplug');

/** Whether `alias` is a memory module of the running guest. */
export function isLiveDimm(rt: Runtime, alias: string): boolean {
  return rt.liveDef.devices.memories.some((m) => m.alias === alias);
}

/** Complete the removal of module `alias`; nothing when it is already gone. */
export async function completeMemoryRemoval(ctx: LifecycleContext, dom: Domain, rt: Runtime, alias: string): Promise<void> {
  const live = rt.liveDef;
  const index = live.devices.memories.findIndex((m) => m.alias === alias);
  const m = live.devices.memories[index];
  if (m === undefined) return;
  const qmp = rt.qmp;
  try {
    if (qmp !== undefined) await objectDel(qmp, dimmBackendId(m));
  } catch (e) {
    // A backend QEMU no longer has (deleted before a daemon restart) is no reason to keep the module listed.
    log.warn(`${dom.name}: removing the memory backend of ${alias}`, { error: String(e) });
  }
  live.devices.memories.splice(index, 1);
  live.memoryKiB -= m.sizeKiB;
  live.currentMemoryKiB = Math.max(live.currentMemoryKiB - m.sizeKiB, 0);
  await saveStatus(ctx, dom);
  ctx.changed(dom, 'device-removed', alias);
}
