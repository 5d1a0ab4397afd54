/**
 * Operations on a running guest's disks through their block nodes: blockresize (QMP
 * block_resize on the disk's format node; the guest is told the new size at once). A disk is
 * named as virsh names it: by target (vda) or by its source path.
 */
import { VireoError } from '../../api/errors.js';
import type { Disk, DomainDef } from '../../conf/domain-model.js';
import { diskNode } from '../../qemu/argv.js';
import type { LifecycleContext } from './context.js';
import type { Domain, Runtime } from './domain.js';
import type { DomainHost } from './ops.js';

/** The disk `which` names in a live definition (target, else source path), and its position. */
export function liveDisk(def: DomainDef, which: string, missing = `disk '${which}' was not found in the domain config`): { disk: Disk; index: number } {
  const disks = def.devices.disks;
  let index = disks.findIndex((d) => d.target === which);
  if (index < 0) index = disks.findIndex((d) => d.source === which || (d.resolved?.type !== 'network' && d.resolved?.path === which));
  const disk = disks[index];
  if (disk === undefined) throw VireoError.of('INVALID_ARG', missing);
  return { disk, index };
}

/**
 * domblkthreshold: QEMU reports (once) the first write to disk `which` of the running guest past
 * `bytes` of its image, as the block-threshold event; 0 disarms. Set on the storage node, where
 * offsets are the image file's (what a thin-provisioned volume's owner watches), as libvirt does.
 */
export async function setBlockThreshold(host: DomainHost, ref: string, which: string, bytes: number): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('domblkthreshold', 'short', async () => {
    const rt = dom.runtime;
    if (rt === undefined) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
    const { disk, index } = liveDisk(rt.liveDef, which, `failed to find disk '${which}'`);
    if (disk.source === undefined && disk.resolved === undefined && disk.network === undefined) {
      throw VireoError.of('OPERATION_INVALID', `disk '${which}' does not have an active block backend`);
    }
    const qmp = await host.qmp(dom);
    await qmp.blockSetWriteThreshold(`${diskNode(disk, index)}-storage`, bytes);
  });
}

/** QEMU's BLOCK_WRITE_THRESHOLD for node `node`: the block-threshold event of the disk it belongs to. */
export function onWriteThreshold(ctx: LifecycleContext, dom: Domain, rt: Runtime, node: string, threshold: number, excess: number): void {
  const disks = rt.liveDef.devices.disks;
  const index = disks.findIndex((d, i) => `${diskNode(d, i)}-storage` === node || `${diskNode(d, i)}-format` === node);
  const disk = disks[index];
  if (disk === undefined) return;
  const path = disk.source ?? (disk.resolved?.type === 'network' ? undefined : disk.resolved?.path);
  ctx.changed(dom, 'block-threshold', disk.target, { ...(path === undefined ? {} : { path }), threshold, excess });
}

/** Sizes QEMU takes for every image format: whole 512-byte sectors (libvirt rounds up too). */
const SECTOR = 512;

/** blockresize: the disk `which` of the running guest becomes `bytes` long (rounded up to a sector). */
export async function blockResize(host: DomainHost, ref: string, which: string, bytes: number): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('blockresize', 'short', async () => {
    const rt = dom.runtime;
    if (rt === undefined) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
    const { disk, index } = liveDisk(rt.liveDef, which);
    if (disk.source === undefined && disk.resolved === undefined && disk.network === undefined) {
      throw VireoError.of('OPERATION_INVALID', `disk '${which}' does not have an active block backend`);
    }
    const size = Math.ceil(bytes / SECTOR) * SECTOR;
    const qmp = await host.qmp(dom);
    await qmp.blockResize(`${diskNode(disk, index)}-format`, size);
  });
}
