/**
 * Memory and CPU configuration: <vcpu>, <maxMemory>, <memoryBacking>, and the resource tuning
 * elements (<cputune>, <memtune>, <numatune>, <blkiotune>, <resource>); daemon/domain/cgroups.ts
 * applies the tuning elements to the guest's cgroup.
 */

import { VireoError } from '../api/errors.js';
import type { BlkioDevice, BlkioTune, CpuTune, MemTune, MemoryBacking, NumaTune, VcpuConfig } from './domain-model.js';
import { parseIothreadpin, parseIothreadsched } from './domain-iothreads.js';
import { cpuList, missing, sizeAttr, sizeText, toKiB } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

export const MAX_VCPUS = 255;
const NUMA_MODES = ['strict', 'preferred', 'interleave', 'restrictive'] as const;

export function parseVcpu(node: XNode | undefined): VcpuConfig {
  if (node === undefined) return { max: 1, current: 1, placement: 'static' };
  node.check({ attrs: ['placement', 'current', 'cpuset'], text: true });
  const max = node.intText(1, MAX_VCPUS);
  const current = node.intAttr('current', 1, MAX_VCPUS) ?? max;
  if (current > max) throw node.invalid(`current vCPUs (${current}) cannot exceed the maximum (${max})`);
  const cpusetAttr = node.attr('cpuset');
  const placement = node.enumAttr('placement', ['static', 'auto'] as const, 'static');
  const vcpu: VcpuConfig = { max, current, placement };
  if (cpusetAttr !== undefined) vcpu.cpuset = cpuList(node, cpusetAttr, 'cpuset');
  return vcpu;
}

/** <maxMemory slots='16' unit='KiB'>: the ceiling for memory hotplug. */
export function parseMaxMemory(node: XNode): { kib: number; slots: number } {
  node.check({ attrs: ['slots', 'unit'], text: true });
  const slots = node.intAttr('slots', 0, 255) ?? missing(node, "attribute 'slots'");
  const kib = toKiB(node, node.text(), node.attr('unit'), 'unit');
  if (slots === 0 || kib === 0) {
    throw VireoError.of('XML_INVALID', 'XML error: both maximum memory size and memory slot count must be specified');
  }
  return { kib, slots };
}

export function parseMemoryBacking(node: XNode): MemoryBacking {
  node.check({ one: ['hugepages', 'nosharepages', 'locked', 'source', 'access', 'allocation', 'discard'] });
  const mb: MemoryBacking = {};
  const hp = node.child('hugepages');
  if (hp !== undefined) {
    hp.check({ many: ['page'] });
    mb.hugepages = hp.children('page').map((p) => {
      p.check({ attrs: ['size', 'unit', 'nodeset'] });
      const sizeKiB = sizeAttr(p, 'size', 'unit') ?? missing(p, "attribute 'size'");
      const nodeset = p.attr('nodeset');
      return nodeset === undefined ? { sizeKiB } : { sizeKiB, nodeset: cpuList(p, nodeset, 'nodeset') };
    });
  }
  const empty = (name: 'nosharepages' | 'locked' | 'discard'): void => {
    const n = node.child(name);
    if (n === undefined) return;
    n.check({});
    mb[name] = true;
  };
  empty('nosharepages');
  empty('locked');
  empty('discard');
  const source = node.child('source');
  if (source !== undefined) {
    source.check({ attrs: ['type'] });
    mb.source = source.enumAttr('type', ['file', 'anonymous', 'memfd'] as const) ?? missing(source, "attribute 'type'");
  }
  const access = node.child('access');
  if (access !== undefined) {
    access.check({ attrs: ['mode'] });
    mb.access = access.enumAttr('mode', ['shared', 'private'] as const) ?? missing(access, "attribute 'mode'");
  }
  const alloc = node.child('allocation');
  if (alloc !== undefined) {
    alloc.check({ attrs: ['mode', 'threads'] });
    const mode = alloc.enumAttr('mode', ['immediate', 'ondemand'] as const, 'ondemand');
    const threads = alloc.intAttr('threads', 1, 65535);
    mb.allocation = threads === undefined ? { mode } : { mode, threads };
  }
  if (mb.hugepages !== undefined && mb.source === 'memfd' && mb.hugepages.length > 1) {
    throw node.unsupported('several huge page sizes with a memfd source are not supported');
  }
  return mb;
}

