/**
 * After a daemon restart: find the guests that status files describe and control them again.
 * A live QEMU is reconnected; one whose monitor does not answer is reported and retried, never
 * killed. A QEMU that was still starting when the daemon died is ended (state 'shut off
 * (daemon)', as libvirt's reconnect does), so it cannot run beside a second start.
 */
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { parseDomainXml } from '../../conf/domain-xml.js';
import type { Interface } from '../../conf/domain-model.js';
import { Monitor, type StatusInfo } from '../../qemu/monitor.js';
import { reserveLivePorts } from '../../qemu/prepare.js';
import { killQemu } from '../../qemu/process.js';
import { processStartTime, processGone, waitGone } from '../../util/proc.js';
import { logger } from '../../util/log.js';
import { logFiles, transition, type LifecycleContext } from './context.js';
import { connectConsoles, onGuestShutdown, watch } from './events.js';
import { finalize } from './stop.js';
import { reconnectCgroup, removeCgroup } from './cgroups.js';
import { GuestCgroup } from '../../host/cgroup.js';
import { assignNicAliases, unplugNics } from './nics.js';
import { assignDiskNodes } from './disks.js';
import type { StatusRecord } from './store.js';
import { reconcileNics } from './unplug.js';
import type { Domain, Runtime } from './domain.js';

const log = logger('lifecycle');

/** Take up the guest a status record describes. */
export async function reconnect(ctx: LifecycleContext, dom: Domain, rec: StatusRecord): Promise<void> {
  if (rec.phase === 'starting') return endHalfStarted(ctx, dom, rec);
  const liveDef = parseDomainXml(rec.xml, { live: true });
  assignNicAliases(liveDef); // a guest started before NICs kept their ids had net<index>
  assignDiskNodes(liveDef); // and before disks kept their node numbers, vireo-<position + 1>
  const start = await processStartTime(rec.pid);
  if (start === undefined || start !== rec.pidStart || (await processGone(rec.pid))) {
    log.warn(`${rec.name}: QEMU (pid ${rec.pid}) ended while vireod was not running`);
    dom.restoreState('shut off', 'crashed');
    await unplugNics(rec.taps ?? [], liveDef.devices.interfaces);
    await removeCgroup(rec.name, groupOf(ctx, rec));
    await ctx.store.removeStatus(rec.name);
    await fs.rm(rec.runDir, { recursive: true, force: true });
    ctx.changed(dom, 'Stopped', 'Crashed');
    return;
  }
  const rt: Runtime = {
    id: rec.id, pid: rec.pid, pidStart: rec.pidStart, qmp: undefined, liveDef, runDir: rec.runDir,
    monitor: rec.monitor, consoles: new Map(), startedAt: rec.startedAt, expectedExit: undefined, fakeReboot: false,
    pauseReason: undefined, inShutdown: false, finalized: false, statusWrites: Promise.resolve(), monitorReady: undefined,
    taps: rec.taps ?? [], cgroup: groupOf(ctx, rec),
  };
  dom.runtime = rt;
  dom.restoreState(rec.state, rec.reason);
  void ctx.logs.watch(rec.name, logFiles(ctx, liveDef)); // never rejects (a failed rotation is logged)
  reserveLivePorts(ctx.ports, liveDef);
  // Not awaited: one guest whose QEMU does not answer must not hold up the daemon or the others.
  startAttach(ctx, dom, rt);
}

/**
 * The daemon died while starting this guest. Its QEMU (if it got that far) never ran the guest
 * (-S) and nobody was told it started: end it, by the recorded pid or, when the daemon died
 * before recording one, by its monitor path on the command line.
 */
async function endHalfStarted(ctx: LifecycleContext, dom: Domain, rec: StatusRecord): Promise<void> {
  const pids = new Set<number>();
  if (rec.pid !== 0 && (await processStartTime(rec.pid)) === rec.pidStart) pids.add(rec.pid);
  for (const pid of processesWithArg(rec.monitor)) pids.add(pid);
  for (const pid of pids) {
    log.warn(`${rec.name}: ending QEMU (pid ${pid}) left half-started by a previous vireod`);
    await killQemu(pid, { graceful: false });
    await waitGone(pid, 5000);
  }
  dom.restoreState('shut off', 'daemon');
  await unplugNics(rec.taps ?? [], liveNics(rec.xml));
  await removeCgroup(rec.name, groupOf(ctx, rec));
  await ctx.store.removeStatus(rec.name);
  await fs.rm(rec.runDir, { recursive: true, force: true });
}

