/**
 * One guest's statistics, as virsh's monitoring commands show them: vcpuinfo, vcpucount,
 * domblkstat, domifstat, dommemstat (and its --period), domblkerror, cpu-stats. Numbers come
 * from where libvirt's QEMU driver takes them: QMP for what QEMU knows (vCPU threads, disk
 * counters, the balloon), /proc for what the host kernel knows about QEMU's threads, sysfs for a
 * tap's counters. Queries run beside the domain's jobs (a statistic must not wait for a long
 * save); only --period, which changes the guest, runs as a job.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../../api/errors.js';
import type { BlockError, BlockStats, CpuStatsReply, InterfaceStats, MemStat, MemStatsPeriodRequest, VcpuCount, VcpuInfoReply } from '../../api/stats-types.js';
import type { Disk, DomainDef } from '../../conf/domain-model.js';
import { parseCpuList } from '../../host/nodeinfo.js';
import { hostCpuMap, readProcess, readThread } from '../../host/taskstat.js';
import { linkCounters } from '../../network/tap-stats.js';
import { diskId } from '../../qemu/argv.js';
import {
  balloonGuestStats, queryBalloon, queryBlockIoStatus, queryBlockstats, queryCpusFast, setBalloonStatsPeriod, type BalloonGuestStats, type BlockCounters,
} from '../../qemu/monitor-stats.js';
import type { Monitor } from '../../qemu/monitor.js';
import type { Domain, Runtime } from './domain.js';
import { findNic } from './nics.js';
import { affected, redefine, type DomainHost } from './ops.js';
import { readSmallFile } from '../../util/small-file.js';

const notRunning = (): VireoError => VireoError.of('OPERATION_INVALID', 'domain is not running');

/** The running domain's runtime, or libvirt's "domain is not running". */
export function running(dom: Domain): Runtime {
  const rt = dom.runtime;
  if (rt === undefined) throw notRunning();
  return rt;
}

/** A cpuset as written in the XML ('0-3,^2') over `count` host CPUs. */
export function cpusetList(text: string | undefined, count: number): number[] {
  if (text === undefined || text.trim() === '') return Array.from({ length: count }, (_, i) => i);
  const parts = text.split(',').map((p) => p.trim());
  const excluded = new Set(parts.filter((p) => p.startsWith('^')).flatMap((p) => parseCpuList(p.slice(1))));
  return parseCpuList(parts.filter((p) => !p.startsWith('^')).join(',')).filter((c) => !excluded.has(c) && c < count);
}

/** vcpuinfo: each vCPU's host CPU, state, CPU time and affinity (a shut-off guest's from its definition). */
export async function vcpuInfo(host: DomainHost, ref: string, root = '/'): Promise<VcpuInfoReply> {
  const dom = host.lookup(ref);
  const { present } = await hostCpuMap(root);
  const rt = dom.runtime;
  if (rt === undefined) {
    const def = dom.def;
    return {
      hostCpus: present,
      vcpus: Array.from({ length: def.vcpu.current }, (_, i) => ({
        vcpu: i, cpu: null, state: null, cpuTimeNs: null,
        affinity: cpusetList(def.cputune?.vcpupin.find((p) => p.vcpu === i)?.cpuset ?? def.vcpu.cpuset, present),
      })),
    };
  }
  const threads = await queryCpusFast(await host.qmp(dom));
  const vcpus = await Promise.all(threads.map(async (t) => {
    const f = await readThread(rt.pid, t.threadId);
    if (f === undefined) throw notRunning(); // the guest ended meanwhile
    return { vcpu: t.cpuIndex, cpu: f.stat.processor, state: 'running' as const, cpuTimeNs: f.stat.userNs + f.stat.systemNs, affinity: f.affinity };
  }));
  return { hostCpus: present, vcpus };
}

