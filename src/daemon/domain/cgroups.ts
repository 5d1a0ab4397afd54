/**
 * Each guest's QEMU in its own cgroup, laid out as libvirt lays it out (host/cgroup-path.ts):
 * the process in `machine/qemu-ID-NAME.libvirt-qemu`, each vCPU thread in `vcpuN`, each I/O
 * thread in `iothreadN` and the other threads in `emulator`, the definition's <cputune>, <memtune>, <blkiotune> and <numatune>
 * written there. It happens while QEMU waits at -S, before any guest code runs; the group goes
 * when the guest stops, and a restarted vireod takes it up again from the status file.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../../api/errors.js';
import type { BlkioTune, DomainDef } from '../../conf/domain-model.js';
import { idList } from '../../conf/domain-iothreads.js';
import { GuestCgroup, type Throttle } from '../../host/cgroup.js';
import { guestGroupPath, parseCpuList, type ThreadGroup } from '../../host/cgroup-path.js';
import { onlineCpus, setAffinity, setRealtime, threadsOf } from '../../host/affinity.js';
import type { Monitor } from '../../qemu/monitor.js';
import { queryIothreads } from '../../qemu/monitor-iothreads.js';
import { logger } from '../../util/log.js';
import type { LifecycleContext } from './context.js';
import type { Runtime } from './domain.js';

const log = logger('cgroups');

/** The group a new guest gets (not made yet); undefined where the host has no cgroups for guests. */
export function guestCgroup(ctx: LifecycleContext, def: DomainDef, id: number): GuestCgroup | undefined {
  if (ctx.cgroups === undefined) return undefined;
  return new GuestCgroup(ctx.cgroups, guestGroupPath(def.resourcePartition ?? ctx.cgroupPartition, id, def.name));
}

/** What QEMU refuses that libvirt refuses too, checked before anything starts. */
export function checkTuning(def: DomainDef): void {
  if (def.memtune?.minGuaranteeKiB !== undefined) {
    throw VireoError.of('CONFIG_UNSUPPORTED', "Parameter 'min_guarantee' not supported by QEMU.");
  }
}

/**
 * Put a QEMU that waits at -S into `cg` and apply the definition: the group's own knobs, then
 * the threads (placeThreads). The caller removes the group if this fails.
 */
export async function setupCgroup(cg: GuestCgroup, def: DomainDef, pid: number, qmp: Monitor, rt: Pick<Runtime, 'vcpuThreads' | 'iothreadThreads'>): Promise<void> {
  await cg.create();
  await applyGroupTuning(cg, def);
  await cg.addProcess(pid);
  rt.vcpuThreads = await vcpuThreadMap(qmp);
  rt.iothreadThreads = await iothreadThreadMap(qmp, def);
  await placeThreads(cg, def, pid, rt.vcpuThreads, rt.iothreadThreads);
}

async function vcpuThreadMap(qmp: Monitor): Promise<Map<number, number>> {
  return new Map((await qmp.queryCpusFast()).map((c) => [c.index, c.threadId]));
}

/** The host thread of each I/O thread (QEMU is not asked when the definition has none: most guests). */
export async function iothreadThreadMap(qmp: Monitor, def: DomainDef): Promise<Map<number, number>> {
  if ((def.iothreads?.length ?? 0) === 0) return new Map();
  return new Map((await queryIothreads(qmp)).map((t) => [t.id, t.threadId]));
}

/** The knobs of the guest's group itself: CPU shares and global bandwidth, memory, block I/O, memory nodes. */
async function applyGroupTuning(cg: GuestCgroup, def: DomainDef): Promise<void> {
  const t = def.cputune;
  if (def.vcpu.cpuset !== undefined) await cg.setCpus(undefined, def.vcpu.cpuset);
  const mems = numaMems(def);
  if (mems !== undefined) await cg.setMems(mems, []);
  if (t?.shares !== undefined) await cg.setShares(t.shares);
  if (t?.globalPeriod !== undefined || t?.globalQuota !== undefined) await cg.setCfs(undefined, cfs(t.globalPeriod, t.globalQuota));
  const m = def.memtune;
  if (m !== undefined && (m.hardLimitKiB ?? m.softLimitKiB ?? m.swapHardLimitKiB) !== undefined) {
    await cg.setMemory({
      ...(m.hardLimitKiB === undefined ? {} : { hard: m.hardLimitKiB }),
      ...(m.softLimitKiB === undefined ? {} : { soft: m.softLimitKiB }),
      ...(m.swapHardLimitKiB === undefined ? {} : { swapHard: m.swapHardLimitKiB }),
    });
  }
  if (def.blkiotune !== undefined) await applyBlkio(cg, def.blkiotune);
}

