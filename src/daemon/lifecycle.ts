/**
 * Running guests: start a domain's QEMU, follow its QMP events, stop it, and find it again
 * after a daemon restart. State and reasons follow virsh's (docs/states.md).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DomainDef } from '../conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../conf/domain-xml.js';
import type { DomainState, StateReason } from '../api/types.js';
import { VireoError } from '../api/errors.js';
import { buildQemuArgv, checkHostSupport } from '../qemu/argv.js';
import { configureMonitor, hostFacts, hugepagesMount, prepareLaunch, reserveLivePorts, type Prepared } from '../qemu/prepare.js';
import { launchPaths } from './native.js';
import { launchQemu, killQemu } from '../qemu/process.js';
import { QmpClient, type QmpEvent } from '../qemu/qmp/client.js';
import { ConsoleStream } from '../qemu/console.js';
import { DEFAULT_EMULATOR, qemuVersion } from '../host/qemu-binary.js';
import type { KvmStatus } from '../host/kvm.js';
import type { PortAllocator } from '../host/ports.js';
import { processStartTime, processGone, waitGone } from '../util/proc.js';
import { logger } from '../util/log.js';
import type { LogRotator } from '../util/logrotate.js';
import type { Store, StatusRecord } from './store.js';
import type { Domain, Runtime } from './domain.js';

const log = logger('lifecycle');

/** What lifecycle needs from the daemon around it. */
export interface LifecycleContext {
  store: Store;
  kvm: KvmStatus;
  /** Keeps running guests' QEMU and serial logs under their cap. */
  logs: LogRotator;
  /** The host ports (VNC/SPICE) guests hold. */
  ports: PortAllocator;
  allocateId(): number;
  /** Report a state change (event stream, transient clean-up). */
  changed(dom: Domain, event: string, detail: string): void;
}

/** Start QEMU for `def` and bring the domain to running (or paused). Undoes everything on failure. */
export async function launch(ctx: LifecycleContext, dom: Domain, def: DomainDef, opts: { paused: boolean }): Promise<void> {
  if (def.type === 'kvm' && !ctx.kvm.usable) {
    throw new VireoError('KVM_UNAVAILABLE', `domain '${def.name}' asks for KVM, but this host cannot run ordinary guests under KVM (${ctx.kvm.reason ?? 'unknown reason'}); use <domain type='qemu'> to run it under TCG`, {
      hint: "use <domain type='qemu'> to run it under TCG (software emulation); see: vireo host-validate",
    });
  }
  await checkFiles(def);
  const emulator = def.devices.emulator ?? DEFAULT_EMULATOR;
  await qemuVersion(emulator);
  checkHostSupport(def, await hostFacts(emulator, def));

  const runDir = ctx.store.runDir(def.name);
  await fs.rm(runDir, { recursive: true, force: true });
  await fs.mkdir(runDir, { recursive: true, mode: 0o700 });
  const monitor = path.join(runDir, 'monitor.sock');

  let rt: Runtime | undefined;
  let prepared: Prepared | undefined;
  try {
    // The live definition: firmware, NVRAM, graphics ports, channel sockets filled in (swtpm started).
    prepared = await prepareLaunch(def, { libDir: ctx.store.layout.lib, runDir, logDir: ctx.store.layout.log, ports: ctx.ports });
    def = prepared.def;
    const tpmSocket = prepared.tpmSocket;
    const argv = buildQemuArgv(def, { ...launchPaths(ctx.store, def.name, tpmSocket), monitor }, { accel: def.type === 'kvm' ? 'kvm' : 'tcg', hugepagesPath: def.memoryBacking?.hugepages === undefined ? undefined : await hugepagesMount() });
    const { child, qmp, monitor: typedMonitor } = await launchQemu({ emulator, argv, monitor, name: def.name, logFile: ctx.store.logFile(def.name), runDir });
    await ctx.logs.watch(def.name, logFiles(ctx, def)); // a log left oversized by an earlier run is cut now
    rt = {
      id: ctx.allocateId(), pid: child.pid, pidStart: (await processStartTime(child.pid)) ?? 0, qmp, liveDef: def,
      runDir, monitor, consoles: new Map(), startedAt: Date.now(), expectedExit: undefined, fakeReboot: false,
      pauseReason: undefined, inShutdown: false, finalized: false, statusWrites: Promise.resolve(), monitorReady: undefined,
    };
    await connectConsoles(ctx, rt, false);
    await configureMonitor(typedMonitor, def);
    dom.runtime = rt;
    watch(ctx, dom, rt);
    if (opts.paused) {
      dom.setState('paused', 'user');
    } else {
      await qmp.execute('cont');
      dom.setState('running', 'booted');
    }
    await saveStatus(ctx, dom);
  } catch (e) {
    if (rt !== undefined) {
      rt.expectedExit = 'failed';
      rt.qmp?.close();
      for (const c of rt.consoles.values()) c.close();
      await killQemu(rt.pid, { graceful: false });
    }
    await prepared?.cleanup();
    ctx.logs.unwatch(def.name);
    dom.runtime = undefined;
    dom.setState('shut off', 'failed');
    await fs.rm(runDir, { recursive: true, force: true });
    await ctx.store.removeStatus(def.name).catch(() => {});
    throw e;
  }
  ctx.changed(dom, 'Started', 'Booted');
  if (opts.paused) ctx.changed(dom, 'Suspended', 'Paused');
}