/** vcpucount: maximum and current vCPUs of the stored and the live definition. */
export function vcpuCount(host: DomainHost, ref: string, opts: { guest?: boolean } = {}): VcpuCount {
  const dom = host.lookup(ref);
  if (opts.guest === true) {
    const rt = dom.runtime;
    if (rt === undefined) throw VireoError.of('INVALID_ARG', 'vCPU count provided by the guest agent can only be requested for live domains');
    if (!rt.liveDef.devices.channels.some((c) => c.name === 'org.qemu.guest_agent.0')) {
      throw VireoError.of('ARGUMENT_UNSUPPORTED', 'QEMU guest agent is not configured');
    }
    throw VireoError.of('AGENT_UNRESPONSIVE', 'QEMU guest agent is not connected');
  }
  const config = dom.persistent?.vcpu;
  const live = dom.runtime?.liveDef.vcpu;
  return { maximumConfig: config?.max ?? null, maximumLive: live?.max ?? null, currentConfig: config?.current ?? null, currentLive: live?.current ?? null };
}

/** The disk a domblkstat-style argument names: its target or its source path (libvirt: "invalid path"). */
function diskNamed(def: DomainDef, device: string): Disk {
  const d = def.devices.disks.find((x) => x.target === device || (x.source !== undefined && x.source === device));
  if (d === undefined) throw VireoError.of('INVALID_ARG', `invalid path: ${device}`);
  return d;
}

/** The counters query-blockstats has for one disk of `def`. */
export function countersOf(def: DomainDef, d: Disk, all: BlockCounters[]): BlockCounters | undefined {
  const id = diskId(def, d);
  return all.find((b) => b.qdev === id || b.qdev.startsWith(`/machine/peripheral/${id}/`) || b.device === `drive-${id}`);
}

/** domblkstat: one disk's counters, or every disk's summed (device ''), as libvirt's QEMU driver. */
export async function blockStats(host: DomainHost, ref: string, device?: string): Promise<BlockStats> {
  const dom = host.lookup(ref);
  const rt = running(dom);
  const disks = device === undefined ? rt.liveDef.devices.disks : [diskNamed(rt.liveDef, device)];
  const all = await queryBlockstats(await host.qmp(dom));
  const out: BlockStats = { device: device ?? '', rdReq: 0, rdBytes: 0, wrReq: 0, wrBytes: 0, flushReq: 0, rdTimeNs: 0, wrTimeNs: 0, flushTimeNs: 0 };
  for (const d of disks) {
    const c = countersOf(rt.liveDef, d, all);
    if (c === undefined) {
      if (device !== undefined) throw VireoError.of('OPERATION_FAILED', `QEMU reports no statistics for disk '${d.target}'`);
      continue;
    }
    out.rdReq += c.rdReq;
    out.rdBytes += c.rdBytes;
    out.wrReq += c.wrReq;
    out.wrBytes += c.wrBytes;
    out.flushReq += c.flushReq;
    out.rdTimeNs += c.rdTimeNs;
    out.wrTimeNs += c.wrTimeNs;
    out.flushTimeNs += c.flushTimeNs;
  }
  return out;
}

/** domifstat: a NIC's counters (by tap name or MAC) as the guest sees them. */
export async function interfaceStats(host: DomainHost, ref: string, iface: string): Promise<InterfaceStats> {
  const dom = host.lookup(ref);
  const rt = running(dom);
  let nic;
  try {
    nic = findNic(rt.liveDef, iface).nic;
  } catch {
    throw VireoError.of('INVALID_ARG', `'${iface}' is not a known interface`);
  }
  // A user-mode NIC has no host device to count on; libvirt says so in these words.
  if (nic.targetDev === undefined) throw VireoError.of('INTERNAL', 'Interface name not provided');
  const c = await linkCounters(nic.targetDev);
  if (c === undefined) throw VireoError.of('OPERATION_FAILED', `cannot read the counters of interface '${nic.targetDev}': it does not exist on the host`);
  // What the host's tap receives, the guest sent: libvirt swaps the directions for taps.
  return {
    interface: iface, rxBytes: c.txBytes, rxPackets: c.txPackets, rxErrs: c.txErrors, rxDrop: c.txDropped,
    txBytes: c.rxBytes, txPackets: c.rxPackets, txErrs: c.rxErrors, txDrop: c.rxDropped,
  };
}