/** The NICs of a half-started guest's recorded definition (none when it cannot be read). */
function liveNics(xml: string): Interface[] {
  try {
    return parseDomainXml(xml, { live: true }).devices.interfaces;
  } catch {
    return [];
  }
}

/** The cgroup a status record names, where this host has cgroups for guests. */
function groupOf(ctx: LifecycleContext, rec: StatusRecord): GuestCgroup | undefined {
  return rec.cgroup === undefined || ctx.cgroups === undefined ? undefined : new GuestCgroup(ctx.cgroups, rec.cgroup);
}

/** Pids of processes one of whose arguments contains `needle` (a socket path unique to one start). */
function processesWithArg(needle: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').some((a) => a.includes(needle))) out.push(Number(p));
    } catch {
      // it ended meanwhile
    }
  }
  return out;
}

/** Try to take the monitor back; on failure, report it and try again later. */
export function startAttach(ctx: LifecycleContext, dom: Domain, rt: Runtime): void {
  rt.monitorReady = attachMonitor(ctx, dom, rt).then(
    () => true,
    (e: unknown) => {
      log.error(`${dom.name}: cannot reach the monitor of QEMU (pid ${rt.pid}); retrying in 2 s`, { error: String(e) });
      scheduleReconnect(ctx, dom, rt);
      return false;
    },
  );
}

async function attachMonitor(ctx: LifecycleContext, dom: Domain, rt: Runtime): Promise<void> {
  const qmp = await Monitor.connect(rt.monitor, { name: dom.name, timeoutMs: 5000 });
  if (rt.consoles.size === 0) await connectConsoles(ctx, rt, true).catch((e: unknown) => log.warn(`${dom.name}: console: ${String(e)}`));
  let status: StatusInfo;
  try {
    status = await qmp.queryStatus({ timeoutMs: 5000 });
    await reconnectCgroup(ctx, rt, rt.cgroup?.rel, qmp);
  } catch (e) {
    qmp.close();
    throw e;
  }
  if (rt.finalized) {
    qmp.close();
    return;
  }
  // No await from here until the status is applied: a request that sees the monitor (rt.qmp)
  // must find the state it reported, not have it overwritten by this older answer afterwards.
  rt.qmp = qmp;
  watch(ctx, dom, rt);
  reconcileNics(ctx, dom, rt).catch((e: unknown) => log.warn(`${dom.name}: cannot list QEMU's devices`, { error: String(e) }));
  log.info(`${dom.name}: reconnected to QEMU (pid ${rt.pid}), status '${status.status}'`);
  if (status.status === 'shutdown') {
    onGuestShutdown(ctx, dom, rt, true);
  } else if (status.running && dom.state !== 'running') {
    transition(ctx, dom, rt, 'resume');
  } else if (!status.running && dom.state === 'running') {
    transition(ctx, dom, rt, 'qemu-paused');
  }
}

function scheduleReconnect(ctx: LifecycleContext, dom: Domain, rt: Runtime): void {
  const timer = setTimeout(() => {
    if (rt.finalized || dom.runtime !== rt) return;
    (async () => {
      if (await processGone(rt.pid)) return finalize(ctx, dom, rt, 'crashed');
      startAttach(ctx, dom, rt);
    })().catch((e: unknown) => log.error(`${dom.name}: cleaning up after QEMU (pid ${rt.pid}) exited failed`, { error: String(e) }));
  }, 2000);
  timer.unref();
}

/** The monitor went away without vireo asking: QEMU died (or is dying), or only the socket broke. */
export async function onMonitorClosed(ctx: LifecycleContext, dom: Domain, rt: Runtime): Promise<void> {
  if (rt.finalized || rt.expectedExit !== undefined) return;
  await waitGone(rt.pid, 5000);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- either may have changed during the await
  if (rt.finalized || rt.expectedExit !== undefined) return;
  if (!(await processGone(rt.pid))) {
    log.warn(`${dom.name}: monitor closed but QEMU (pid ${rt.pid}) is still there; reconnecting`);
    rt.qmp = undefined;
    startAttach(ctx, dom, rt);
    return;
  }
  log.warn(`${dom.name}: QEMU (pid ${rt.pid}) exited unexpectedly`);
  await finalize(ctx, dom, rt, 'crashed');
}
