/** <cpu>, <features>, <clock> and <pm>. */

import {
  HYPERV_FLAGS,
  type ClockConfig,
  type CpuConfig,
  type CpuFeature,
  type Features,
  type Hyperv,
  type HypervFlag,
  type NumaCell,
  type PowerManagement,
  type Timer,
  type TimerName,
} from './domain-model.js';
import { cpuList, missing, sizeAttr } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

const CPU_MODES = ['custom', 'host-model', 'host-passthrough', 'maximum'] as const;
const FEATURE_POLICIES = ['force', 'require', 'optional', 'disable', 'forbid'] as const;
/** CPU model and feature names end up in QEMU's -cpu option: no commas, no spaces. */
const CPU_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseCpu(node: XNode, maxVcpus: number): CpuConfig {
  node.check({
    attrs: ['mode', 'match', 'check', 'migratable'],
    one: ['model', 'vendor', 'topology', 'cache', 'numa'],
    many: ['feature'],
  });
  const modelNode = node.child('model');
  // libvirt: no mode but a <model> means custom; neither means host-model is not implied either.
  const mode = node.enumAttr('mode', CPU_MODES, 'custom');
  const cpu: CpuConfig = { mode, features: [] };
  const match = node.enumAttr('match', ['exact', 'minimum', 'strict'] as const);
  const check = node.enumAttr('check', ['none', 'partial', 'full'] as const);
  const migratable = node.onOffAttr('migratable');
  if (match !== undefined) cpu.match = match;
  else if (mode === 'custom' && modelNode !== undefined) cpu.match = 'exact';
  if (check !== undefined) cpu.check = check;
  if (migratable !== undefined) {
    if (mode !== 'host-passthrough' && mode !== 'maximum') throw node.invalid("attribute 'migratable' applies only to mode host-passthrough or maximum");
    cpu.migratable = migratable;
  }
  if (modelNode !== undefined) {
    modelNode.check({ attrs: ['fallback'], text: true });
    const name = modelNode.text();
    if (name !== '' && !CPU_NAME.test(name)) throw modelNode.invalidValue(name, 'CPU model', 'expected a name such as Skylake-Client or qemu64');
    const fallback = modelNode.enumAttr('fallback', ['allow', 'forbid'] as const);
    if (name !== '') {
      if (mode === 'host-passthrough' || mode === 'maximum') throw modelNode.invalid(`a CPU model cannot be combined with mode '${mode}'`);
      cpu.model = fallback === undefined ? { name } : { name, fallback };
    }
  }
  if (mode === 'custom' && cpu.model === undefined && node.children('feature').length > 0) {
    throw node.invalid("CPU features with mode 'custom' need a <model>");
  }
  const vendor = node.child('vendor');
  if (vendor !== undefined) cpu.vendor = vendor.check({ text: true }).requireText();

  const topo = node.child('topology');
  if (topo !== undefined) {
    topo.check({ attrs: ['sockets', 'dies', 'cores', 'threads'] });
    const get = (n: string): number => topo.intAttr(n, 1, 4096) ?? missing(topo, `attribute '${n}'`);
    const sockets = get('sockets');
    const dies = topo.intAttr('dies', 1, 4096) ?? 1;
    const cores = get('cores');
    const threads = get('threads');
    const total = sockets * dies * cores * threads;
    if (total !== maxVcpus) {
      throw topo.invalid(`the topology gives ${sockets}*${dies}*${cores}*${threads} = ${total} CPUs, but <vcpu> is ${maxVcpus}; they must be equal`);
    }
    cpu.topology = { sockets, dies, cores, threads };
  }
  for (const f of node.children('feature')) {
    f.check({ attrs: ['policy', 'name'] });
    const name = f.requireAttr('name');
    if (!CPU_NAME.test(name)) throw f.invalidAttr('name', name, 'expected a CPU feature name such as vmx');
    if (cpu.features.some((x) => x.name === name)) throw f.invalid(`CPU feature '${name}' is listed twice`);
    const policy: CpuFeature['policy'] = f.enumAttr('policy', FEATURE_POLICIES, 'require');
    cpu.features.push({ policy, name });
  }
  const cache = node.child('cache');
  if (cache !== undefined) {
    cache.check({ attrs: ['mode', 'level'] });
    const cmode = cache.enumAttr('mode', ['emulate', 'passthrough', 'disable'] as const) ?? missing(cache, "attribute 'mode'");
    const level = cache.intAttr('level', 1, 3);
    cpu.cache = level === undefined ? { mode: cmode } : { mode: cmode, level };
  }
  const numa = node.child('numa');
  if (numa !== undefined) cpu.numa = parseNuma(numa);
  return cpu;
}