/** An unsigned integer element (cputune/blkiotune values). */
function uintText(node: XNode, max: number): number {
  return node.check({ text: true }).intText(0, max);
}

export function parseCputune(node: XNode, maxVcpus: number): CpuTune {
  node.check({
    one: ['shares', 'period', 'quota', 'global_period', 'global_quota', 'emulator_period', 'emulator_quota', 'iothread_period', 'iothread_quota', 'emulatorpin'],
    many: ['vcpupin', 'vcpusched', 'iothreadpin', 'iothreadsched'],
  });
  const tune: CpuTune = { vcpupin: [] };
  const periodMax = 1000000;
  const quotaMax = 17592186044415;
  const read = (name: string, key: Exclude<keyof CpuTune, 'vcpupin' | 'emulatorpin' | 'vcpusched' | 'iothreadpin' | 'iothreadsched'>, min: number, max: number): void => {
    const n = node.child(name);
    if (n === undefined) return;
    const v = n.check({ text: true }).intText(min, max);
    tune[key] = v;
  };
  read('shares', 'shares', 2, 262144);
  read('period', 'period', 1000, periodMax);
  read('quota', 'quota', -1, quotaMax);
  read('global_period', 'globalPeriod', 1000, periodMax);
  read('global_quota', 'globalQuota', -1, quotaMax);
  read('emulator_period', 'emulatorPeriod', 1000, periodMax);
  read('emulator_quota', 'emulatorQuota', -1, quotaMax);
  read('iothread_period', 'iothreadPeriod', 1000, periodMax);
  read('iothread_quota', 'iothreadQuota', -1, quotaMax);
  for (const pin of node.children('vcpupin')) {
    pin.check({ attrs: ['vcpu', 'cpuset'] });
    const vcpu = pin.intAttr('vcpu', 0, maxVcpus - 1) ?? missing(pin, "attribute 'vcpu'");
    if (tune.vcpupin.some((p) => p.vcpu === vcpu)) throw pin.invalid(`vCPU ${vcpu} is pinned twice`);
    tune.vcpupin.push({ vcpu, cpuset: cpuList(pin, pin.requireAttr('cpuset'), 'cpuset') });
  }
  for (const sch of node.children('vcpusched')) {
    sch.check({ attrs: ['vcpus', 'scheduler', 'priority'] });
    const vcpus = cpuList(sch, sch.requireAttr('vcpus'), 'vcpus');
    const scheduler = sch.enumAttr('scheduler', ['fifo', 'rr', 'batch', 'idle'] as const) ?? missing(sch, "attribute 'scheduler'");
    const priority = sch.intAttr('priority', 1, 99);
    if ((scheduler === 'fifo' || scheduler === 'rr') && priority === undefined) throw sch.invalid(`scheduler '${scheduler}' needs a priority`);
    (tune.vcpusched ??= []).push(priority === undefined ? { vcpus, scheduler } : { vcpus, scheduler, priority });
  }
  for (const pin of node.children('iothreadpin')) parseIothreadpin(pin, tune);
  for (const sch of node.children('iothreadsched')) parseIothreadsched(sch, tune);
  const emu = node.child('emulatorpin');
  if (emu !== undefined) {
    emu.check({ attrs: ['cpuset'] });
    tune.emulatorpin = cpuList(emu, emu.requireAttr('cpuset'), 'cpuset');
  }
  return tune;
}

