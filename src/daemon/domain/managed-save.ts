/**
 * Managed save: save into the daemon's own image (lib/save/NAME.save, kept across vireod
 * restarts); `start` restores from it and removes it, `--force-boot` discards it; undefine
 * refuses while it exists unless told to remove it. The image format and the work are save.ts's.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../../api/errors.js';
import type { SaveImageDefineRequest } from '../../api/types.js';
import type { LifecycleContext } from './context.js';
import type { Domain } from './domain.js';
import type { DomainHost } from './ops.js';
import { defineImage, imageDef, imageXml, readImage, restoreInto, saveDomain } from './save.js';
import { launch } from './start.js';

/** Where a domain's managed-save image lives. */
export function managedSavePath(ctx: LifecycleContext, name: string): string {
  return path.join(ctx.store.layout.lib, 'save', `${name}.save`);
}

/** At start-up: mark the domains that have an image. */
export async function scanManagedSaves(ctx: LifecycleContext, domains: Domain[]): Promise<void> {
  await Promise.all(domains.map(async (d) => {
    d.managedSave = await fs.access(managedSavePath(ctx, d.name)).then(() => true, () => false);
  }));
}

/** managedsave: save a running persistent guest into its managed image. */
export async function managedSave(host: DomainHost, ref: string, opts: { running?: boolean; paused?: boolean }): Promise<void> {
  const dom = host.lookup(ref);
  if (dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot do managed save for transient domain');
  const file = managedSavePath(host.ctx, dom.name);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await saveDomain(host, ref, file, opts);
  dom.managedSave = true;
}

/** managedsave-remove: drop the image (nothing to remove is not an error, as virsh). */
export async function removeManagedSave(host: DomainHost, ref: string): Promise<boolean> {
  const dom = host.lookup(ref);
  return dom.jobs.run('managedsave-remove', 'short', async () => {
    const had = dom.managedSave;
    await fs.rm(managedSavePath(host.ctx, dom.name), { force: true });
    dom.managedSave = false;
    return had;
  });
}

function imageOf(host: DomainHost, ref: string): { dom: Domain; file: string } {
  const dom = host.lookup(ref);
  if (!dom.managedSave) throw VireoError.of('OPERATION_INVALID', `domain does not have managed save image`);
  return { dom, file: managedSavePath(host.ctx, dom.name) };
}

/** managedsave-dumpxml */
export async function managedSaveXml(host: DomainHost, ref: string, opts: { securityInfo?: boolean }): Promise<string> {
  return imageXml(imageOf(host, ref).file, opts);
}

/** managedsave-define */
export async function managedSaveDefine(host: DomainHost, ref: string, r: SaveImageDefineRequest): Promise<void> {
  const { dom, file } = imageOf(host, ref);
  await dom.jobs.run('managedsave-define', 'short', () => defineImage(file, r));
}

/**
 * start: a domain with a managed-save image is restored from it (then the image goes, as
 * libvirt: a later start boots afresh); `forceBoot` discards the image and boots. The caller
 * holds the domain's start job.
 */
export async function startDomain(host: DomainHost, dom: Domain, opts: { paused?: boolean; forceBoot?: boolean }): Promise<void> {
  const file = managedSavePath(host.ctx, dom.name);
  if (dom.managedSave && opts.forceBoot !== true) {
    const header = await readImage(file);
    await restoreInto(host, dom, file, header, imageDef(header, undefined), { paused: opts.paused === true });
    await fs.rm(file, { force: true });
    dom.managedSave = false;
    return;
  }
  if (dom.managedSave) {
    await fs.rm(file, { force: true });
    dom.managedSave = false;
  }
  await launch(host.ctx, dom, structuredClone(dom.def), { paused: opts.paused === true });
}
