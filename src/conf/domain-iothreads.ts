/**
 * I/O threads: <iothreads>, <iothreadids>, <cputune><iothreadpin>/<iothreadsched> and the
 * devices that name a thread (a virtio disk's or a virtio-scsi controller's <driver iothread>).
 * Read strictly with libvirt 9.0's words (checked with libvirt-ref), filled in as libvirt's
 * post-parse fills them, and printed as its dumpxml prints them.
 */
import { VireoError } from '../api/errors.js';
import type { CpuTune, DomainDef, IOThread } from './domain-model.js';
import { cpuList } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';
import { el, type XmlOut } from './xml.js';

const UINT_MAX = 4294967295;

/** A positive id attribute, in libvirt's words ("Zero is not permitted"). */
export function positiveIdAttr(node: XNode, name: string, element: string): number | undefined {
  const raw = node.attr(name);
  if (raw === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) > UINT_MAX) {
    throw node.invalid(`Invalid value for attribute '${name}' in element '${element}': '${raw}'. Expected non-negative integer value`);
  }
  if (Number(raw) === 0) throw node.invalid(`Invalid value for attribute '${name}' in element '${element}': Zero is not permitted`);
  return Number(raw);
}

function requiredId(node: XNode, name: string, element: string): number {
  const v = positiveIdAttr(node, name, element);
  if (v === undefined) throw node.invalid(`Missing required attribute '${name}' in element '${element}'`);
  return v;
}

/** <iothreads>N and <iothreadids>: the threads, with libvirt's autofill up to N. */
export function parseIothreads(countNode: XNode | undefined, idsNode: XNode | undefined): IOThread[] | undefined {
  let count = 0;
  if (countNode !== undefined) {
    const raw = countNode.check({ text: true }).rawText().trim();
    if (!/^\d+$/.test(raw) || Number(raw) > UINT_MAX) throw countNode.invalid(`invalid iothreads count '${raw}'`);
    count = Number(raw);
  }
  const threads: IOThread[] = [];
  if (idsNode !== undefined) {
    idsNode.check({ many: ['iothread'] });
    for (const n of idsNode.children('iothread')) {
      n.check({ attrs: ['id', 'thread_pool_min', 'thread_pool_max'] });
      const id = requiredId(n, 'id', 'iothread');
      if (threads.some((t) => t.id === id)) throw n.invalid(`duplicate iothread id '${id}' found`);
      const t: IOThread = { id };
      const pool = (name: string): number | undefined => {
        const raw = n.attr(name);
        if (raw === undefined) return undefined;
        if (!/^\s*\d+\s*$/.test(raw) || Number(raw) > 2147483647) {
          throw n.invalid(`Invalid value for attribute '${name}' in element 'iothread': '${raw}'. Expected non-negative value`);
        }
        return Number(raw);
      };
      const min = pool('thread_pool_min');
      const max = pool('thread_pool_max');
      if (max === 0) throw VireoError.of('CONFIG_UNSUPPORTED', 'thread_pool_max must be a positive integer');
      if (min !== undefined && max !== undefined && min > max) {
        throw VireoError.of('CONFIG_UNSUPPORTED', 'thread_pool_min must be smaller or equal to thread_pool_max');
      }
      if (min !== undefined) t.poolMin = min;
      if (max !== undefined) t.poolMax = max;
      threads.push(t);
    }
  }
  // libvirt: the count is at least the listed threads; missing ones take the lowest free ids.
  for (let id = 1; threads.length < count; id++) {
    if (!threads.some((t) => t.id === id)) threads.push({ id, autofill: true });
  }
  return threads.length === 0 ? undefined : threads;
}

/** <cputune><iothreadpin>: read into `tune` (the threads are checked in checkIothreadUse). */
export function parseIothreadpin(node: XNode, tune: CpuTune): void {
  node.check({ attrs: ['iothread', 'cpuset'] });
  const iothread = requiredId(node, 'iothread', 'iothreadpin');
  const pins = (tune.iothreadpin ??= []);
  if (pins.some((p) => p.iothread === iothread)) throw node.invalid(`duplicate iothreadpin for same iothread '${iothread}'`);
  const cpuset = node.attr('cpuset');
  if (cpuset === undefined) throw node.invalid('missing cpuset for iothreadpin');
  pins.push({ iothread, cpuset: cpuList(node, cpuset, 'cpuset') });
}