async function checkFiles(def: DomainDef): Promise<void> {
  const files = [def.os.kernel, def.os.initrd, ...def.devices.disks.map((d) => d.source)];
  for (const f of files) {
    if (f === undefined) continue;
    try {
      await fs.access(f);
    } catch (e) {
      throw new VireoError('STORAGE_MISSING', `Cannot access storage file '${f}': No such file or directory`, { cause: e });
    }
  }
}

/** The logs QEMU writes for a guest: its stdout/stderr and each daemon-owned serial port's. */
function logFiles(ctx: LifecycleContext, def: DomainDef): string[] {
  return [ctx.store.logFile(def.name), ...def.devices.serials.filter((s) => s.source.type === 'pty').map((s) => ctx.store.serialLog(def.name, s.port))];
}

async function connectConsoles(ctx: LifecycleContext, rt: Runtime, replay: boolean): Promise<void> {
  for (const s of rt.liveDef.devices.serials) {
    if (s.source.type !== 'pty') continue;
    const c = new ConsoleStream(path.join(rt.runDir, `serial${s.port}.sock`));
    if (replay) await c.prefillFrom(ctx.store.serialLog(rt.liveDef.name, s.port));
    await c.connect();
    rt.consoles.set(s.port, c);
  }
}

/** Persist what a restarted daemon needs to find this guest again. */
export function saveStatus(ctx: LifecycleContext, dom: Domain): Promise<void> {
  const rt = dom.runtime;
  if (rt === undefined || rt.finalized) return Promise.resolve();
  // Writes for one runtime are chained, so an older state never lands after a newer one, and
  // none lands after finalize() has removed the file.
  rt.statusWrites = rt.statusWrites.then(async () => {
    if (rt.finalized) return;
    const rec: StatusRecord = {
      version: 1, name: dom.name, uuid: dom.uuid, id: rt.id, pid: rt.pid, pidStart: rt.pidStart, state: dom.state,
      reason: dom.reason, startedAt: rt.startedAt, monitor: rt.monitor, runDir: rt.runDir,
      persistent: dom.persistent !== undefined, xml: formatDomainXml(rt.liveDef),
    };
    await ctx.store.saveStatus(rec);
  });
  const written = rt.statusWrites;
  rt.statusWrites = written.catch((e: unknown) => log.error(`cannot save status of ${dom.name}`, { error: String(e) }));
  return written;
}

function transition(ctx: LifecycleContext, dom: Domain, state: DomainState, reason: StateReason, event: string, detail: string): void {
  dom.setState(state, reason);
  void saveStatus(ctx, dom).catch(() => {}); // logged by saveStatus
  ctx.changed(dom, event, detail);
}