function parseNuma(node: XNode): NumaCell[] {
  node.check({ many: ['cell'] });
  const cells: NumaCell[] = [];
  node.children('cell').forEach((c, i) => {
    c.check({ attrs: ['id', 'cpus', 'memory', 'unit', 'memAccess', 'discard'] });
    const id = c.intAttr('id', 0, 255) ?? i;
    if (id !== i) throw c.invalid(`NUMA cell ids must be 0, 1, 2... in order; found ${id} where ${i} was expected`);
    const cpus = cpuList(c, c.requireAttr('cpus'), 'CPU list');
    const memoryKiB = sizeAttr(c, 'memory', 'unit') ?? missing(c, "attribute 'memory'");
    const cell: NumaCell = { id, cpus, memoryKiB };
    const access = c.enumAttr('memAccess', ['shared', 'private'] as const);
    if (access !== undefined) cell.memAccess = access;
    if (c.attr('discard') !== undefined) throw c.unsupported("attribute 'discard' on a NUMA cell is not supported yet");
    cells.push(cell);
  });
  return cells;
}

export function parseFeatures(node: XNode | undefined): Features {
  const features: Features = { acpi: false, apic: false, pae: false };
  if (node === undefined) return features;
  node.check({ one: ['acpi', 'apic', 'pae', 'vmport', 'smm', 'hyperv', 'kvm', 'pvspinlock', 'vmcoreinfo', 'pmu', 'ioapic'] });
  const flag = (name: 'acpi' | 'pae'): void => {
    const n = node.child(name);
    if (n === undefined) return;
    n.check({});
    features[name] = true;
  };
  flag('acpi');
  flag('pae');
  const apic = node.child('apic');
  if (apic !== undefined) {
    apic.check({ attrs: ['eoi'] });
    features.apic = true;
    const eoi = apic.onOffAttr('eoi');
    if (eoi !== undefined) features.apicEoi = eoi;
  }
  const state = (name: 'vmport' | 'pvspinlock' | 'vmcoreinfo' | 'pmu'): void => {
    const n = node.child(name);
    if (n === undefined) return;
    n.check({ attrs: ['state'] });
    features[name] = n.onOffAttr('state') ?? 'on';
  };
  state('vmport');
  state('pvspinlock');
  state('vmcoreinfo');
  state('pmu');
  const smm = node.child('smm');
  if (smm !== undefined) {
    smm.check({ attrs: ['state'] });
    features.smm = smm.onOffAttr('state') ?? 'on';
  }
  const hyperv = node.child('hyperv');
  if (hyperv !== undefined) features.hyperv = parseHyperv(hyperv);
  const kvm = node.child('kvm');
  if (kvm !== undefined) {
    kvm.check({ one: ['hidden'] });
    const hidden = kvm.child('hidden');
    if (hidden !== undefined) {
      hidden.check({ attrs: ['state'] });
      features.kvmHidden = hidden.onOffAttr('state') ?? missing(hidden, "attribute 'state'");
    }
  }
  const ioapic = node.child('ioapic');
  if (ioapic !== undefined) {
    ioapic.check({ attrs: ['driver'] });
    features.ioapic = ioapic.enumAttr('driver', ['qemu', 'kvm'] as const) ?? missing(ioapic, "attribute 'driver'");
  }
  return features;
}

