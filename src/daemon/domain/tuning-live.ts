/**
 * The running guest's side of tuning.ts: reading what its cgroup and threads really hold, and
 * writing a change there. Returns libvirt's tunable event parameters for what it changed.
 */
import { VireoError } from '../../api/errors.js';
import type { DomainTuning, SchedParams, TuningChange } from '../../api/types.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { notMounted, type GuestCgroup, type Throttle } from '../../host/cgroup.js';
import type { ThreadGroup, V1Controller } from '../../host/cgroup-path.js';
import { affinityOf, onlineCpus, setAffinity, threadsOf } from '../../host/affinity.js';
import { blockDevice, numaMems, vcpuPin } from './cgroups.js';
import type { Runtime } from './domain.js';

/** The running guest's group, or libvirt's error when it has none (a session daemon, a host without the controller). */
export function requireCgroup(rt: Runtime, ctrl: V1Controller = 'cpu'): GuestCgroup {
  const cg = rt.cgroup;
  if (cg?.dir(ctrl) === undefined) throw notMounted(ctrl);
  return cg;
}

const vcpuGroups = (rt: Runtime): ThreadGroup[] => [...(rt.vcpuThreads?.keys() ?? [])].map((i) => `vcpu${i}` as const);
const iothreadGroups = (rt: Runtime): ThreadGroup[] => [...(rt.iothreadThreads?.keys() ?? [])].map((i) => `iothread${i}` as const);

/** What the running guest's cgroup and threads hold. */
export async function liveTuning(rt: Runtime): Promise<DomainTuning> {
  const cg = requireCgroup(rt);
  const def = rt.liveDef;
  const vcpus = vcpuGroups(rt);
  const vcpu = await cg.cfs(vcpus[0]);
  const emulator = await cg.cfs('emulator');
  const global = await cg.cfs();
  const io = iothreadGroups(rt)[0];
  const iothread = io === undefined ? global : await cg.cfs(io);
  const mem = cg.dir('memory') === undefined ? {} : await cg.memory();
  const weight = await cg.blkioWeight().catch(() => def.blkiotune?.weight ?? 0);
  const pins: string[] = [];
  for (const [, tid] of [...(rt.vcpuThreads ?? new Map<number, number>())].sort((a, b) => a[0] - b[0])) pins.push(await affinityOf(rt.pid, tid).catch(() => ''));
  return {
    sched: {
      cpuShares: await cg.shares(), vcpuPeriod: vcpu.period, vcpuQuota: vcpu.quota, emulatorPeriod: emulator.period, emulatorQuota: emulator.quota,
      // Without I/O threads the group's own bandwidth is shown, as libvirt shows it.
      globalPeriod: global.period, globalQuota: global.quota, iothreadPeriod: iothread.period, iothreadQuota: iothread.quota,
    },
    memory: { hardLimitKiB: mem.hard ?? null, softLimitKiB: mem.soft ?? null, swapHardLimitKiB: mem.swapHard ?? null },
    blkio: { weight, devices: structuredClone(def.blkiotune?.devices ?? []) },
    numa: { mode: def.numatune?.memory?.mode ?? 'strict', nodeset: def.numatune?.memory?.nodeset ?? '' },
    vcpupin: pins,
    emulatorpin: await affinityOf(rt.pid, rt.pid),
  };
}

/**
 * Write a change (already checked and applied to `next`, the new live definition) into the
 * guest's group and threads. Returns the tunable event's parameters.
 */
