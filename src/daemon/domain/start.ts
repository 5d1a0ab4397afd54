/**
 * Starting a guest: from a definition to a running (or paused) QEMU under vireod's control.
 *
 * The start is recorded durably before QEMU exists (a 'starting' status file, then the same with
 * QEMU's pid as soon as it has one), so that a daemon killed half-way finds the half-started QEMU
 * when it comes back and ends it (reconnect.ts): a guest is either managed or gone, never an
 * orphan that a second start would run beside. Every step is undone if a later one fails.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DomainDef } from '../../conf/domain-model.js';
import { formatDomainXml } from '../../conf/domain-xml.js';
import { VireoError } from '../../api/errors.js';
import { buildQemuArgv, checkHostSupport } from '../../qemu/argv.js';
import { configureMonitor, hostFacts, prepareLaunch } from '../../qemu/prepare.js';
import { hugepagesForDomain, releaseHugetlbfs } from '../../host/hugepages.js';
import { launchQemu, killQemu } from '../../qemu/process.js';
import type { Monitor } from '../../qemu/monitor.js';
import { DEFAULT_EMULATOR, qemuVersion } from '../../host/qemu-binary.js';
import { processStartTime } from '../../util/proc.js';
import { Revert } from '../../util/revert.js';
import { logger } from '../../util/log.js';
import { launchPaths } from './native.js';
import { assignNicAliases, plugNics } from './nics.js';
import { assignDiskNodes, diskPaths, resolveDisks } from './disks.js';
import { connectConsoles, watch } from './events.js';
import { checkTuning, guestCgroup, removeCgroup, setupCgroup } from './cgroups.js';
import { logFiles, saveStatus, type LifecycleContext } from './context.js';
import type { StatusRecord } from './store.js';
import type { Domain, Runtime } from './domain.js';
import { prepareMemoryDevices } from '../../conf/domain-parse-memory.js';
import { readDimmBases } from './hotplug-memory.js';

const log = logger('lifecycle');

/** Start QEMU for `def` and bring the domain to running (or paused). Undoes everything on failure. */
/**
 * Start QEMU for `def` (see launchOnce). A display port is checked free before QEMU binds it, so
 * another program (another vireod on this host included) can take it in between; when QEMU then
 * fails on that bind and the port was picked automatically, the start is tried again with
 * another port (the failed attempt has been undone completely).
 */
export interface LaunchRequest {
  paused: boolean;
  /**
   * Restore: QEMU starts with -incoming defer (inheriting `passFds` as descriptors 3, 4, ...), and
   * `feed` gives it the saved state (save.ts) once the monitor is configured, before the CPUs may
   * run. The domain then starts as 'restored'.
   */
  incoming?: { passFds?: readonly number[]; feed: (qmp: Monitor) => Promise<void> };
}

export async function launch(ctx: LifecycleContext, dom: Domain, def: DomainDef, opts: LaunchRequest): Promise<void> {
  const autoPorts = def.devices.graphics.some((g) => g.autoport);
  for (let attempt = 1; ; attempt++) {
    try {
      await launchOnce(ctx, dom, def, opts);
      return;
    } catch (e) {
      const clash = e instanceof VireoError && e.code === 'QEMU_FAILED' && /Failed to find an available port|binding socket to \S+ failed|Address already in use/.test(e.message);
      if (!clash || !autoPorts || attempt === 3) throw e;
      log.warn(`${def.name}: a display port was taken between its check and QEMU's bind; starting again with another (attempt ${attempt + 1})`);
    }
  }
}