function parseHyperv(node: XNode): Hyperv {
  node.check({ attrs: ['mode'], one: [...HYPERV_FLAGS] });
  const hv: Hyperv = { mode: node.enumAttr('mode', ['custom', 'passthrough'] as const, 'custom'), flags: {} };
  for (const child of node.elementChildren()) {
    const name = child.el.name as HypervFlag;
    const attrs = ['state'];
    if (name === 'spinlocks') attrs.push('retries');
    if (name === 'vendor_id') attrs.push('value');
    child.check({ attrs, one: name === 'stimer' ? ['direct'] : [] });
    const st = child.onOffAttr('state') ?? missing(child, "attribute 'state' (on or off)");
    hv.flags[name] = st;
    if (name === 'spinlocks' && st === 'on') {
      hv.spinlockRetries = child.intAttr('retries', 4095, 4294967295) ?? missing(child, "attribute 'retries' (at least 4095)");
    }
    if (name === 'vendor_id' && st === 'on') {
      const value = child.requireAttr('value');
      if (!/^[A-Za-z0-9_ -]{1,12}$/.test(value)) throw child.invalidAttr('value', value, 'expected 1 to 12 letters or digits');
      hv.vendorId = value;
    }
    const direct = child.child('direct');
    if (direct !== undefined) {
      direct.check({ attrs: ['state'] });
      hv.stimerDirect = direct.onOffAttr('state') ?? missing(direct, "attribute 'state'");
    }
  }
  return hv;
}

const TIMER_NAMES: readonly TimerName[] = ['rtc', 'pit', 'hpet', 'kvmclock', 'hypervclock', 'tsc', 'platform'];
const TICK_POLICIES = ['delay', 'catchup', 'merge', 'discard'] as const;

export function parseClock(node: XNode | undefined): ClockConfig {
  if (node === undefined) return { offset: 'utc', timers: [] };
  node.check({ attrs: ['offset', 'adjustment', 'basis'], many: ['timer'] });
  const offset = node.enumAttr('offset', ['utc', 'localtime', 'variable'] as const, 'utc');
  const clock: ClockConfig = { offset, timers: [] };
  if (offset === 'variable') {
    const adj = node.attr('adjustment');
    if (adj !== undefined) {
      if (!/^[+-]?\d+$/.test(adj.trim())) throw node.invalidAttr('adjustment', adj, 'expected a number of seconds, e.g. 3600 or -60');
      clock.adjustment = Number(adj.trim());
    }
    clock.basis = node.enumAttr('basis', ['utc', 'localtime'] as const, 'utc');
  } else if (node.attr('adjustment') !== undefined || node.attr('basis') !== undefined) {
    throw node.invalid("attributes 'adjustment' and 'basis' need offset='variable'");
  }
  for (const t of node.children('timer')) {
    const name = t.enumAttr('name', TIMER_NAMES) ?? missing(t, "attribute 'name'");
    const attrs = ['name', 'present'];
    if (name === 'rtc' || name === 'platform') attrs.push('track');
    if (name !== 'kvmclock' && name !== 'hypervclock') attrs.push('tickpolicy');
    t.check({ attrs });
    if (clock.timers.some((x) => x.name === name)) throw t.invalid(`timer '${name}' is listed twice`);
    const timer: Timer = { name };
    const present = t.boolAttr('present');
    const tickpolicy = t.enumAttr('tickpolicy', TICK_POLICIES);
    const track = t.enumAttr('track', ['boot', 'guest', 'wall', 'realtime'] as const);
    if (present !== undefined) timer.present = present;
    if (tickpolicy !== undefined) timer.tickpolicy = tickpolicy;
    if (track !== undefined) timer.track = track;
    clock.timers.push(timer);
  }
  return clock;
}

export function parsePm(node: XNode): PowerManagement {
  node.check({ one: ['suspend-to-mem', 'suspend-to-disk'] });
  const pm: PowerManagement = {};
  const read = (name: string): boolean | undefined => {
    const n = node.child(name);
    if (n === undefined) return undefined;
    n.check({ attrs: ['enabled'] });
    return n.boolAttr('enabled') ?? missing(n, "attribute 'enabled' (yes or no)");
  };
  const mem = read('suspend-to-mem');
  const disk = read('suspend-to-disk');
  if (mem !== undefined) pm.suspendToMem = mem;
  if (disk !== undefined) pm.suspendToDisk = disk;
  return pm;
}