export async function applyLive(rt: Runtime, next: DomainDef, c: TuningChange): Promise<Array<[string, string]>> {
  const cg = requireCgroup(rt);
  const params: Array<[string, string]> = [];
  if (c.sched !== undefined) params.push(...(await applySched(rt, cg, next, c.sched)));
  if (c.memory !== undefined) {
    const m = c.memory;
    requireCgroup(rt, 'memory');
    await cg.setMemory({
      ...(m.hardLimitKiB === undefined ? {} : { hard: next.memtune?.hardLimitKiB ?? null }),
      ...(m.softLimitKiB === undefined ? {} : { soft: next.memtune?.softLimitKiB ?? null }),
      ...(m.swapHardLimitKiB === undefined ? {} : { swapHard: next.memtune?.swapHardLimitKiB ?? null }),
    });
  }
  if (c.blkio !== undefined) {
    requireCgroup(rt, 'blkio');
    if (c.blkio.weight !== undefined) await cg.setBlkioWeight(c.blkio.weight);
    for (const d of c.blkio.devices ?? []) {
      const dev = await blockDevice(d.path);
      if (d.weight !== undefined) await cg.setDeviceWeight(dev, d.weight);
      const throttles: [Throttle, number | undefined][] = [['read_bps', d.readBytesSec], ['write_bps', d.writeBytesSec], ['read_iops', d.readIopsSec], ['write_iops', d.writeIopsSec]];
      for (const [kind, v] of throttles) if (v !== undefined) await cg.setThrottle(dev, kind, v);
    }
  }
  if (c.numa?.nodeset !== undefined) {
    const mems = numaMems(next);
    if (mems !== undefined) await requireCgroup(rt, 'cpuset').setMems(mems, ['emulator', ...vcpuGroups(rt), ...iothreadGroups(rt)]);
  }
  const all = await onlineCpus();
  if (c.vcpupin !== undefined) {
    const { vcpu } = c.vcpupin;
    const tid = rt.vcpuThreads?.get(vcpu);
    if (tid === undefined) throw VireoError.of('OPERATION_FAILED', `vCPU ${vcpu} has no thread QEMU reported`);
    const list = vcpuPin(next, vcpu) ?? next.vcpu.cpuset ?? all;
    await requireCgroup(rt, 'cpuset').setCpus(`vcpu${vcpu}`, list);
    await setAffinity(tid, list);
    params.push([`cputune.vcpupin${vcpu}`, list]);
  }
  if (c.emulatorpin !== undefined) {
    const list = next.cputune?.emulatorpin ?? next.vcpu.cpuset ?? all;
    await requireCgroup(rt, 'cpuset').setCpus('emulator', list);
    // The emulator's threads only: vCPUs and I/O threads keep their own pinning.
    const own = new Set([...(rt.vcpuThreads?.values() ?? []), ...(rt.iothreadThreads?.values() ?? [])]);
    for (const tid of await threadsOf(rt.pid)) if (!own.has(tid)) await setAffinity(tid, list);
    params.push(['cputune.emulatorpin', list]);
  }
  return params;
}

async function applySched(rt: Runtime, cg: GuestCgroup, next: DomainDef, s: Partial<SchedParams>): Promise<Array<[string, string]>> {
  const t = next.cputune;
  const params: Array<[string, string]> = [];
  if (s.cpuShares !== undefined) {
    await cg.setShares(s.cpuShares);
    params.push(['cputune.cpu_shares', String(s.cpuShares)]);
  }
  const given = (v: number | undefined): boolean => v !== undefined && v !== 0;
  if (given(s.vcpuPeriod) || given(s.vcpuQuota)) {
    for (const g of vcpuGroups(rt)) await cg.setCfs(g, pick(given(s.vcpuPeriod) ? t?.period : undefined, given(s.vcpuQuota) ? t?.quota : undefined));
  }
  if (given(s.emulatorPeriod) || given(s.emulatorQuota)) {
    await cg.setCfs('emulator', pick(given(s.emulatorPeriod) ? t?.emulatorPeriod : undefined, given(s.emulatorQuota) ? t?.emulatorQuota : undefined));
  }
  if (given(s.iothreadPeriod) || given(s.iothreadQuota)) {
    for (const g of iothreadGroups(rt)) await cg.setCfs(g, pick(given(s.iothreadPeriod) ? t?.iothreadPeriod : undefined, given(s.iothreadQuota) ? t?.iothreadQuota : undefined));
  }
  if (given(s.globalPeriod) || given(s.globalQuota)) {
    await cg.setCfs(undefined, pick(given(s.globalPeriod) ? t?.globalPeriod : undefined, given(s.globalQuota) ? t?.globalQuota : undefined));
  }
  const order: Array<[keyof SchedParams, number | undefined]> = [
    ['vcpuPeriod', t?.period], ['vcpuQuota', t?.quota], ['globalPeriod', t?.globalPeriod], ['globalQuota', t?.globalQuota],
    ['emulatorPeriod', t?.emulatorPeriod], ['emulatorQuota', t?.emulatorQuota], ['iothreadPeriod', t?.iothreadPeriod], ['iothreadQuota', t?.iothreadQuota],
  ];
  for (const [key, v] of order) if (given(s[key]) && v !== undefined) params.push([`cputune.${SNAKE[key]}`, String(v)]);
  return params;
}

/** virsh's names of the scheduler parameters. */
export const SNAKE: Record<keyof SchedParams, string> = {
  cpuShares: 'cpu_shares', vcpuPeriod: 'vcpu_period', vcpuQuota: 'vcpu_quota', emulatorPeriod: 'emulator_period', emulatorQuota: 'emulator_quota',
  globalPeriod: 'global_period', globalQuota: 'global_quota', iothreadPeriod: 'iothread_period', iothreadQuota: 'iothread_quota',
};

const pick = (period: number | undefined, quota: number | undefined): { period?: number; quota?: number } => ({
  ...(period === undefined ? {} : { period }),
  ...(quota === undefined ? {} : { quota }),
});
