/**
 * schedinfo, memtune, blkiotune, numatune, vcpupin, emulatorpin and cpu-stats: a guest's resource
 * tuning read from its cgroup (running) or its definition, and changed in either or both
 * (--live/--config/--current) as one job. As in hotplug.ts the config change is computed (and
 * checked) first and saved only after the live change worked. Values are checked with libvirt's
 * words; what the cgroup files hold is in tuning-live.ts.
 */
import { VireoError } from '../../api/errors.js';
import type { DomainTuning, ModificationImpact, SchedParams, TuningChange } from '../../api/types.js';
import type { CpuTune, DomainDef } from '../../conf/domain-model.js';
import { formatCpuList, parseCpuList } from '../../host/cgroup-path.js';
import { onlineCpus } from '../../host/affinity.js';
import { affected, redefine, type DomainHost } from './ops.js';
import { vcpuPin } from './cgroups.js';
import { saveStatus } from './context.js';
import { SNAKE as SCHED_NAMES, applyLive, liveTuning, requireCgroup } from './tuning-live.js';

const QUOTA_MAX = 17592186044415;
/** libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, KiB. */
const MEMORY_MAX_KIB = 9007199254740991;

/** The tuning a get (with virsh's --live/--config) shows. */
export async function getTuning(host: DomainHost, ref: string, r: ModificationImpact): Promise<DomainTuning> {
  const dom = host.lookup(ref);
  if (r.live === true && r.config === true) throw VireoError.of('INVALID_ARG', "flags 'live' and 'config' are mutually exclusive");
  if (r.live === true && !dom.active) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
  const rt = dom.runtime;
  if (rt !== undefined && r.config !== true) return liveTuning(rt);
  return configTuning(r.config === true ? dom.persistent ?? dom.def : dom.def);
}

/** The tuning a definition holds (what virsh shows with --config: 0 where a value is not set). */
export async function configTuning(def: DomainDef): Promise<DomainTuning> {
  const t = def.cputune;
  const all = await onlineCpus();
  const m = def.memtune;
  return {
    sched: {
      cpuShares: t?.shares ?? 0, vcpuPeriod: t?.period ?? 0, vcpuQuota: t?.quota ?? 0, emulatorPeriod: t?.emulatorPeriod ?? 0,
      emulatorQuota: t?.emulatorQuota ?? 0, globalPeriod: t?.globalPeriod ?? 0, globalQuota: t?.globalQuota ?? 0,
      iothreadPeriod: t?.iothreadPeriod ?? 0, iothreadQuota: t?.iothreadQuota ?? 0,
    },
    memory: { hardLimitKiB: m?.hardLimitKiB ?? null, softLimitKiB: m?.softLimitKiB ?? null, swapHardLimitKiB: m?.swapHardLimitKiB ?? null },
    blkio: { weight: def.blkiotune?.weight ?? 0, devices: structuredClone(def.blkiotune?.devices ?? []) },
    numa: { mode: def.numatune?.memory?.mode ?? 'strict', nodeset: def.numatune?.memory?.nodeset ?? '' },
    vcpupin: Array.from({ length: def.vcpu.max }, (_, i) => vcpuPin(def, i) ?? def.vcpu.cpuset ?? all),
    emulatorpin: t?.emulatorpin ?? def.vcpu.cpuset ?? all,
  };
}

