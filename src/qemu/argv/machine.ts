/**
 * The machine itself: firmware, -machine, -cpu, memory and NUMA, -smp, SMBIOS, clock and timers,
 * power management and boot options.
 */

import { VireoError } from '../../api/errors.js';
import { isQ35 } from '../../conf/domain-implicit.js';
import { initialMemoryKiB } from '../../conf/domain-parse-memory.js';
import { HYPERV_FLAGS, type CpuConfig, type DomainDef, type HypervFlag } from '../../conf/domain-model.js';
import type { LaunchOptions } from './index.js';
import { esc, json, type Argv, type Json } from './util.js';

/** Node names of the firmware and variable-store blockdevs. */
const PFLASH0 = 'vireo-pflash0';
const PFLASH1 = 'vireo-pflash1';

/** -blockdev for a pflash loader and its NVRAM, which -machine then names. */
export function firmwareArgs(def: DomainDef, out: Argv): void {
  const loader = def.os.loader;
  if (loader?.type !== 'pflash') return;
  if (loader.path === undefined) {
    throw VireoError.of('INTERNAL', `the firmware of domain '${def.name}' was not resolved before building its command line`);
  }
  const pair = (node: string, file: string, readOnly: boolean): void => {
    out.push('-blockdev', json({ driver: 'file', filename: file, 'node-name': `${node}-storage`, 'auto-read-only': true, discard: 'unmap' }));
    out.push('-blockdev', json({ 'node-name': `${node}-format`, 'read-only': readOnly, driver: 'raw', file: `${node}-storage` }));
  };
  pair(PFLASH0, loader.path, loader.readonly !== false);
  const nvram = def.os.nvram?.path;
  if (nvram !== undefined) pair(PFLASH1, nvram, false);
}

export function machineArg(def: DomainDef, opts: LaunchOptions, memoryBackend: boolean): string {
  const f = def.features;
  const parts = [esc(def.os.machine), 'usb=off'];
  if (f.vmport !== undefined) parts.push(`vmport=${f.vmport}`);
  const secureLoader = def.os.loader?.secure === true;
  if (f.smm !== undefined) parts.push(`smm=${f.smm}`);
  else if (secureLoader) parts.push('smm=on');
  parts.push('dump-guest-core=off');
  if (def.memoryBacking?.nosharepages === true) parts.push('mem-merge=off');
  if (memoryBackend) parts.push('memory-backend=pc.ram');
  if (def.os.loader?.type === 'pflash') {
    parts.push(`pflash0=${PFLASH0}-format`);
    if (def.os.nvram?.path !== undefined) parts.push(`pflash1=${PFLASH1}-format`);
  }
  if (def.os.bios?.useserial === true) parts.push('graphics=off');
  if (f.ioapic === 'qemu' && opts.accel === 'kvm') parts.push('kernel-irqchip=split');
  return parts.join(',');
}

/** libvirt's CPU feature names that QEMU spells differently. */
const QEMU_FEATURE_NAMES: Record<string, string> = {
  pclmuldq: 'pclmulqdq', ds_cpl: 'ds-cpl', lahf_lm: 'lahf-lm', cmp_legacy: 'cmp-legacy', fxsr_opt: 'fxsr-opt',
  tsc_adjust: 'tsc-adjust', invtsc: 'invtsc', 'tsc-deadline': 'tsc-deadline',
};

/** QEMU's property name of a Hyper-V enlightenment. */
const HV_NAMES: Record<HypervFlag, string> = {
  relaxed: 'hv-relaxed', vapic: 'hv-vapic', spinlocks: 'hv-spinlocks', vpindex: 'hv-vpindex', runtime: 'hv-runtime',
  synic: 'hv-synic', stimer: 'hv-stimer', reset: 'hv-reset', vendor_id: 'hv-vendor-id', frequencies: 'hv-frequencies',
  reenlightenment: 'hv-reenlightenment', tlbflush: 'hv-tlbflush', ipi: 'hv-ipi', evmcs: 'hv-evmcs', avic: 'hv-avic',
};