/** The nodes of a strict (or restrictive) <numatune><memory>: cpuset.mems. Other modes are QEMU's memory policy. */
export function numaMems(def: DomainDef): string | undefined {
  const m = def.numatune?.memory;
  return m?.nodeset !== undefined && (m.mode === 'strict' || m.mode === 'restrictive') ? m.nodeset : undefined;
}

const cfs = (period: number | undefined, quota: number | undefined): { period?: number; quota?: number } => ({
  ...(period === undefined ? {} : { period }),
  ...(quota === undefined ? {} : { quota }),
});

/** Block I/O weight, and each device's weight and throttles (by its major:minor). */
export async function applyBlkio(cg: GuestCgroup, b: BlkioTune): Promise<void> {
  if (b.weight !== undefined) await cg.setBlkioWeight(b.weight);
  for (const d of b.devices) {
    const dev = await blockDevice(d.path);
    if (d.weight !== undefined) await cg.setDeviceWeight(dev, d.weight);
    const throttles: [Throttle, number | undefined][] = [
      ['read_bps', d.readBytesSec], ['write_bps', d.writeBytesSec], ['read_iops', d.readIopsSec], ['write_iops', d.writeIopsSec],
    ];
    for (const [kind, v] of throttles) if (v !== undefined) await cg.setThrottle(dev, kind, v);
  }
}

/** 'major:minor' of a block device path, with libvirt's words when it is none. */
export async function blockDevice(p: string): Promise<string> {
  const st = await fs.stat(p).catch((e: unknown) => {
    throw new VireoError('INVALID_ARG', `Path '${p}' is not accessible`, { cause: e });
  });
  if (!st.isBlockDevice()) throw VireoError.of('INVALID_ARG', `Path '${p}' must be a block device`);
  const rdev = st.rdev;
  const major = Math.floor(rdev / 256) & 0xfff | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
  return `${major}:${minor}`;
}

/**
 * Place QEMU's threads: each vCPU's in vcpuN with its period/quota, pinning and scheduler, every
 * other one in `emulator` with the emulator's. Exposed for vCPU hot-plug: after a vCPU is added
 * (or removed) the caller gives the new thread map and the new threads find their groups.
 */
export async function placeThreads(cg: GuestCgroup, def: DomainDef, pid: number, vcpus: Map<number, number>, iothreads: Map<number, number> = new Map()): Promise<void> {
  const t = def.cputune;
  const all = await onlineCpus();
  const vcpuTids = new Set([...vcpus.values(), ...iothreads.values()]);
  await cg.createChild('emulator');
  if (t?.emulatorPeriod !== undefined || t?.emulatorQuota !== undefined) await cg.setCfs('emulator', cfs(t.emulatorPeriod, t.emulatorQuota));
  const emuCpus = t?.emulatorpin ?? def.vcpu.cpuset;
  if (emuCpus !== undefined) await cg.setCpus('emulator', emuCpus);
  for (const tid of await threadsOf(pid)) {
    if (vcpuTids.has(tid)) continue;
    await cg.addThread('emulator', tid).catch((e: unknown) => ignoreGone(e, tid));
    if (emuCpus !== undefined) await setAffinity(tid, emuCpus).catch((e: unknown) => ignoreGone(e, tid));
  }
  for (const [index, tid] of vcpus) {
    const child: ThreadGroup = `vcpu${index}`;
    await cg.createChild(child);
    if (t?.period !== undefined || t?.quota !== undefined) await cg.setCfs(child, cfs(t.period, t.quota));
    // An unpinned vCPU keeps the CPUs it inherited, unless it was pinned before (a hot-plug re-run
    // after vcpupin), so a plain start spawns no taskset.
    const cpus = vcpuPin(def, index) ?? def.vcpu.cpuset;
    const before = await cg.cpus(child).catch(() => all);
    if (cpus !== undefined || before !== all) {
      await cg.setCpus(child, cpus ?? all);
      await setAffinity(tid, cpus ?? all);
    }
    await cg.addThread(child, tid);
    const sched = t?.vcpusched?.find((s) => parseCpuList(s.vcpus)?.includes(index));
    if (sched !== undefined && (sched.scheduler === 'fifo' || sched.scheduler === 'rr')) await setRealtime(tid, sched.scheduler, sched.priority ?? 1);
  }
  for (const [id, tid] of iothreads) await placeIothread(cg, def, id, tid);
}