/** Follow QMP events and the monitor's end for a runtime. */
function watch(ctx: LifecycleContext, dom: Domain, rt: Runtime): void {
  const qmp = rt.qmp!;
  qmp.on('event', (ev) => void onEvent(ctx, dom, rt, ev).catch((e: unknown) => log.error(`handling ${ev.event} for ${dom.name}`, { error: String(e) })));
  qmp.on('close', () => void onMonitorClosed(ctx, dom, rt));
}

async function onEvent(ctx: LifecycleContext, dom: Domain, rt: Runtime, ev: QmpEvent): Promise<void> {
  if (rt.finalized || rt.expectedExit !== undefined) return;
  log.debug(`${dom.name}: ${ev.event}`, ev.data);
  switch (ev.event) {
    case 'STOP':
      if (!rt.inShutdown && dom.state === 'running') transition(ctx, dom, 'paused', rt.pauseReason ?? 'unknown', 'Suspended', 'Paused');
      rt.pauseReason = undefined;
      break;
    case 'RESUME':
      if (!rt.inShutdown && dom.state === 'paused') transition(ctx, dom, 'running', 'unpaused', 'Resumed', 'Unpaused');
      break;
    case 'SHUTDOWN':
      await onGuestShutdown(ctx, dom, rt, ev.data.guest === true);
      break;
    case 'RESET':
      ctx.changed(dom, 'reboot', '');
      break;
    case 'GUEST_PANICKED':
      if (rt.liveDef.onCrash === 'restart' || rt.liveDef.onCrash === 'coredump-restart') {
        await rt.qmp?.execute('system_reset');
        await rt.qmp?.execute('cont');
      } else {
        transition(ctx, dom, 'crashed', 'panicked', 'Crashed', 'Panicked');
        if (rt.liveDef.onCrash !== 'preserve') await stopProcess(ctx, dom, 'crashed', 'Crashed');
      }
      break;
  }
}

async function onGuestShutdown(ctx: LifecycleContext, dom: Domain, rt: Runtime, byGuest: boolean): Promise<void> {
  const action = rt.liveDef.onPoweroff;
  if (rt.fakeReboot || action === 'restart') {
    rt.fakeReboot = false;
    rt.inShutdown = true;
    try {
      await rt.qmp?.execute('system_reset');
      await rt.qmp?.execute('cont');
    } finally {
      rt.inShutdown = false;
    }
    // The RESET event that system_reset raises reports the reboot to listeners.
    dom.setState('running', 'booted');
    await saveStatus(ctx, dom);
    return;
  }
  rt.inShutdown = true;
  ctx.changed(dom, 'Shutdown', byGuest ? 'Finished after guest request' : 'Finished after host request');
  if (action === 'preserve') {
    transition(ctx, dom, 'paused', 'shutting down', 'Suspended', 'Paused');
    return;
  }
  await stopProcess(ctx, dom, 'shutdown', 'Shutdown', { viaQuit: true });
}

/** End QEMU on purpose and record why. */
export async function stopProcess(ctx: LifecycleContext, dom: Domain, reason: StateReason, detail: string, opts: { graceful?: boolean; viaQuit?: boolean } = {}): Promise<boolean> {
  const rt = dom.runtime;
  if (rt === undefined) return true;
  rt.expectedExit = reason;
  if (opts.viaQuit === true && rt.qmp !== undefined && !rt.qmp.isClosed) {
    await rt.qmp.execute('quit').catch(() => undefined);
    if (!(await waitGone(rt.pid, 3000))) await killQemu(rt.pid, { graceful: false });
  } else if (!(await killQemu(rt.pid, { graceful: opts.graceful === true }))) {
    rt.expectedExit = undefined;
    return false;
  }
  await finalize(ctx, dom, rt, reason, detail);
  return true;
}

async function onMonitorClosed(ctx: LifecycleContext, dom: Domain, rt: Runtime): Promise<void> {
  if (rt.finalized || rt.expectedExit !== undefined) return;
  // The monitor went away without vireo asking: QEMU died (or is dying).
  await waitGone(rt.pid, 5000);
  if (!(await processGone(rt.pid))) {
    log.warn(`${dom.name}: monitor closed but QEMU (pid ${rt.pid}) is still there; reconnecting`);
    rt.qmp = undefined;
    startAttach(ctx, dom, rt);
    return;
  }
  log.warn(`${dom.name}: QEMU (pid ${rt.pid}) exited unexpectedly`);
  await finalize(ctx, dom, rt, 'crashed', 'Crashed');
}

