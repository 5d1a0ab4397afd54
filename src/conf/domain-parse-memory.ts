/**
 * Memory modules: <devices><memory model='dimm'> read, checked against <maxMemory> and the NUMA
 * cells, given slots, matched and printed as libvirt 9.0 does. A DIMM adds to <memory>: with
 * NUMA cells (which memory hot-plug needs), <memory> is the cells' memory plus every module's,
 * whatever the XML says, as libvirt computes it. Pure; the QEMU side is qemu/argv/memory.ts and
 * daemon/domain/hotplug-memory.ts.
 */

import { VireoError } from '../api/errors.js';
import type { DomainDef, MemoryDevice } from './domain-model.js';
import { missing, sizeText } from './domain-parse-util.js';
import { el, type XmlOut } from './xml.js';
import type { XNode } from './xml-reader.js';

/** QEMU places a DIMM on x86 at a multiple of 2 MiB and wants its size to be one too. */
export const DIMM_ALIGN_KIB = 2048;

/** libvirt's other memory device models, which vireo cannot run yet. */
const OTHER_MODELS = ['nvdimm', 'virtio-pmem', 'virtio-mem', 'sgx-epc'];

/** One <memory> device. `live`: a running guest's XML, whose device id (<alias>) is kept. */
export function parseMemoryDevice(node: XNode, live = false): MemoryDevice {
  const model = node.attr('model');
  if (model !== undefined && OTHER_MODELS.includes(model)) {
    throw node.unsupported(`memory device model '${model}' is not supported yet; only 'dimm' is`);
  }
  node.check({ attrs: ['model', 'access', 'discard'], one: ['source', 'target', 'address', 'alias'] });
  if (model === undefined) missing(node, "attribute 'model' (dimm)");
  const m: MemoryDevice = { model: node.enumAttr('model', ['dimm'] as const, 'dimm'), sizeKiB: 0, node: 0 };
  const access = node.enumAttr('access', ['shared', 'private'] as const);
  if (access !== undefined) m.access = access;
  const discard = node.boolAttr('discard');
  if (discard !== undefined) m.discard = discard;

  const source = node.child('source');
  if (source !== undefined) {
    source.check({ one: ['pagesize'] });
    const page = source.child('pagesize');
    if (page !== undefined) m.pagesizeKiB = sizeText(page);
  }
  const target = node.child('target') ?? missing(node, 'element <target>');
  target.check({ one: ['size', 'node'] });
  m.sizeKiB = sizeText(target.child('size') ?? missing(target, 'element <size>'));
  if (m.sizeKiB === 0) throw target.invalid('the memory device size must be greater than 0');
  const nodeEl = target.child('node');
  if (nodeEl === undefined) throw VireoError.of('CONFIG_UNSUPPORTED', 'target NUMA node needs to be specified for memory device');
  m.node = nodeEl.check({ text: true }).intText(0, 255);

  const addr = node.child('address');
  if (addr !== undefined) {
    addr.check({ attrs: ['type', 'slot', 'base'] });
    if (addr.attr('type') !== 'dimm') throw addr.invalidAttr('type', addr.attr('type') ?? '', "expected 'dimm'");
    const slot = addr.intAttr('slot', 0, 255);
    if (slot !== undefined) m.slot = slot;
    const base = addr.attr('base');
    if (base !== undefined) {
      if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(base) || !Number.isSafeInteger(Number(base))) {
        throw addr.invalidAttr('base', base, 'expected a guest-physical address such as 0x100000000');
      }
      m.base = Number(base);
    }
  }
  const alias = live ? node.child('alias')?.attr('name') : undefined;
  if (alias !== undefined && /^dimm\d+$/.test(alias)) m.alias = alias;
  return m;
}

/** <memory> device as virsh dumpxml prints it. */
export function formatMemoryDevice(m: MemoryDevice): XmlOut {
  return el('memory', { model: m.model, access: m.access, discard: m.discard === undefined ? undefined : m.discard ? 'yes' : 'no' }, [
    m.pagesizeKiB !== undefined && el('source', {}, [el('pagesize', { unit: 'KiB' }, String(m.pagesizeKiB))]),
    el('target', {}, [el('size', { unit: 'KiB' }, String(m.sizeKiB)), el('node', {}, String(m.node))]),
    m.alias !== undefined && el('alias', { name: m.alias }),
    m.slot !== undefined && el('address', { type: 'dimm', slot: m.slot, base: m.base === undefined ? undefined : `0x${m.base.toString(16)}` }),
  ]);
}

/** The memory of every module, KiB. */
export function dimmsKiB(def: DomainDef): number {
  return def.devices.memories.reduce((sum, m) => sum + m.sizeKiB, 0);
}

/** The memory the guest boots with, outside modules (QEMU's -m size): <memory> less the DIMMs. */
export function initialMemoryKiB(def: DomainDef): number {
  return def.memoryKiB - dimmsKiB(def);
}

/** libvirt's refusal of memory devices without <maxMemory>. */
function noMaxMemory(): VireoError {
  return VireoError.of('CONFIG_UNSUPPORTED', "cannot use/hotplug a memory device when domain 'maxMemory' is not defined", {
    hint: "add <maxMemory slots='N' unit='GiB'>SIZE</maxMemory> (the memory the guest may grow to) and a <cpu><numa> cell",
  });
}

/** A module's guest NUMA node must be one of the cells (libvirt's words). */
function checkNode(def: DomainDef, m: MemoryDevice): void {
  const cells = def.cpu?.numa?.length ?? 0;
  if (m.node >= cells) {
    throw VireoError.of('XML_INVALID', `can't add memory backend for guest node '${m.node}' as the guest has only '${cells}' NUMA nodes configured`);
  }
}

