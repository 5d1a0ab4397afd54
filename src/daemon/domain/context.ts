/** What the lifecycle modules (start, events, stop, reconnect) need from the service around them. */
import type { KvmStatus } from '../../host/kvm.js';
import type { CgroupMounts } from '../../host/cgroup-path.js';
import type { PortAllocator } from '../../host/ports.js';
import type { LogRotator } from '../../util/logrotate.js';
import type { NicContext } from './nics.js';
import type { VolumeContext } from './disks.js';
import type { StateReason } from '../../api/types.js';
import { formatDomainXml } from '../../conf/domain-xml.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { logger } from '../../util/log.js';
import { VireoError } from '../../api/errors.js';
import type { Monitor } from '../../qemu/monitor.js';
import type { Store, StatusRecord } from './store.js';
import type { Domain, Runtime } from './domain.js';
import type { Cause } from './state.js';

const log = logger('lifecycle');

export interface LifecycleContext {
  store: Store;
  kvm: KvmStatus;
  /** Keeps running guests' QEMU and serial logs under their cap. */
  logs: LogRotator;
  /** The host ports (VNC/SPICE) guests hold. */
  ports: PortAllocator;
  /** What guests' NICs join (virtual networks' bridges). */
  nics: NicContext;
  /** Where volume disks' volumes are. */
  volumes: VolumeContext;
  /** The host's cgroup hierarchies (undefined: none vireod may use, e.g. a session daemon). */
  cgroups: CgroupMounts | undefined;
  /** The resource partition of guests without <resource><partition> ('/machine'). */
  cgroupPartition: string;
  allocateId(): number;
  /** Report changed tunables (the tunable event: [libvirt's parameter name, value] pairs). */
  changedTunables?(dom: Domain, params: Array<[string, string]>): void;
  /** Report a state change (event stream, transient clean-up). */
  changed(dom: Domain, event: string, detail: string, extra?: EventExtra): void;
}

/** What some events carry besides their detail (block-threshold: the image, the threshold, the excess). */
export interface EventExtra {
  path?: string;
  threshold?: number;
  excess?: number;
}

/** True while `rt` is the domain's current, unfinished runtime: a late callback of an older one must change nothing. */
export function isCurrent(dom: Domain, rt: Runtime): boolean {
  return dom.runtime === rt && !rt.finalized;
}

/**
 * Apply a state-machine transition for the runtime `rt`: record it in the status file and emit
 * its event. Ignored when `rt` is no longer current (destroy overtook the job that asks) or the
 * table does not allow it from the present state.
 */
export function transition(ctx: LifecycleContext, dom: Domain, rt: Runtime, cause: Cause, reason?: StateReason): boolean {
  if (!isCurrent(dom, rt)) return false;
  const applied = dom.transition(cause, reason);
  if (applied === undefined) {
    log.debug(`${dom.name}: '${cause}' ignored in state ${dom.state} (${dom.reason})`);
    return false;
  }
  void saveStatus(ctx, dom).catch(() => {}); // logged by saveStatus
  if (applied.event !== undefined) ctx.changed(dom, applied.event.event, applied.event.detail);
  return true;
}

/** The logs QEMU writes for a guest: its stdout/stderr and each daemon-owned serial port's. */
export function logFiles(ctx: LifecycleContext, def: DomainDef): string[] {
  return [ctx.store.logFile(def.name), ...def.devices.serials.filter((s) => s.source.type === 'pty').map((s) => ctx.store.serialLog(def.name, s.port))];
}

/** Persist what a restarted daemon needs to find this guest again. */
export function saveStatus(ctx: LifecycleContext, dom: Domain, phase: 'starting' | 'running' = 'running'): Promise<void> {
  const rt = dom.runtime;
  if (rt === undefined || rt.finalized) return Promise.resolve();
  // Writes for one runtime are chained, so an older state never lands after a newer one, and
  // none lands after finalize() has removed the file.
  rt.statusWrites = rt.statusWrites.then(async () => {
    if (rt.finalized) return;
    const rec: StatusRecord = {
      version: 1, phase, name: dom.name, uuid: dom.uuid, id: rt.id, pid: rt.pid, pidStart: rt.pidStart, state: dom.state,
      reason: dom.reason, startedAt: rt.startedAt, monitor: rt.monitor, runDir: rt.runDir,
      persistent: dom.persistent !== undefined, taps: rt.taps, xml: formatDomainXml(rt.liveDef),
    };
    if (rt.cgroup !== undefined) rec.cgroup = rt.cgroup.rel;
    await ctx.store.saveStatus(rec);
  });
  const written = rt.statusWrites;
  rt.statusWrites = written.catch((e: unknown) => log.error(`cannot save status of ${dom.name}`, { error: String(e) }));
  return written;
}

/** A running domain's monitor; right after a restart, waits (up to 5 s) for vireod to take it back. */
export async function monitorOf(dom: Domain): Promise<Monitor> {
  const rt = dom.runtime;
  if (rt !== undefined && (rt.qmp === undefined || rt.qmp.isClosed) && rt.monitorReady !== undefined) {
    await Promise.race([rt.monitorReady, new Promise((r) => setTimeout(r, 5000).unref())]);
  }
  const q = dom.runtime?.qmp;
  if (q === undefined || q.isClosed) {
    throw new VireoError('QEMU_FAILED', `cannot reach the QEMU monitor of domain '${dom.name}'; vireod keeps retrying and never kills the guest`);
  }
  return q;
}