export function parseMemtune(node: XNode): MemTune {
  node.check({ one: ['hard_limit', 'soft_limit', 'swap_hard_limit', 'min_guarantee'] });
  const tune: MemTune = {};
  const read = (name: string, key: keyof MemTune): void => {
    const n = node.child(name);
    if (n !== undefined) tune[key] = sizeText(n);
  };
  read('hard_limit', 'hardLimitKiB');
  read('soft_limit', 'softLimitKiB');
  read('swap_hard_limit', 'swapHardLimitKiB');
  read('min_guarantee', 'minGuaranteeKiB');
  if (tune.hardLimitKiB !== undefined && tune.swapHardLimitKiB !== undefined && tune.swapHardLimitKiB < tune.hardLimitKiB) {
    throw node.invalid('swap_hard_limit cannot be lower than hard_limit');
  }
  return tune;
}

export function parseNumatune(node: XNode): NumaTune {
  node.check({ one: ['memory'], many: ['memnode'] });
  const tune: NumaTune = { memnodes: [] };
  const mem = node.child('memory');
  if (mem !== undefined) {
    mem.check({ attrs: ['mode', 'placement', 'nodeset'] });
    const mode = mem.enumAttr('mode', NUMA_MODES, 'strict');
    const nodeset = mem.attr('nodeset');
    const placement = mem.enumAttr('placement', ['static', 'auto'] as const, nodeset === undefined ? 'auto' : 'static');
    if (placement === 'static' && nodeset === undefined) throw mem.invalid("placement 'static' needs a nodeset");
    if (placement === 'auto' && nodeset !== undefined) throw mem.invalid("placement 'auto' cannot have a nodeset");
    tune.memory = nodeset === undefined ? { mode, placement } : { mode, placement, nodeset: cpuList(mem, nodeset, 'nodeset') };
  }
  for (const m of node.children('memnode')) {
    m.check({ attrs: ['cellid', 'mode', 'nodeset'] });
    const cellid = m.intAttr('cellid', 0, 255) ?? missing(m, "attribute 'cellid'");
    if (tune.memnodes.some((x) => x.cellid === cellid)) throw m.invalid(`memnode for cell ${cellid} is listed twice`);
    tune.memnodes.push({
      cellid,
      mode: m.enumAttr('mode', NUMA_MODES, 'strict'),
      nodeset: cpuList(m, m.requireAttr('nodeset'), 'nodeset'),
    });
  }
  return tune;
}

export function parseBlkiotune(node: XNode): BlkioTune {
  node.check({ one: ['weight'], many: ['device'] });
  const tune: BlkioTune = { devices: [] };
  const weight = node.child('weight');
  if (weight !== undefined) tune.weight = weight.check({ text: true }).intText(100, 1000);
  for (const d of node.children('device')) {
    d.check({ one: ['path', 'weight', 'read_bytes_sec', 'write_bytes_sec', 'read_iops_sec', 'write_iops_sec'] });
    const pathNode = d.child('path') ?? missing(d, 'element <path>');
    const dev: BlkioDevice = { path: pathNode.check({ text: true }).requireText() };
    const w = d.child('weight');
    if (w !== undefined) dev.weight = w.check({ text: true }).intText(100, 1000);
    const u64 = Number.MAX_SAFE_INTEGER;
    const rb = d.child('read_bytes_sec');
    const wb = d.child('write_bytes_sec');
    const ri = d.child('read_iops_sec');
    const wi = d.child('write_iops_sec');
    if (rb !== undefined) dev.readBytesSec = uintText(rb, u64);
    if (wb !== undefined) dev.writeBytesSec = uintText(wb, u64);
    if (ri !== undefined) dev.readIopsSec = uintText(ri, u64);
    if (wi !== undefined) dev.writeIopsSec = uintText(wi, u64);
    tune.devices.push(dev);
  }
  return tune;
}

export function parseResource(node: XNode): string | undefined {
  node.check({ one: ['partition'] });
  const p = node.child('partition');
  if (p === undefined) return undefined;
  const text = p.check({ text: true }).requireText();
  if (!text.startsWith('/')) throw p.invalidValue(text, 'partition', "expected an absolute path such as '/machine'");
  return text;
}