async function finalize(ctx: LifecycleContext, dom: Domain, rt: Runtime, reason: StateReason, detail: string): Promise<void> {
  if (rt.finalized) return;
  rt.finalized = true;
  rt.qmp?.close();
  for (const c of rt.consoles.values()) c.close();
  ctx.logs.unwatch(dom.name);
  ctx.ports.releaseOwner(dom.uuid);
  if (dom.runtime === rt) dom.runtime = undefined;
  dom.setState('shut off', reason);
  await rt.statusWrites;
  await ctx.store.removeStatus(dom.name);
  await fs.rm(rt.runDir, { recursive: true, force: true });
  ctx.changed(dom, 'Stopped', detail);
}

/**
 * After a daemon restart: find the guest a status record describes. A live QEMU is controlled
 * again; one that cannot be reached is reported and retried, never killed.
 */
export async function reconnect(ctx: LifecycleContext, dom: Domain, rec: StatusRecord): Promise<void> {
  const liveDef = parseDomainXml(rec.xml, { live: true });
  const start = await processStartTime(rec.pid);
  if (start === undefined || start !== rec.pidStart || (await processGone(rec.pid))) {
    log.warn(`${rec.name}: QEMU (pid ${rec.pid}) ended while vireod was not running`);
    dom.setState('shut off', 'crashed');
    await ctx.store.removeStatus(rec.name);
    await fs.rm(rec.runDir, { recursive: true, force: true });
    ctx.changed(dom, 'Stopped', 'Crashed');
    return;
  }
  const rt: Runtime = {
    id: rec.id, pid: rec.pid, pidStart: rec.pidStart, qmp: undefined, liveDef, runDir: rec.runDir,
    monitor: rec.monitor, consoles: new Map(), startedAt: rec.startedAt, expectedExit: undefined, fakeReboot: false,
    pauseReason: undefined, inShutdown: false, finalized: false, statusWrites: Promise.resolve(), monitorReady: undefined,
  };
  dom.runtime = rt;
  dom.setState(rec.state, rec.reason);
  void ctx.logs.watch(rec.name, logFiles(ctx, liveDef));
  reserveLivePorts(ctx.ports, liveDef);
  // Not awaited: one guest whose QEMU does not answer must not hold up the daemon or the others.
  startAttach(ctx, dom, rt);
}

/** Try to take the monitor back; on failure, report it and try again later. */
function startAttach(ctx: LifecycleContext, dom: Domain, rt: Runtime): void {
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
  const qmp = await QmpClient.connect(rt.monitor, { timeoutMs: 5000 });
  if (rt.consoles.size === 0) await connectConsoles(ctx, rt, true).catch((e: unknown) => log.warn(`${dom.name}: console: ${String(e)}`));
  let status: { status: string; running: boolean };
  try {
    status = await qmp.execute<{ status: string; running: boolean }>('query-status', undefined, { timeoutMs: 5000 });
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
  log.info(`${dom.name}: reconnected to QEMU (pid ${rt.pid}), status '${status.status}'`);
  if (status.status === 'shutdown') {
    await onGuestShutdown(ctx, dom, rt, true);
  } else if (status.running && dom.state !== 'running') {
    transition(ctx, dom, 'running', 'unpaused', 'Resumed', 'Unpaused');
  } else if (!status.running && dom.state === 'running') {
    transition(ctx, dom, 'paused', 'unknown', 'Suspended', 'Paused');
  }
}

function scheduleReconnect(ctx: LifecycleContext, dom: Domain, rt: Runtime): void {
  const timer = setTimeout(() => {
    if (rt.finalized || dom.runtime !== rt) return;
    void (async () => {
      if (await processGone(rt.pid)) return finalize(ctx, dom, rt, 'crashed', 'Crashed');
      startAttach(ctx, dom, rt);
    })();
  }, 2000);
  timer.unref();
}
