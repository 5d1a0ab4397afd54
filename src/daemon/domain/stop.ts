/** Ending a guest's QEMU on purpose, and recording that it ended. */
import { promises as fs } from 'node:fs';
import type { StateReason } from '../../api/types.js';
import { killQemu } from '../../qemu/process.js';
import { waitGone } from '../../util/proc.js';
import type { LifecycleContext } from './context.js';
import { unplugNics } from './nics.js';
import { releaseHugetlbfs } from '../../host/hugepages.js';
import { removeCgroup } from './cgroups.js';
import type { Domain, Runtime } from './domain.js';

/**
 * End QEMU and record why (`reason`: the shut-off reason). `viaQuit` asks QEMU to quit over
 * the monitor first (a powered-off guest); otherwise SIGTERM, then SIGKILL unless `graceful`.
 * Resolves false only when a graceful stop left QEMU running.
 */
export async function stopProcess(ctx: LifecycleContext, dom: Domain, reason: StateReason, opts: { graceful?: boolean; viaQuit?: boolean } = {}): Promise<boolean> {
  const rt = dom.runtime;
  if (rt === undefined || rt.finalized) return true;
  rt.expectedExit = reason;
  if (opts.viaQuit === true && rt.qmp !== undefined && !rt.qmp.isClosed) {
    await rt.qmp.quit().catch(() => undefined);
    if (!(await waitGone(rt.pid, 3000))) await killQemu(rt.pid, { graceful: false });
  } else {
    // The monitor goes first: a job waiting on it (perhaps on a hung QEMU) fails now, not at its time-out.
    if (opts.graceful !== true) rt.qmp?.close();
    if (!(await killQemu(rt.pid, { graceful: opts.graceful === true }))) {
      rt.expectedExit = undefined;
      return false;
    }
  }
  await finalize(ctx, dom, rt, reason);
  return true;
}

/** QEMU is gone: drop the runtime, its status file and run directory; the domain is shut off. */
export async function finalize(ctx: LifecycleContext, dom: Domain, rt: Runtime, reason: StateReason): Promise<void> {
  if (rt.finalized) return;
  const applied = dom.runtime === rt ? dom.transition('stop', reason) : undefined;
  rt.finalized = true;
  rt.qmp?.close();
  for (const c of rt.consoles.values()) c.close();
  ctx.logs.unwatch(dom.name);
  ctx.ports.releaseOwner(dom.uuid);
  await unplugNics(rt.taps, rt.liveDef.devices.interfaces);
  // A hugetlbfs vireod mounted for this guest goes when no QEMU uses it.
  if (rt.liveDef.memoryBacking?.hugepages !== undefined) await releaseHugetlbfs(ctx.store.layout.run).catch(() => {});
  await removeCgroup(dom.name, rt.cgroup);
  if (dom.runtime === rt) dom.runtime = undefined;
  await rt.statusWrites;
  await ctx.store.removeStatus(dom.name);
  await fs.rm(rt.runDir, { recursive: true, force: true });
  if (applied?.event !== undefined) ctx.changed(dom, applied.event.event, applied.event.detail);
}
