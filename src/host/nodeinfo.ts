/**
 * Facts about the host, read from procfs and sysfs the way libvirt's nodeinfo code reads them:
 * CPU topology, memory, per-CPU and per-NUMA-cell statistics. Every function takes the root it
 * reads under ('/' normally; tests pass a fake tree), so output can be pinned in golden files.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import type { NodeCpuStats, NodeInfo, NodeMemStats, FreeCell } from '../api/types.js';

/** Clock ticks per second of /proc/stat (USER_HZ), 100 on every architecture vireo runs on. */
const USER_HZ = 100;

async function read(root: string, p: string): Promise<string | undefined> {
  return fs.readFile(path.join(root, p), 'utf8').catch(() => undefined);
}

/** "0-3,8,10-11" → [0,1,2,3,8,10,11]. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** Fields of a meminfo file (`Key: N kB`, or `Node 0 Key: N kB`) in KiB. */
export function parseMeminfo(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const r = /^(?:Node \d+ )?([A-Za-z_()0-9]+):\s+(\d+)/.exec(line);
    if (r !== null) m.set(r[1] as string, Number(r[2]));
  }
  return m;
}

/** The NUMA cells the kernel reports (node0, node1, ...), or [] on a kernel without NUMA. */
export async function numaCells(root: string): Promise<number[]> {
  const online = await read(root, 'sys/devices/system/node/online');
  if (online !== undefined) return parseCpuList(online);
  const dir = await fs.readdir(path.join(root, 'sys/devices/system/node')).catch(() => [] as string[]);
  return dir.filter((d) => /^node\d+$/.test(d)).map((d) => Number(d.slice(4))).sort((a, b) => a - b);
}

async function onlineCpus(root: string): Promise<number[]> {
  const online = await read(root, 'sys/devices/system/cpu/online');
  if (online !== undefined) return parseCpuList(online);
  const info = (await read(root, 'proc/cpuinfo')) ?? '';
  return [...info.matchAll(/^processor\s*:\s*(\d+)/gm)].map((m) => Number(m[1]));
}

async function cpuTopology(root: string, cpu: number): Promise<{ socket: number; die: number; core: number; siblings: string }> {
  const t = `sys/devices/system/cpu/cpu${cpu}/topology`;
  const num = async (f: string): Promise<number> => Number((await read(root, `${t}/${f}`))?.trim() ?? '0') || 0;
  return {
    socket: await num('physical_package_id'),
    die: await num('die_id'),
    core: await num('core_id'),
    siblings: (await read(root, `${t}/thread_siblings_list`))?.trim() ?? String(cpu),
  };
}

export interface CpuTopology {
  cpus: number[];
  /** Per CPU: its socket, die, core and thread siblings. */
  of: Map<number, { socket: number; die: number; core: number; siblings: string }>;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
}

/** Sockets, cores per socket and threads per core, counted from sysfs. */
export async function topology(root: string): Promise<CpuTopology> {
  const cpus = await onlineCpus(root);
  const of = new Map<number, Awaited<ReturnType<typeof cpuTopology>>>();
  for (const c of cpus) of.set(c, await cpuTopology(root, c));
  const sockets = new Set([...of.values()].map((t) => t.socket));
  const cores = new Set([...of.values()].map((t) => `${t.socket}/${t.die}/${t.core}`));
  const nSockets = Math.max(1, sockets.size);
  const nCores = Math.max(1, cores.size);
  return {
    cpus, of, sockets: nSockets,
    coresPerSocket: Math.max(1, Math.round(nCores / nSockets)),
    threadsPerCore: Math.max(1, Math.round(Math.max(1, cpus.length) / nCores)),
  };
}

/** The first "cpu MHz" of /proc/cpuinfo, truncated as libvirt does (2599.998 → 2599). */
async function cpuMhz(root: string): Promise<number> {
  const info = (await read(root, 'proc/cpuinfo')) ?? '';
  const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(info);
  return m === null ? 0 : Math.trunc(Number(m[1]));
}

