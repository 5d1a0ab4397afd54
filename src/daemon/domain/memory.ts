/**
 * setmem and setmaxmem: the guest's current memory (the balloon target) and its maximum, with
 * virsh's --live/--config/--current and libvirt's checks and words. A running guest's memory
 * changes through the virtio balloon (QMP `balloon`); the live definition's <currentMemory>
 * follows QEMU's BALLOON_CHANGE events (onBalloonChange), as libvirt's does, so dominfo and
 * dumpxml show what the guest has given back rather than what was asked.
 */
import { VireoError } from '../../api/errors.js';
import type { MemoryRequest } from '../../api/types.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { isCurrent, saveStatus, type LifecycleContext } from './context.js';
import type { Domain, Runtime } from './domain.js';
import { affected, redefine, type DomainHost } from './ops.js';

/** Refuse a size of 0 as libvirt's API does (before anything else). */
function nonZero(kib: number, api: string): void {
  if (kib === 0) throw new VireoError('INVALID_ARG', `memory in ${api} must not be zero`);
}

/** setmem: the balloon target of the running guest and/or <currentMemory> of the stored definition. */
export async function setMemory(host: DomainHost, ref: string, r: MemoryRequest): Promise<void> {
  nonZero(r.kib, 'virDomainSetMemoryFlags');
  const dom = host.lookup(ref);
  await dom.jobs.run('setmem', 'short', async () => {
    const f = affected(dom, r, 'memory');
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      if (r.kib > rt.liveDef.memoryKiB) throw VireoError.of('INVALID_ARG', 'cannot set memory higher than max memory');
      if (rt.liveDef.devices.memballoon.model !== 'virtio') {
        throw VireoError.of('OPERATION_INVALID', 'Unable to change memory of active domain without the balloon device and guest OS balloon driver');
      }
    }
    let next: DomainDef | undefined;
    if (f.config) {
      const def = dom.persistent!;
      if (r.kib > def.memoryKiB) throw VireoError.of('INVALID_ARG', 'cannot set memory higher than max memory');
      next = redefine(def, (d) => void (d.currentMemoryKiB = r.kib));
    }
    if (f.live && rt !== undefined) {
      const qmp = await host.qmp(dom);
      await qmp.balloon(r.kib * 1024);
    }
    if (next !== undefined) await save(host.ctx, dom, next);
  });
}

/** setmaxmem: <memory> of the stored definition; a running guest's maximum cannot change. */
export async function setMaxMemory(host: DomainHost, ref: string, r: MemoryRequest): Promise<void> {
  // virsh calls virDomainSetMaxMemory without flags, virDomainSetMemoryFlags with them.
  nonZero(r.kib, r.live === true || r.config === true ? 'virDomainSetMemoryFlags' : 'virDomainSetMaxMemory');
  const dom = host.lookup(ref);
  await dom.jobs.run('setmaxmem', 'short', async () => {
    const f = affected(dom, r, 'memory');
    if (f.live) throw VireoError.of('OPERATION_INVALID', 'cannot resize the maximum memory on an active domain');
    const def = dom.persistent!;
    if ((def.cpu?.numa?.length ?? 0) > 0) {
      throw VireoError.of('OPERATION_INVALID', 'initial memory size of a domain with NUMA nodes cannot be modified with this API');
    }
    if (def.maxMemory !== undefined && r.kib > def.maxMemory.kib) {
      throw VireoError.of('INVALID_ARG', 'cannot set initial memory size greater than the maximum memory size');
    }
    // As libvirt: a current allocation above the new maximum comes down to it.
    const next = redefine(def, (d) => {
      d.memoryKiB = r.kib;
      d.currentMemoryKiB = Math.min(d.currentMemoryKiB, r.kib);
    });
    await save(host.ctx, dom, next);
  });
}

async function save(ctx: LifecycleContext, dom: Domain, next: DomainDef): Promise<void> {
  await ctx.store.saveConfig(next);
  dom.persistent = next;
}

/**
 * QEMU's BALLOON_CHANGE (the guest gave memory back or took it): the live <currentMemory>
 * follows, the status file records it, and the event stream gets a balloon-change event.
 */
export function onBalloonChange(ctx: LifecycleContext, dom: Domain, rt: Runtime, actualBytes: number): void {
  if (!isCurrent(dom, rt) || !Number.isFinite(actualBytes)) return;
  const kib = Math.floor(actualBytes / 1024);
  if (kib === rt.liveDef.currentMemoryKiB) return;
  rt.liveDef.currentMemoryKiB = kib;
  void saveStatus(ctx, dom).catch(() => {}); // logged by saveStatus
  ctx.changed(dom, 'balloon-change', String(kib));
}
