/**
 * Memory modules (<memory model='dimm'>) as QEMU takes them: a memory-backend object (RAM, or
 * file/memfd as <memoryBacking> and the module's own <source><pagesize> say) and a pc-dimm device
 * in the module's slot, on its guest NUMA node. The same objects go on the command line at start
 * and into object-add/device_add on a hot-plug. Device ids are libvirt's: dimmN, backend memdimmN.
 */

import { VireoError } from '../../api/errors.js';
import type { DomainDef, MemoryDevice } from '../../conf/domain-model.js';
import { DIMM_ALIGN_KIB } from '../../conf/domain-parse-memory.js';
import type { LaunchOptions } from './index.js';
import { backendProps } from './machine.js';
import { json, type Argv, type Json } from './util.js';

/** The device id of a module (its alias, given when the live definition is made). */
export function dimmId(m: MemoryDevice): string {
  return m.alias ?? `dimm${m.slot ?? 0}`;
}

/** The id of a module's memory backend object. */
export function dimmBackendId(m: MemoryDevice): string {
  return `mem${dimmId(m)}`;
}

/**
 * A module's own huge page size must be the one the guest's hugetlbfs mount has: vireod mounts
 * one page size per guest (<memoryBacking><hugepages>), so another size has no mount to use.
 */
function checkPagesize(def: DomainDef, m: MemoryDevice): void {
  if (m.pagesizeKiB === undefined) return;
  const pages = def.memoryBacking?.hugepages;
  const mounted = pages?.find((p) => p.nodeset === undefined)?.sizeKiB ?? pages?.[0]?.sizeKiB;
  if (def.memoryBacking?.source === 'memfd' && pages !== undefined) return; // memfd takes any size (hugetlbsize)
  if (mounted !== m.pagesizeKiB) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `memory device with huge pages of ${m.pagesizeKiB} KiB needs <memoryBacking><hugepages><page size='${m.pagesizeKiB}' unit='KiB'/></hugepages> in the domain`, {
      hint: 'vireod backs a guest with one huge page size; give the module the size of the guest\'s pages, or leave <source><pagesize> out',
    });
  }
}

/** object-add's (and -object's) properties of a module's memory backend. */
export function dimmBackendProps(def: DomainDef, opts: LaunchOptions, m: MemoryDevice): Json {
  checkPagesize(def, m);
  // A start rounds a module up to what QEMU takes (the live definition says so too: prepareMemoryDevices).
  const kib = Math.ceil(m.sizeKiB / DIMM_ALIGN_KIB) * DIMM_ALIGN_KIB;
  return backendProps(def, opts, dimmBackendId(m), kib, undefined, undefined, {
    cell: m.node,
    // Its own sharing or discarding needs a file (discard-data is a file backend's), as libvirt makes it.
    file: m.access !== undefined || m.discard === true,
    ...(m.access === undefined ? {} : { access: m.access }),
    ...(m.discard === undefined ? {} : { discard: m.discard }),
    ...(m.pagesizeKiB === undefined ? {} : { pagesizeKiB: m.pagesizeKiB }),
  });
}

/** device_add's (and -device's) properties of a module: slot and, when known, its guest-physical address. */
export function dimmDeviceProps(m: MemoryDevice): Json {
  const dev: Json = { driver: 'pc-dimm', node: m.node, memdev: dimmBackendId(m), id: dimmId(m), slot: m.slot ?? 0 };
  if (m.base !== undefined) dev.addr = m.base;
  return dev;
}

/** Every module of the guest, where libvirt puts them on the command line (after the controllers). */
export function dimmArgs(def: DomainDef, opts: LaunchOptions, out: Argv): void {
  for (const m of def.devices.memories) {
    out.push('-object', json(dimmBackendProps(def, opts, m)));
    out.device(dimmDeviceProps(m));
  }
}