/** Change tuning; answers with the tuning of what was changed (the running guest's when it was). */
export async function setTuning(host: DomainHost, ref: string, c: TuningChange): Promise<DomainTuning> {
  const dom = host.lookup(ref);
  return dom.jobs.run('tune', 'short', async () => {
    const what = c.vcpupin !== undefined || c.emulatorpin !== undefined ? 'vcpu affinity' : 'tunables';
    if (c.live === true && !dom.active) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
    // libvirt's words for tuning a transient guest's (absent) stored definition.
    if (c.config === true && dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot change persistent config of a transient domain');
    const f = affected(dom, c, what);
    const all = parseCpuList(await onlineCpus()) ?? [0];
    const nextConfig = f.config ? redefine(dom.persistent!, (next) => change(next, c, all, 'persistent')) : undefined;
    const rt = dom.runtime;
    if (f.live && rt !== undefined) {
      requireCgroup(rt);
      const nextLive = structuredClone(rt.liveDef);
      change(nextLive, c, all, 'live', rt.liveDef);
      const params = await applyLive(rt, nextLive, c);
      rt.liveDef = nextLive;
      await saveStatus(host.ctx, dom); // a restarted vireod must find the live values
      host.ctx.changedTunables?.(dom, params);
    }
    if (nextConfig !== undefined) {
      await host.ctx.store.saveConfig(nextConfig);
      dom.persistent = nextConfig;
    }
    return f.live && rt !== undefined ? liveTuning(rt) : configTuning(dom.persistent ?? dom.def);
  });
}

/** Apply the change to a definition, checking each value as libvirt does (`which`: for messages). */
function change(def: DomainDef, c: TuningChange, hostCpus: number[], which: 'live' | 'persistent', running?: DomainDef): void {
  if (c.sched !== undefined) changeSched(def, c.sched);
  if (c.memory !== undefined) changeMemory(def, c.memory);
  if (c.blkio !== undefined) changeBlkio(def, c.blkio);
  if (c.numa !== undefined) changeNuma(def, c.numa, running);
  if (c.vcpupin !== undefined) {
    const { vcpu, cpuset } = c.vcpupin;
    const count = which === 'live' ? def.vcpu.current : def.vcpu.max;
    if (vcpu >= count) throw VireoError.of('INVALID_ARG', `vcpu ${vcpu} is out of range of ${which} cpu count ${count}`);
    const list = checkCpus(cpuset, hostCpus);
    const t = cputune(def);
    t.vcpupin = t.vcpupin.filter((p) => p.vcpu !== vcpu);
    // Pinned to every host CPU is not pinned: libvirt drops the element.
    if (list !== formatCpuList(hostCpus)) t.vcpupin.push({ vcpu, cpuset: list });
    t.vcpupin.sort((a, b) => a.vcpu - b.vcpu);
  }
  if (c.emulatorpin !== undefined) {
    const list = checkCpus(c.emulatorpin, hostCpus);
    const t = cputune(def);
    if (list === formatCpuList(hostCpus)) delete t.emulatorpin;
    else t.emulatorpin = list;
  }
}

function cputune(def: DomainDef): CpuTune {
  return (def.cputune ??= { vcpupin: [] });
}

/** A CPU list the host can honour, in the kernel's form; virsh's words when it cannot. */
export function checkCpus(list: string, hostCpus: number[]): string {
  const cpus = parseCpuList(list);
  if (cpus === undefined || cpus.length === 0) throw VireoError.of('INVALID_ARG', `Failed to parse bitmap '${list}'`);
  const max = Math.max(...hostCpus) + 1;
  const over = cpus.find((n) => n >= max);
  if (over !== undefined) throw new VireoError('INVALID_ARG', `CPU ${over} in cpulist '${list}' exceed the maxcpu ${max}`);
  return formatCpuList(cpus);
}

function changeSched(def: DomainDef, s: Partial<SchedParams>): void {
  const t = cputune(def);
  const range = (key: keyof SchedParams, v: number, min: number, max: number): number => {
    if (v < min || v > max) throw VireoError.of('INVALID_ARG', `value of '${SCHED_NAMES[key]}' is out of range [${min}, ${max}]`);
    return v;
  };
  if (s.cpuShares !== undefined) {
    if (s.cpuShares < 2 || s.cpuShares > 262144) throw VireoError.of('INVALID_ARG', `shares '${s.cpuShares}' must be in range [2, 262144]`);
    t.shares = s.cpuShares;
  }
  // A period or quota of 0 leaves the value as it is (libvirt's rule); a negative quota is "no limit".
  const pq: Array<[keyof SchedParams, 'period' | 'quota' | 'globalPeriod' | 'globalQuota' | 'emulatorPeriod' | 'emulatorQuota' | 'iothreadPeriod' | 'iothreadQuota', boolean]> = [
    ['vcpuPeriod', 'period', false], ['vcpuQuota', 'quota', true], ['globalPeriod', 'globalPeriod', false], ['globalQuota', 'globalQuota', true],
    ['emulatorPeriod', 'emulatorPeriod', false], ['emulatorQuota', 'emulatorQuota', true], ['iothreadPeriod', 'iothreadPeriod', false], ['iothreadQuota', 'iothreadQuota', true],
  ];
  for (const [key, field, quota] of pq) {
    const v = s[key];
    if (v === undefined || v === 0) continue;
    t[field] = quota ? (v < 0 ? -1 : range(key, v, 1000, QUOTA_MAX)) : range(key, v, 1000, 1000000);
  }
}

function changeMemory(def: DomainDef, m: NonNullable<TuningChange['memory']>): void {
  if (m.minGuaranteeKiB !== undefined) throw VireoError.of('ARGUMENT_UNSUPPORTED', "parameter 'min_guarantee' not supported");
  const t = (def.memtune ??= {});
  const set = (key: 'hardLimitKiB' | 'softLimitKiB' | 'swapHardLimitKiB', v: number | null | undefined): void => {
    if (v === undefined) return;
    if (v !== null && v > MEMORY_MAX_KIB) throw VireoError.of('INVALID_ARG', `Memory '${v}' must be less than '${MEMORY_MAX_KIB}'`);
    if (v === null || v === MEMORY_MAX_KIB) delete t[key];
    else t[key] = v;
  };
  set('hardLimitKiB', m.hardLimitKiB);
  set('softLimitKiB', m.softLimitKiB);
  set('swapHardLimitKiB', m.swapHardLimitKiB);
  if (t.hardLimitKiB !== undefined && t.swapHardLimitKiB !== undefined && t.hardLimitKiB > t.swapHardLimitKiB) {
    throw VireoError.of('INVALID_ARG', 'memory hard_limit tunable value must be lower than or equal to swap_hard_limit');
  }
  if (Object.keys(t).length === 0) delete def.memtune;
}

function changeBlkio(def: DomainDef, b: NonNullable<TuningChange['blkio']>): void {
  const t = (def.blkiotune ??= { devices: [] });
  if (b.weight !== undefined) {
    if (b.weight < 100 || b.weight > 1000) throw VireoError.of('INVALID_ARG', 'out of blkio weight range.');
    t.weight = b.weight;
  }
  for (const d of b.devices ?? []) {
    if (d.weight !== undefined && d.weight !== 0 && (d.weight < 100 || d.weight > 1000)) throw VireoError.of('INVALID_ARG', 'out of blkio weight range.');
    let cur = t.devices.find((x) => x.path === d.path);
    if (cur === undefined) t.devices.push((cur = { path: d.path }));
    for (const k of ['weight', 'readBytesSec', 'writeBytesSec', 'readIopsSec', 'writeIopsSec'] as const) {
      const v = d[k];
      if (v === undefined) continue;
      if (v === 0) delete cur[k];
      else cur[k] = v;
    }
    if (Object.keys(cur).length === 1) t.devices.splice(t.devices.indexOf(cur), 1);
  }
}

const NUMA_MODES = ['strict', 'preferred', 'interleave', 'restrictive'] as const;

function changeNuma(def: DomainDef, n: NonNullable<TuningChange['numa']>, running: DomainDef | undefined): void {
  const cur = def.numatune?.memory;
  const mode = n.mode ?? cur?.mode ?? 'strict';
  if (!(NUMA_MODES as readonly string[]).includes(mode)) throw VireoError.of('INVALID_ARG', `unsupported numatune mode: '${mode}'`);
  if (running !== undefined && n.mode !== undefined && n.mode !== (cur?.mode ?? 'strict')) {
    throw VireoError.of('OPERATION_INVALID', "can't change numatune mode for running domain");
  }
  const nodeset = n.nodeset ?? cur?.nodeset;
  if (running !== undefined && n.nodeset !== undefined && mode !== 'strict' && mode !== 'restrictive') {
    throw VireoError.of('OPERATION_INVALID', 'change of nodeset for running domain requires strict numa mode');
  }
  if (nodeset !== undefined && parseCpuList(nodeset) === undefined) throw VireoError.of('INVALID_ARG', `Failed to parse bitmap '${nodeset}'`);
  const tune = (def.numatune ??= { memnodes: [] });
  tune.memory = nodeset === undefined
    ? { mode: mode as (typeof NUMA_MODES)[number], placement: 'auto' }
    : { mode: mode as (typeof NUMA_MODES)[number], placement: 'static', nodeset: formatCpuList(parseCpuList(nodeset)!) };
}