/** The balloon driver's statistics as virsh names them, with QEMU's name and the divisor to KiB. */
export const BALLOON_STATS: ReadonlyArray<[string, string, number]> = [
  ['swap_in', 'stat-swap-in', 1024], ['swap_out', 'stat-swap-out', 1024], ['major_fault', 'stat-major-faults', 1],
  ['minor_fault', 'stat-minor-faults', 1], ['unused', 'stat-free-memory', 1024], ['available', 'stat-total-memory', 1024],
  ['usable', 'stat-available-memory', 1024], ['last_update', '', 1], ['disk_caches', 'stat-disk-caches', 1024],
  ['hugetlb_pgalloc', 'stat-htlb-pgalloc', 1], ['hugetlb_pgfail', 'stat-htlb-pgfail', 1],
];

/** The guest's statistics in virsh's order and units (last_update always, the others when the guest sent them). */
export function balloonStatLines(g: BalloonGuestStats): MemStat[] {
  return BALLOON_STATS.flatMap(([tag, qemu, div]) => {
    if (tag === 'last_update') return [{ tag, value: g.lastUpdate }];
    const v = g.stats[qemu];
    return v === undefined ? [] : [{ tag, value: Math.floor(v / div) }];
  });
}

/** What a running guest's balloon reports: its size (KiB) and the guest's statistics, if it has a balloon. */
export async function balloonOf(qmp: Monitor, def: DomainDef): Promise<{ actualKiB: number; guest: BalloonGuestStats | undefined }> {
  if (def.devices.memballoon.model !== 'virtio') return { actualKiB: def.currentMemoryKiB, guest: undefined };
  const [actual, guest] = await Promise.all([queryBalloon(qmp), balloonGuestStats(qmp)]);
  return { actualKiB: Math.floor(actual / 1024), guest };
}

/** dommemstat: the balloon size, the guest's own statistics and QEMU's resident memory, in virsh's order. */
export async function memoryStats(host: DomainHost, ref: string): Promise<MemStat[]> {
  const dom = host.lookup(ref);
  const rt = running(dom);
  const [b, proc] = await Promise.all([balloonOf(await host.qmp(dom), rt.liveDef), readProcess(rt.pid)]);
  if (proc === undefined) throw notRunning();
  return [{ tag: 'actual', value: b.actualKiB }, ...(b.guest === undefined ? [] : balloonStatLines(b.guest)), { tag: 'rss', value: proc.rssKiB }];
}

/** dommemstat --period: how often the guest's balloon driver sends statistics (0: never), live and/or in the config. */
export async function setMemoryStatsPeriod(host: DomainHost, ref: string, r: MemStatsPeriodRequest): Promise<void> {
  if (!Number.isInteger(r.period) || r.period < 0) throw VireoError.of('INVALID_ARG', `invalid statistics period ${r.period}`);
  const dom = host.lookup(ref);
  await dom.jobs.run('memstat-period', 'short', async () => {
    const f = affected(dom, r, 'balloon collection period');
    const set = (def: DomainDef): void => {
      if (r.period === 0) delete def.devices.memballoon.statsPeriod;
      else def.devices.memballoon.statsPeriod = r.period;
    };
    const check = (def: DomainDef): void => {
      if (def.devices.memballoon.model !== 'virtio') {
        throw VireoError.of('OPERATION_INVALID', 'No memory balloon device configured, can not set the collection period');
      }
    };
    let nextConfig: DomainDef | undefined;
    if (f.config) {
      check(dom.persistent!);
      nextConfig = redefine(dom.persistent!, set);
    }
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      check(rt.liveDef);
      await setBalloonStatsPeriod(await host.qmp(dom), r.period);
      set(rt.liveDef);
    }
    if (nextConfig !== undefined) {
      await host.ctx.store.saveConfig(nextConfig);
      dom.persistent = nextConfig;
    }
  });
}

/** domblkerror: the disks QEMU stopped on an I/O error, in libvirt's words. */
export async function blockErrors(host: DomainHost, ref: string): Promise<BlockError[]> {
  const dom = host.lookup(ref);
  const rt = running(dom);
  const status = await queryBlockIoStatus(await host.qmp(dom));
  return rt.liveDef.devices.disks.flatMap((d) => {
    const id = diskId(rt.liveDef, d);
    const s = status.find((b) => b.qdev === id || b.qdev.startsWith(`/machine/peripheral/${id}/`) || b.device === `drive-${id}`);
    if (s?.ioStatus === 'failed') return [{ device: d.target, error: 'unspecified error' }];
    if (s?.ioStatus === 'nospace') return [{ device: d.target, error: 'no space' }];
    return [];
  });
}