/** The CPU model with its feature switches. */
export function cpuArg(def: DomainDef, opts: LaunchOptions): string {
  const cpu: CpuConfig | undefined = def.cpu;
  const parts: string[] = [];
  switch (cpu?.mode) {
    case undefined:
      parts.push('qemu64');
      break;
    case 'host-passthrough':
    case 'maximum':
      // TCG cannot pass the host CPU through (libvirt refuses host-passthrough for TCG guests);
      // 'max' gives the guest every feature TCG emulates, the nearest thing to "the host's CPU".
      parts.push(opts.accel === 'kvm' && cpu.mode === 'host-passthrough' ? 'host' : 'max');
      if (cpu.migratable !== undefined) parts.push(`migratable=${cpu.migratable}`);
      break;
    case 'host-model':
      // libvirt turns host-model into a named model from its CPU map at start; vireo has no CPU
      // map yet, so KVM guests get the host CPU and TCG guests everything TCG emulates ('max').
      parts.push(opts.accel === 'kvm' ? 'host' : 'max');
      break;
    case 'custom':
      parts.push(cpu.model?.name ?? 'qemu64');
      break;
  }
  for (const f of cpu?.features ?? []) {
    const name = QEMU_FEATURE_NAMES[f.name] ?? f.name;
    parts.push(`${name}=${f.policy === 'disable' || f.policy === 'forbid' ? 'off' : 'on'}`);
  }
  const timer = (n: string): boolean | undefined => def.clock.timers.find((t) => t.name === n)?.present;
  if (timer('kvmclock') === false) parts.push('kvmclock=off');
  const hv = def.features.hyperv;
  if (timer('hypervclock') === true) parts.push('hv-time=on');
  if (hv !== undefined) {
    if (hv.mode === 'passthrough') parts.push('hv-passthrough=on');
    for (const name of HYPERV_FLAGS) {
      const st = hv.flags[name];
      if (st === undefined) continue;
      // Under TCG QEMU refuses the virtual-processor index ("kernel doesn't allow setting HyperV
      // VP_INDEX"): it is an interface to KVM. The other enlightenments TCG takes; Windows runs
      // without VP_INDEX, only less efficiently, so a TCG guest leaves it out rather than not start.
      if (name === 'vpindex' && opts.accel === 'tcg') continue;
      if (name === 'spinlocks' && st === 'on') parts.push(`hv-spinlocks=0x${(hv.spinlockRetries ?? 8191).toString(16)}`);
      else if (name === 'vendor_id' && st === 'on') parts.push(`hv-vendor-id=${esc(hv.vendorId ?? '')}`);
      else if (name !== 'spinlocks' && name !== 'vendor_id') parts.push(`${HV_NAMES[name]}=${st}`);
      if (name === 'stimer' && hv.stimerDirect !== undefined) parts.push(`hv-stimer-direct=${hv.stimerDirect}`);
    }
  }
  if (def.devices.panics.some((p) => p.model === 'hyperv')) parts.push('hv-crash=on');
  if (def.features.kvmHidden === 'on') parts.push('kvm=off');
  if (def.features.pvspinlock !== undefined) parts.push(`kvm-pv-unhalt=${def.features.pvspinlock}`);
  if (def.features.apicEoi !== undefined) parts.push(`kvm-pv-eoi=${def.features.apicEoi}`);
  if (def.features.pmu !== undefined) parts.push(`pmu=${def.features.pmu}`);
  return parts.join(',');
}

export function memoryArg(kib: number): string {
  return kib % 1024 === 0 ? String(kib / 1024) : `${kib}k`;
}

/** True when guest RAM must be an explicit memory backend (huge pages, shared or file memory, NUMA). */
export function needsMemoryBackend(def: DomainDef): boolean {
  const m = def.memoryBacking;
  return m !== undefined && (m.hugepages !== undefined || m.source !== undefined || m.access !== undefined || m.allocation !== undefined || m.discard === true);
}

/** What a memory module says about its own backing memory, over <memoryBacking>. */
export interface BackendOverrides {
  /** Guest NUMA node the memory belongs to (which <hugepages><page nodeset> applies). */
  cell?: number;
  access?: 'shared' | 'private';
  discard?: boolean;
  /** A huge page size asked for this memory alone (a DIMM's <source><pagesize>). */
  pagesizeKiB?: number;
  /** Back it with a file even without <source type='file'/> (libvirt does for a DIMM's own access or discard). */
  file?: boolean;
}