/** <cputune><iothreadsched>. */
export function parseIothreadsched(node: XNode, tune: CpuTune): void {
  node.check({ attrs: ['iothreads', 'scheduler', 'priority'] });
  const raw = node.attr('iothreads');
  if (raw === undefined) throw node.invalid("Missing required attribute 'iothreads' in element 'iothreadsched'");
  const iothreads = cpuList(node, raw, 'iothreads');
  const scheduler = node.enumAttr('scheduler', ['fifo', 'rr', 'batch', 'idle'] as const);
  if (scheduler === undefined) throw node.invalid("Missing required attribute 'scheduler' in element 'iothreadsched'");
  const priority = node.intAttr('priority', 1, 99);
  if ((scheduler === 'fifo' || scheduler === 'rr') && priority === undefined) {
    throw node.invalid("Missing required attribute 'priority' in element 'iothreadsched'");
  }
  (tune.iothreadsched ??= []).push(priority === undefined ? { iothreads, scheduler } : { iothreads, scheduler, priority });
}

/** The ids in a list such as '1-3,^2' (a list parseIothreadsched accepted). */
export function idList(list: string): number[] {
  const yes = new Set<number>();
  const no = new Set<number>();
  for (const part of list.split(',').map((p) => p.trim())) {
    const neg = part.startsWith('^');
    const [a, b] = part.replace('^', '').split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) (neg ? no : yes).add(i);
  }
  return [...yes].filter((i) => !no.has(i)).sort((x, y) => x - y);
}

/** Every reference to an I/O thread names one the definition has (libvirt's post-parse checks). */
export function checkIothreadUse(def: DomainDef): void {
  const has = (id: number): boolean => def.iothreads?.some((t) => t.id === id) === true;
  for (const p of def.cputune?.iothreadpin ?? []) {
    if (!has(p.iothread)) throw VireoError.of('CONFIG_UNSUPPORTED', `Cannot find 'iothread' : ${p.iothread}`);
  }
  for (const s of def.cputune?.iothreadsched ?? []) {
    const missingId = idList(s.iothreads).find((id) => !has(id));
    if (missingId !== undefined) throw VireoError.of('CONFIG_UNSUPPORTED', `Cannot find 'iothread' : ${missingId}`);
  }
  for (const d of def.devices.disks) {
    if (d.iothread === undefined) continue;
    if (d.bus !== 'virtio') throw VireoError.of('CONFIG_UNSUPPORTED', `IOThreads not available for bus ${d.bus} target ${d.target}`);
    if (!has(d.iothread)) throw VireoError.of('CONFIG_UNSUPPORTED', `Disk iothread '${d.iothread}' not defined in iothreadid`);
  }
  for (const c of def.devices.controllers) {
    if (c.iothread !== undefined && !has(c.iothread)) throw VireoError.of('CONFIG_UNSUPPORTED', `controller iothread '${c.iothread}' not defined in iothreadid`);
  }
}

/** What uses I/O thread `id`: libvirt's words for iothreaddel's refusal, or undefined. */
export function iothreadUser(def: DomainDef, id: number): string | undefined {
  const disk = def.devices.disks.find((d) => d.iothread === id);
  if (disk !== undefined) return `cannot remove IOThread ${id} since it is being used by disk '${disk.target}'`;
  if (def.devices.controllers.some((c) => c.iothread === id)) return `cannot remove IOThread '${id}' since it is being used by controller`;
  return undefined;
}

/** <iothreads> and, when any thread was given by id, <iothreadids> (libvirt's layout). */
export function formatIothreads(def: DomainDef): XmlOut[] {
  const threads = def.iothreads ?? [];
  if (threads.length === 0) return [];
  const listed = threads.some((t) => t.autofill !== true);
  return [
    el('iothreads', {}, String(threads.length)),
    listed && el('iothreadids', {}, threads.map((t) => el('iothread', { id: t.id, thread_pool_min: t.poolMin, thread_pool_max: t.poolMax }))),
  ].filter((x): x is XmlOut => x !== false);
}

/** <iothreadpin> and <iothreadsched> inside <cputune>, in libvirt's places. */
export function formatIothreadTune(t: CpuTune): { pins: XmlOut[]; sched: XmlOut[] } {
  return {
    pins: (t.iothreadpin ?? []).map((p) => el('iothreadpin', { iothread: p.iothread, cpuset: p.cpuset })),
    sched: (t.iothreadsched ?? []).map((s) => el('iothreadsched', { iothreads: s.iothreads, scheduler: s.scheduler, priority: s.priority })),
  };
}