/** A written slot must be one of <maxMemory slots> and free (libvirt's words). */
function checkSlot(def: DomainDef, m: MemoryDevice, others: MemoryDevice[]): void {
  if (m.slot === undefined) return;
  const slots = def.maxMemory?.slots ?? 0;
  if (m.slot >= slots) throw VireoError.of('CONFIG_UNSUPPORTED', `memory device slot '${m.slot}' exceeds slots count '${slots}'`);
  if (others.some((o) => o.slot === m.slot)) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `memory device slot '${m.slot}' is already being used by another memory device`);
  }
}

/** The lowest slot no module of `others` holds. */
function freeSlot(def: DomainDef, others: MemoryDevice[]): number {
  const slots = def.maxMemory?.slots ?? 0;
  for (let s = 0; s < slots; s++) if (!others.some((o) => o.slot === s)) return s;
  // libvirt calls it an internal error; it is the guest's configuration.
  throw VireoError.of('CONFIG_UNSUPPORTED', 'failed to find an empty memory slot', {
    hint: 'every <maxMemory> slot holds a module; detach one, or raise <maxMemory slots> (a running guest: in its config, for its next start)',
  });
}

/**
 * After parsing: check the modules against <maxMemory> and the NUMA cells, give each module
 * without one a slot, and make <memory> the cells' memory plus the modules' (libvirt's rule).
 */
export function completeMemoryDevices(def: DomainDef): void {
  const mems = def.devices.memories;
  if (mems.length > 0 && def.maxMemory === undefined) throw noMaxMemory();
  const cells = def.cpu?.numa;
  if (def.maxMemory !== undefined && (cells === undefined || cells.length === 0)) {
    throw VireoError.of('CONFIG_UNSUPPORTED', 'At least one numa node has to be configured when enabling memory hotplug', {
      hint: "add <cpu><numa><cell id='0' cpus='0-N' memory='SIZE' unit='MiB'/></numa></cpu> holding the boot memory",
    });
  }
  const placed: MemoryDevice[] = [];
  for (const m of mems) {
    checkNode(def, m);
    checkSlot(def, m, placed);
    placed.push(m);
  }
  for (const m of mems) if (m.slot === undefined) m.slot = freeSlot(def, mems);
  if (cells !== undefined) {
    const total = cells.reduce((sum, c) => sum + c.memoryKiB, 0) + dimmsKiB(def);
    if (def.currentMemoryKiB === def.memoryKiB || def.currentMemoryKiB > total) def.currentMemoryKiB = total;
    def.memoryKiB = total;
  }
  if (def.maxMemory !== undefined && def.memoryKiB > def.maxMemory.kib) {
    throw VireoError.of('XML_INVALID', 'XML error: maximum memory size must be equal or greater than the actual memory size');
  }
}

/**
 * Where a module hot-plugged into the running guest `live` goes, with libvirt's checks: a copy of
 * `m` with its slot (the lowest free unless written) and its device id. QEMU takes a DIMM only in
 * whole 2 MiB (a start rounds sizes up; a hot-plug is refused before QEMU is asked).
 */
export function placeHotplugDimm(live: DomainDef, m: MemoryDevice): MemoryDevice {
  if (live.maxMemory === undefined) throw noMaxMemory();
  checkNode(live, m);
  if (live.memoryKiB + m.sizeKiB > live.maxMemory.kib) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `Attaching memory device with size '${m.sizeKiB}' would exceed domain's maxMemory config size '${live.maxMemory.kib}'`);
  }
  const others = live.devices.memories;
  checkSlot(live, m, others);
  if (m.sizeKiB % DIMM_ALIGN_KIB !== 0) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `memory device size ${m.sizeKiB} KiB is not a multiple of ${DIMM_ALIGN_KIB} KiB, which QEMU needs for a DIMM`, {
      hint: `use a size of ${Math.ceil(m.sizeKiB / DIMM_ALIGN_KIB) * DIMM_ALIGN_KIB} KiB`,
    });
  }
  const out = structuredClone(m);
  delete out.alias;
  out.slot = m.slot ?? freeSlot(live, others);
  out.alias = `dimm${out.slot}`;
  return out;
}

/** The live definition at start: module sizes rounded up to what QEMU takes, device ids given (libvirt does both). */
export function prepareMemoryDevices(live: DomainDef): void {
  for (const m of live.devices.memories) {
    const aligned = Math.ceil(m.sizeKiB / DIMM_ALIGN_KIB) * DIMM_ALIGN_KIB;
    if (live.currentMemoryKiB === live.memoryKiB) live.currentMemoryKiB += aligned - m.sizeKiB;
    live.memoryKiB += aligned - m.sizeKiB;
    m.sizeKiB = aligned;
    m.alias = `dimm${m.slot ?? 0}`;
  }
}

/**
 * The index in `list` of the module a device XML names, as libvirt matches it (one model so far): node,
 * size and page size, and the address when one is written (slot and base both); -1 if none.
 */
export function findMemoryDevice(list: MemoryDevice[], want: MemoryDevice): number {
  return list.findIndex((m) => m.node === want.node && m.sizeKiB === want.sizeKiB
    && m.pagesizeKiB === want.pagesizeKiB
    && (want.slot === undefined || (m.slot === want.slot && m.base === want.base)));
}

/** libvirt's words when no module matches. */
export function memoryDeviceMissing(m: MemoryDevice): VireoError {
  return VireoError.of('DEVICE_MISSING', `model '${m.model}' memory device not present in the domain configuration`);
}