/** The memory-backend object of guest RAM (boot memory, a NUMA cell, a DIMM), as <memoryBacking> says. */
export function backendProps(def: DomainDef, opts: LaunchOptions, id: string, kib: number, access: 'shared' | 'private' | undefined, hostNodes?: Json, over: BackendOverrides = {}): Json {
  const m = def.memoryBacking ?? {};
  const size = kib * 1024;
  let obj: Json;
  // The page size for this memory: the module's own, else the <page> naming this NUMA cell, else the one naming none.
  const cell = over.cell ?? (id.startsWith('ram-node') ? Number(id.slice(8)) : undefined);
  const page = over.pagesizeKiB !== undefined ? { sizeKiB: over.pagesizeKiB }
    : m.hugepages?.find((p) => cell !== undefined && p.nodeset !== undefined && expandList(p.nodeset).includes(cell))
      ?? m.hugepages?.find((p) => p.nodeset === undefined);
  const huge = over.pagesizeKiB !== undefined || m.hugepages !== undefined;
  if (huge) {
    if (opts.hugepagesPath === undefined) {
      throw VireoError.of('NO_SUPPORT', `domain '${def.name}' asks for huge pages, but hugetlbfs is not mounted on this host (mount -t hugetlbfs none /dev/hugepages, and reserve pages in /proc/sys/vm/nr_hugepages)`);
    }
    obj = m.source === 'memfd'
      ? { 'qom-type': 'memory-backend-memfd', id, hugetlb: true, ...(page?.sizeKiB === undefined ? {} : { hugetlbsize: page.sizeKiB * 1024 }) }
      : { 'qom-type': 'memory-backend-file', id, 'mem-path': opts.hugepagesPath };
  } else if (m.source === 'memfd') {
    obj = { 'qom-type': 'memory-backend-memfd', id };
  } else if (m.source === 'file' || over.file === true) {
    obj = { 'qom-type': 'memory-backend-file', id, 'mem-path': opts.memoryFileDir ?? '/dev/shm' };
  } else {
    obj = { 'qom-type': 'memory-backend-ram', id };
  }
  if ((over.access ?? access ?? m.access) === 'shared') obj.share = true;
  if (huge || m.allocation?.mode === 'immediate') obj.prealloc = true;
  if (m.allocation?.threads !== undefined) obj['prealloc-threads'] = m.allocation.threads;
  if (over.discard ?? m.discard === true) obj['discard-data'] = true;
  obj.size = size;
  return { ...obj, ...hostNodes };
}

/** -m, the guest RAM backend(s), -overcommit, -smp and -numa. */
export function memoryAndCpus(def: DomainDef, opts: LaunchOptions, out: Argv): void {
  const numa = def.cpu?.numa;
  if (def.maxMemory !== undefined) {
    // -m size is the boot memory; the modules come as pc-dimm devices (argv/memory.ts).
    out.push('-m', `size=${initialMemoryKiB(def)}k,slots=${def.maxMemory.slots},maxmem=${def.maxMemory.kib}k`);
  } else {
    out.push('-m', memoryArg(def.memoryKiB));
  }
  if (numa === undefined && needsMemoryBackend(def)) {
    out.push('-object', json(backendProps(def, opts, 'pc.ram', def.memoryKiB, undefined)));
  }
  out.push('-overcommit', `mem-lock=${def.memoryBacking?.locked === true ? 'on' : 'off'}`);
  const v = def.vcpu;
  const t = def.cpu?.topology ?? { sockets: v.max, dies: 1, cores: 1, threads: 1 };
  const smp = [String(v.current)];
  if (v.current !== v.max) smp.push(`maxcpus=${v.max}`);
  smp.push(`sockets=${t.sockets}`);
  if (t.dies > 1) smp.push(`dies=${t.dies}`);
  smp.push(`cores=${t.cores}`, `threads=${t.threads}`);
  out.push('-smp', smp.join(','));
  for (const cell of numa ?? []) {
    const memnode = def.numatune?.memnodes.find((m) => m.cellid === cell.id);
    const policy = memnode === undefined || memnode.mode === 'restrictive' ? undefined
      : { 'host-nodes': expandList(memnode.nodeset), policy: memnode.mode === 'strict' ? 'bind' : memnode.mode };
    out.push('-object', json(backendProps(def, opts, `ram-node${cell.id}`, cell.memoryKiB, cell.memAccess, policy)));
    const cpus = cell.cpus.split(',').map((r) => `cpus=${r.trim()}`).join(',');
    out.push('-numa', `node,nodeid=${cell.id},${cpus},memdev=ram-node${cell.id}`);
  }
}