/**
 * I/O thread `id` (host thread `tid`) into its own `iothreadN` group with the definition's
 * iothread_period/quota, pinning (else <vcpu cpuset>) and scheduler: at start, and for iothreadadd.
 */
export async function placeIothread(cg: GuestCgroup, def: DomainDef, id: number, tid: number): Promise<void> {
  const t = def.cputune;
  const child: ThreadGroup = `iothread${id}`;
  await cg.createChild(child);
  if (t?.iothreadPeriod !== undefined || t?.iothreadQuota !== undefined) await cg.setCfs(child, cfs(t.iothreadPeriod, t.iothreadQuota));
  const cpus = iothreadPin(def, id) ?? def.vcpu.cpuset;
  if (cpus !== undefined) {
    await cg.setCpus(child, cpus);
    await setAffinity(tid, cpus);
  }
  await cg.addThread(child, tid);
  const sched = t?.iothreadsched?.find((s) => idList(s.iothreads).includes(id));
  if (sched !== undefined && (sched.scheduler === 'fifo' || sched.scheduler === 'rr')) await setRealtime(tid, sched.scheduler, sched.priority ?? 1);
}

/** The CPUs I/O thread `id` is pinned to by the definition, if it is. */
export function iothreadPin(def: DomainDef, id: number): string | undefined {
  return def.cputune?.iothreadpin?.find((p) => p.iothread === id)?.cpuset;
}

/** The CPUs vCPU `index` is pinned to by the definition, if it is. */
export function vcpuPin(def: DomainDef, index: number): string | undefined {
  return def.cputune?.vcpupin.find((p) => p.vcpu === index)?.cpuset;
}

/**
 * After vCPU hot-plug (un)plug: read the vCPU threads again and place them. For the vCPU
 * control commands to call once the live definition holds the new vCPU count.
 */
export async function placeVcpuThreadsAgain(rt: Runtime, qmp: Monitor): Promise<void> {
  rt.vcpuThreads = await vcpuThreadMap(qmp);
  if (rt.cgroup !== undefined) await placeThreads(rt.cgroup, rt.liveDef, rt.pid, rt.vcpuThreads, rt.iothreadThreads);
}

/** A thread that ended between listing and moving is no failure. */
function ignoreGone(e: unknown, tid: number): void {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ESRCH') return;
  if (e instanceof VireoError && /No such process|ESRCH/.test(e.message)) return;
  log.debug(`thread ${tid}: ${String(e)}`);
  throw e;
}

/** After a daemon restart: the group the status file names, if it is still there, and the vCPU threads. */
export async function reconnectCgroup(ctx: LifecycleContext, rt: Runtime, rel: string | undefined, qmp: Monitor): Promise<void> {
  rt.vcpuThreads = await vcpuThreadMap(qmp);
  rt.iothreadThreads = await iothreadThreadMap(qmp, rt.liveDef);
  if (rel === undefined || ctx.cgroups === undefined) return;
  const cg = new GuestCgroup(ctx.cgroups, rel);
  rt.cgroup = (await cg.exists()) ? cg : undefined;
  if (rt.cgroup === undefined) log.warn(`${rt.liveDef.name}: its cgroup ${rel} is gone; tuning it live is not possible until it restarts`);
}

/** Remove a stopped guest's group (its QEMU is gone). A failure is logged: the guest is stopped either way. */
export async function removeCgroup(name: string, cg: GuestCgroup | undefined): Promise<void> {
  if (cg === undefined) return;
  await cg.remove().catch((e: unknown) => log.warn(`${name}: cannot remove its cgroup ${cg.rel}`, { error: String(e) }));
}