/** Total memory in KiB: the sum of the NUMA cells' memory (as libvirt counts it), else /proc/meminfo. */
async function totalMemoryKiB(root: string): Promise<number> {
  let sum = 0;
  for (const cell of await numaCells(root)) {
    sum += parseMeminfo((await read(root, `sys/devices/system/node/node${cell}/meminfo`)) ?? '').get('MemTotal') ?? 0;
  }
  if (sum > 0) return sum;
  return parseMeminfo((await read(root, 'proc/meminfo')) ?? '').get('MemTotal') ?? 0;
}

/** What `nodeinfo` prints. Sockets are counted per NUMA cell, as libvirt does. */
export async function nodeInfo(root: string, arch: string = os.arch() === 'x64' ? 'x86_64' : os.arch()): Promise<NodeInfo> {
  const topo = await topology(root);
  const cells = Math.max(1, (await numaCells(root)).length);
  return {
    model: arch,
    cpus: topo.cpus.length,
    mhz: await cpuMhz(root),
    nodes: cells,
    sockets: Math.max(1, Math.round(topo.sockets / cells)),
    cores: topo.coresPerSocket,
    threads: topo.threadsPerCore,
    memoryKiB: await totalMemoryKiB(root),
  };
}

/**
 * `nodecpustats`: cumulative times of all CPUs, or of one, in nanoseconds. Like libvirt, user
 * includes nice, and system includes time in interrupts.
 */
export async function cpuStats(root: string, cpu?: number): Promise<NodeCpuStats> {
  const stat = (await read(root, 'proc/stat')) ?? '';
  const key = cpu === undefined ? 'cpu' : `cpu${cpu}`;
  const line = stat.split('\n').find((l) => l.split(/\s+/)[0] === key);
  if (line === undefined) throw VireoError.of('INVALID_ARG', `CPU ${cpu ?? '?'} does not exist on this host`);
  const [usr = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const ns = (ticks: number): number => (ticks * 1e9) / USER_HZ;
  return { user: ns(usr + nice), system: ns(sys + irq + softirq), idle: ns(idle), iowait: ns(iowait) };
}

/**
 * `nodememstats`: memory of the whole host (total, free, buffers, cached) or of one NUMA cell
 * (total and free only: a cell's meminfo has no buffers or cache), in KiB.
 */
export async function memStats(root: string, cell?: number): Promise<NodeMemStats> {
  if (cell === undefined) {
    const m = parseMeminfo((await read(root, 'proc/meminfo')) ?? '');
    return { total: m.get('MemTotal') ?? 0, free: m.get('MemFree') ?? 0, buffers: m.get('Buffers') ?? 0, cached: m.get('Cached') ?? 0 };
  }
  const cells = await numaCells(root);
  if (!cells.includes(cell)) {
    throw VireoError.of('INVALID_ARG', `NUMA cell ${cell} does not exist; this host has cell${cells.length === 1 ? '' : 's'} ${cells.join(', ') || 'none'}`);
  }
  const m = parseMeminfo((await read(root, `sys/devices/system/node/node${cell}/meminfo`)) ?? '');
  return { total: m.get('MemTotal') ?? 0, free: m.get('MemFree') ?? 0 };
}

/** `freecell`: free memory of every NUMA cell in KiB (one cell for the whole host without NUMA). */
export async function freeCells(root: string): Promise<FreeCell[]> {
  const cells = await numaCells(root);
  if (cells.length === 0) {
    const m = parseMeminfo((await read(root, 'proc/meminfo')) ?? '');
    return [{ cell: 0, freeKiB: m.get('MemFree') ?? 0 }];
  }
  const out: FreeCell[] = [];
  for (const cell of cells) {
    const m = parseMeminfo((await read(root, `sys/devices/system/node/node${cell}/meminfo`)) ?? '');
    out.push({ cell, freeKiB: m.get('MemFree') ?? 0 });
  }
  return out;
}
