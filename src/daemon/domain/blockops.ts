/**
 * Operations on a running guest's disks through their block nodes: blockresize (QMP
 * block_resize on the disk's format node; the guest is told the new size at once). A disk is
 * named as virsh names it: by target (vda) or by its source path.
 */
import { VireoError } from '../../api/errors.js';
import type { Disk, DomainDef } from '../../conf/domain-model.js';
import { diskNode } from '../../qemu/argv.js';
import type { DomainHost } from './ops.js';

/** The disk `which` names in a live definition (target, else source path), and its position. */
export function liveDisk(def: DomainDef, which: string): { disk: Disk; index: number } {
  const disks = def.devices.disks;
  let index = disks.findIndex((d) => d.target === which);
  if (index < 0) index = disks.findIndex((d) => d.source === which || (d.resolved?.type !== 'network' && d.resolved?.path === which));
  const disk = disks[index];
  if (disk === undefined) throw VireoError.of('INVALID_ARG', `disk '${which}' was not found in the domain config`);
  return { disk, index };
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