async function launchOnce(ctx: LifecycleContext, dom: Domain, defIn: DomainDef, opts: LaunchRequest): Promise<void> {
  // Volume disks become the files, devices or LUNs their pools hold (refused here when they cannot).
  const def = resolveDisks(defIn, ctx.volumes);
  if (dom.blocked !== undefined) throw new VireoError('OPERATION_FAILED', dom.blocked);
  if (def.type === 'kvm' && !ctx.kvm.usable) {
    throw new VireoError('KVM_UNAVAILABLE', `domain '${def.name}' asks for KVM, but this host cannot run ordinary guests under KVM (${ctx.kvm.reason ?? 'unknown reason'}); use <domain type='qemu'> to run it under TCG`, {
      hint: "use <domain type='qemu'> to run it under TCG (software emulation); see: vireo host-validate",
    });
  }
  await checkFiles(def);
  const emulator = def.devices.emulator ?? DEFAULT_EMULATOR;
  await qemuVersion(emulator);
  const facts = await hostFacts(emulator, def);
  checkHostSupport(def, facts);
  checkTuning(def);

  const id = ctx.allocateId();
  const runDir = ctx.store.runDir(id, def.name);
  const monitor = path.join(runDir, 'monitor.sock');
  const startedAt = Date.now();
  let taps: string[] = [];
  const record = (pid: number, pidStart: number): StatusRecord => ({
    version: 1, phase: 'starting', name: def.name, uuid: def.uuid, id, pid, pidStart, state: 'shut off', reason: 'unknown',
    startedAt, monitor, runDir, persistent: dom.persistent !== undefined, taps, xml: formatDomainXml(def),
  });

  const revert = new Revert();
  try {
    await fs.rm(runDir, { recursive: true, force: true });
    await fs.mkdir(runDir, { recursive: true, mode: 0o700 });
    revert.add(() => fs.rm(runDir, { recursive: true, force: true }), 'run directory');
    await ctx.store.saveStatus(record(0, 0));
    revert.add(() => ctx.store.removeStatus(def.name), 'status file');

    // The live definition: firmware, NVRAM, SPICE port, channel sockets filled in (swtpm started).
    const prepared = await prepareLaunch(def, { libDir: ctx.store.layout.lib, runDir, logDir: ctx.store.layout.log, ports: ctx.ports });
    revert.add(() => prepared.cleanup(), 'host set-up (swtpm, graphics ports)');
    const live = prepared.def;
    assignNicAliases(live);
    assignDiskNodes(live);
    prepareMemoryDevices(live);
    taps = await plugNics(live, ctx.nics, revert);
    if (taps.length > 0) await ctx.store.saveStatus(record(0, 0)); // a daemon dying from here on must find them
    let hugepagesPath: string | undefined;
    if (live.memoryBacking?.hugepages !== undefined) {
      revert.add(() => releaseHugetlbfs(ctx.store.layout.run), 'hugetlbfs mount');
      const want = { name: live.name, memoryKiB: live.memoryKiB, pages: live.memoryBacking.hugepages };
      hugepagesPath = (await hugepagesForDomain(want, ctx.store.layout.run)).path;
    }
    const argv = buildQemuArgv(live, { ...launchPaths(ctx.store, runDir, live.name, prepared.tpmSocket), monitor }, {
      accel: live.type === 'kvm' ? 'kvm' : 'tcg',
      incoming: opts.incoming !== undefined,
      vhostNet: facts.vhostNet,
      hugepagesPath,
    });
    let pid = 0;
    let pidStart = 0;
    // Undone after QEMU has been ended (newest first): a group is removed only once it is empty.
    const cgroup = guestCgroup(ctx, live, id);
    if (cgroup !== undefined) revert.add(() => removeCgroup(live.name, cgroup), 'cgroup');
    revert.add(() => (pid === 0 ? undefined : killQemu(pid, { graceful: false })), 'QEMU process');
    const { monitor: qmp } = await launchQemu({
      emulator, argv, monitor, name: live.name, logFile: ctx.store.logFile(live.name), runDir, passFds: opts.incoming?.passFds,
      onSpawn: async (p) => {
        pid = p;
        pidStart = (await processStartTime(p)) ?? 0;
        await ctx.store.saveStatus(record(pid, pidStart));
      },
    });
    await ctx.logs.watch(live.name, logFiles(ctx, live)); // a log left oversized by an earlier run is cut now
    revert.add(() => ctx.logs.unwatch(live.name), 'log rotation');
    const rt: Runtime = {
      id, pid, pidStart, qmp, liveDef: live, runDir, monitor, consoles: new Map(), startedAt,
      expectedExit: undefined, fakeReboot: false, pauseReason: undefined, inShutdown: false, finalized: false,
      statusWrites: Promise.resolve(), monitorReady: undefined, taps, cgroup,
    };
    revert.add(() => {
      rt.expectedExit = 'failed';
      rt.finalized = true;
      rt.qmp?.close();
      for (const c of rt.consoles.values()) c.close();
      if (dom.runtime === rt) dom.runtime = undefined;
    }, 'monitor and consoles');
    // QEMU waits at -S: its threads find their groups before any guest code runs.
    if (cgroup !== undefined) await setupCgroup(cgroup, live, pid, qmp, rt);
    await connectConsoles(ctx, rt, false);
    await configureMonitor(qmp, live);
    await readDimmBases(qmp, live);
    dom.runtime = rt;
    watch(ctx, dom, rt);
    if (opts.incoming !== undefined) await opts.incoming.feed(qmp);
    if (!opts.paused) await qmp.cont();
    const restore = opts.incoming !== undefined;
    dom.transition(opts.paused ? (restore ? 'restore-paused' : 'start-paused') : restore ? 'restore' : 'start');
    await saveStatus(ctx, dom);
    revert.success();
  } catch (e) {
    await revert.fail();
    dom.restoreState('shut off', 'failed');
    throw e;
  }
  ctx.changed(dom, 'Started', opts.incoming !== undefined ? 'Restored' : 'Booted');
  if (opts.paused) ctx.changed(dom, 'Suspended', opts.incoming !== undefined ? 'Restored' : 'Paused');
}

async function checkFiles(def: DomainDef): Promise<void> {
  const files = [def.os.kernel, def.os.initrd, ...diskPaths(def)];
  for (const f of files) {
    if (f === undefined) continue;
    try {
      await fs.access(f);
    } catch (e) {
      throw new VireoError('STORAGE_MISSING', `Cannot access storage file '${f}': No such file or directory`, { cause: e });
    }
  }
}