/** '0-2,5' -> [0, 1, 2, 5] ('^N' exclusions removed). */
export function expandList(list: string): number[] {
  const set = new Set<number>();
  const excluded = new Set<number>();
  for (const part of list.split(',').map((p) => p.trim())) {
    const neg = part.startsWith('^');
    const [a, b] = (neg ? part.slice(1) : part).split('-').map(Number) as [number, number | undefined];
    for (let i = a; i <= (b ?? a); i++) (neg ? excluded : set).add(i);
  }
  return [...set].filter((n) => !excluded.has(n)).sort((x, y) => x - y);
}

/** -smbios tables from <sysinfo> (mode 'sysinfo'). */
export function smbiosArgs(def: DomainDef, out: Argv): void {
  if (def.os.smbios === 'host') {
    throw VireoError.of('NO_SUPPORT', "<smbios mode='host'/> is not supported yet; use mode 'sysinfo' with a <sysinfo> element");
  }
  const s = def.sysinfo;
  if (def.os.smbios !== 'sysinfo' || s === undefined) return;
  const table = (type: number, entries: Array<{ name: string; value: string }>): void => {
    if (entries.length === 0) return;
    out.push('-smbios', [`type=${type}`, ...entries.map((e) => `${e.name}=${esc(e.value)}`)].join(','));
  };
  table(0, s.bios);
  table(1, s.system);
  for (const b of s.baseBoards) table(2, b);
  table(3, s.chassis);
  if (s.oemStrings.length > 0) out.push('-smbios', ['type=11', ...s.oemStrings.map((v) => `value=${esc(v)}`)].join(','));
}

/** -rtc and the timer globals. */
export function clockArgs(def: DomainDef, opts: LaunchOptions, out: Argv): void {
  const c = def.clock;
  let base: string = c.offset;
  if (c.offset === 'variable') {
    // QEMU takes an absolute start time; libvirt computes it from now, the basis and the adjustment.
    const now = opts.now ?? new Date();
    const t = new Date(now.getTime() + (c.adjustment ?? 0) * 1000);
    const local = c.basis === 'localtime' ? new Date(t.getTime() - t.getTimezoneOffset() * 60000) : t;
    base = local.toISOString().slice(0, 19);
  }
  const rtc = [`base=${base}`];
  const rtcTimer = c.timers.find((t) => t.name === 'rtc');
  if (rtcTimer?.track === 'guest') rtc.push('clock=vm');
  else if (rtcTimer?.track === 'wall') rtc.push('clock=host');
  else if (rtcTimer?.track === 'realtime') rtc.push('clock=rt');
  if (rtcTimer?.tickpolicy === 'catchup') rtc.push('driftfix=slew');
  out.push('-rtc', rtc.join(','));
  const pit = c.timers.find((t) => t.name === 'pit');
  const lost: Record<string, string> = { delay: 'delay', catchup: 'slew', discard: 'discard', merge: 'merge' };
  // The in-kernel PIT's policy; TCG's PIT ignores the global, as libvirt's command line does too.
  if (pit?.tickpolicy !== undefined) out.push('-global', `kvm-pit.lost_tick_policy=${lost[pit.tickpolicy] ?? 'delay'}`);
  if (c.timers.find((t) => t.name === 'hpet')?.present === false) out.push('-no-hpet');
}

/** -global switches for S3/S4 from <pm>. */
export function pmArgs(def: DomainDef, out: Argv): void {
  const dev = isQ35(def.os.machine) ? 'ICH9-LPC' : 'PIIX4_PM';
  if (def.pm?.suspendToMem !== undefined) out.push('-global', `${dev}.disable_s3=${def.pm.suspendToMem ? 0 : 1}`);
  if (def.pm?.suspendToDisk !== undefined) out.push('-global', `${dev}.disable_s4=${def.pm.suspendToDisk ? 0 : 1}`);
}

export function bootArg(def: DomainDef): string {
  const parts: string[] = [];
  const menu = def.os.bootmenu;
  if (menu !== undefined) {
    parts.push(`menu=${menu.enable ? 'on' : 'off'}`);
    if (menu.enable && menu.timeoutMs !== undefined) parts.push(`splash-time=${menu.timeoutMs}`);
  }
  if (def.os.bios?.rebootTimeoutMs !== undefined) parts.push(`reboot-timeout=${def.os.bios.rebootTimeoutMs}`);
  parts.push('strict=on');
  return parts.join(',');
}