/**
 * The guest's own cpuacct cgroup (v1) when QEMU runs in one: the cgroup of QEMU's process (its
 * parent when QEMU sits in an 'emulator' child, as libvirt places it) holding no other process.
 * Undefined when QEMU shares its cgroup (vireod's, say): per-CPU times are then not the guest's.
 */
async function guestCpuacct(pid: number, root: string): Promise<string | undefined> {
  const text = await readSmallFile(path.join(root, 'proc', String(pid), 'cgroup')).catch(() => '');
  const line = text.split('\n').find((l) => l.split(':')[1]?.split(',').includes('cpuacct'));
  const rel = line?.split(':').slice(2).join(':');
  if (rel === undefined || rel === '/' || rel === '') return undefined;
  const mount = (await readSmallFile(path.join(root, 'proc/self/mountinfo')).catch(() => ''))
    .split('\n').map((l) => l.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup' && (f[f.indexOf('-') + 3] ?? '').split(',').includes('cpuacct'));
  if (mount === undefined) return undefined;
  let dir = path.join(root, mount[4]!, rel);
  if (path.basename(dir) === 'emulator') dir = path.dirname(dir);
  const procs = await readSmallFile(path.join(dir, 'cgroup.procs')).catch(() => undefined);
  if (procs === undefined || procs.trim().split('\n').some((p) => p !== '' && Number(p) !== pid)) return undefined;
  return dir;
}

const perCpu = async (file: string): Promise<number[] | undefined> =>
  (await readSmallFile(file).catch(() => undefined))?.trim().split(/\s+/).map(Number);

/**
 * The guest's CPU time per host CPU from its own cpuacct cgroup (`vcpuTimeNs`: its vcpuN children
 * summed, where it has them), or libvirt's words for why there is none. `root`: where /proc and
 * the cgroup mounts are ('/'; the unit test passes a fake tree).
 */
export async function perCpuTimes(pid: number, root = '/'): Promise<{ cpus: NonNullable<CpuStatsReply['cpus']> } | { error: string }> {
  const dir = await guestCpuacct(pid, root);
  const usage = dir === undefined ? undefined : await perCpu(path.join(dir, 'cpuacct.usage_percpu'));
  if (dir === undefined || usage === undefined) return { error: VireoError.of('OPERATION_INVALID', 'cgroup CPUACCT controller is not mounted').message };
  const vcpuDirs = (await fs.readdir(dir).catch(() => [] as string[])).filter((d) => /^vcpu\d+$/.test(d));
  const vcpu = await Promise.all(vcpuDirs.map((d) => perCpu(path.join(dir, d, 'cpuacct.usage_percpu'))));
  return {
    cpus: usage.map((ns, cpu) => ({
      cpu, cpuTimeNs: ns,
      ...(vcpuDirs.length === 0 ? {} : { vcpuTimeNs: vcpu.reduce((sum, v) => sum + (v?.[cpu] ?? 0), 0) }),
    })),
  };
}

/**
 * cpu-stats: the guest's CPU time in total (QEMU's process: every thread, the ended ones too) and,
 * with `perCpu`, per host CPU. The kernel counts per-CPU time only per cgroup
 * (cpuacct.usage_percpu), so that part needs the guest in its own cgroup; without one the reply
 * says why (libvirt's words) and the total still comes.
 */
export async function cpuStats(host: DomainHost, ref: string, opts: { perCpu: boolean }, root = '/'): Promise<CpuStatsReply & { hostCpus: number; perCpuError?: string }> {
  const dom = host.lookup(ref);
  const rt = running(dom);
  const [{ present }, proc] = await Promise.all([hostCpuMap(root), readProcess(rt.pid)]);
  if (proc === undefined) throw notRunning();
  const out: CpuStatsReply & { hostCpus: number; perCpuError?: string } = {
    hostCpus: present,
    total: { cpuTimeNs: proc.userNs + proc.systemNs, userTimeNs: proc.userNs, systemTimeNs: proc.systemNs },
  };
  if (!opts.perCpu) return out;
  const per = await perCpuTimes(rt.pid);
  if ('error' in per) out.perCpuError = per.error;
  else out.cpus = per.cpus;
  return out;
}
