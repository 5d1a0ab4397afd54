/**
 * One guest's cgroup on a v1 (or hybrid) host or a pure v2 host: made, filled with QEMU's
 * process and threads, tuned, read and removed. The knobs are named for what they do (shares,
 * CFS period and quota, memory limits, block weights and throttles, cpusets) and written in
 * each version's files, so the daemon never sees which version it runs on. Paths are in
 * cgroup-path.ts; this module knows no domains.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import {
  V1_CONTROLLERS, V1_THREAD_CONTROLLERS, V2_CONTROLLERS, V2_THREAD_CONTROLLERS, parseCgroupMounts,
  type CgroupMounts, type ThreadGroup, type V1Controller,
} from './cgroup-path.js';
import { readSmallFile } from '../util/small-file.js';

/**
 * The cgroup mounts of this host that vireod may write (undefined: none). A read-only cgroupfs
 * (a container's, say) leaves guests where vireod runs rather than failing every start.
 */
export async function detectCgroups(mountinfo = '/proc/self/mountinfo'): Promise<CgroupMounts | undefined> {
  const found = parseCgroupMounts(await fs.readFile(mountinfo, 'utf8').catch(() => ''));
  const writable = (dir: string): Promise<boolean> => fs.access(dir, fsConstants.W_OK).then(() => true, () => false);
  if (found === undefined) return undefined;
  if (found.version === 2) return (await writable(found.root)) ? found : undefined;
  const mounts: Partial<Record<V1Controller, string>> = {};
  for (const [ctrl, dir] of Object.entries(found.mounts) as [V1Controller, string][]) if (await writable(dir)) mounts[ctrl] = dir;
  return Object.keys(mounts).length === 0 ? undefined : { version: 1, mounts };
}

/** A value memory limits read as when unlimited (libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, KiB). */
export const MEMORY_UNLIMITED_KIB = 9007199254740991;

export interface CfsValues {
  period: number;
  /** -1: no limit. */
  quota: number;
}

export interface MemoryLimits {
  /** KiB; undefined: unlimited. */
  hard?: number;
  soft?: number;
  swapHard?: number;
}

/** CPU time of the group in ns: total, user, system, and per host CPU where the host counts it (v1). */
export interface CpuUsage {
  totalNs: number;
  userNs: number;
  systemNs: number;
  perCpuNs?: number[];
}

export type Throttle = 'read_bps' | 'write_bps' | 'read_iops' | 'write_iops';
const V2_THROTTLE: Record<Throttle, string> = { read_bps: 'rbps', write_bps: 'wbps', read_iops: 'riops', write_iops: 'wiops' };

const USER_HZ = 100;

export class GuestCgroup {
  /** `rel`: the group below each hierarchy's root (cgroup-path.ts guestGroupPath). */
  constructor(readonly mounts: CgroupMounts, readonly rel: string) {}

  /** The group's directory for a controller (v2: the one directory), optionally a thread child's. */
  dir(ctrl: V1Controller, child?: ThreadGroup): string | undefined {
    const base = this.mounts.version === 2 ? this.mounts.root : this.mounts.mounts[ctrl];
    if (base === undefined) return undefined;
    return child === undefined ? path.join(base, this.rel) : path.join(base, this.rel, child);
  }

  /** Every distinct directory of the group (controllers co-mounted on v1 share one). */
  private groupDirs(): string[] {
    if (this.mounts.version === 2) return [path.join(this.mounts.root, this.rel)];
    return [...new Set(V1_CONTROLLERS.flatMap((c) => this.dir(c) ?? []))];
  }

  /** Make the group (and its partition's parents) in every hierarchy. */
  async create(): Promise<void> {
    const parts = this.rel.split('/');
    if (this.mounts.version === 2) {
      let dir = this.mounts.root;
      const avail = (await readText(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
      const enable = V2_CONTROLLERS.filter((c) => avail.includes(c)).map((c) => `+${c}`).join(' ');
      for (const p of parts) {
        // A controller must be on in every ancestor's subtree_control for the group to use it.
        if (enable !== '') await fs.writeFile(path.join(dir, 'cgroup.subtree_control'), enable);
        dir = path.join(dir, p);
        await fs.mkdir(dir, { recursive: true });
      }
      const threaded = V2_THREAD_CONTROLLERS.filter((c) => avail.includes(c)).map((c) => `+${c}`).join(' ');
      if (threaded !== '') await fs.writeFile(path.join(dir, 'cgroup.subtree_control'), threaded);
      return;
    }
    for (const ctrl of V1_CONTROLLERS) {
      const base = this.mounts.mounts[ctrl];
      if (base === undefined) continue;
      let dir = base;
      for (const p of parts) {
        const parent = dir;
        dir = path.join(dir, p);
        if (await exists(dir)) continue;
        await fs.mkdir(dir);
        // A new v1 cpuset has no CPUs and no memory nodes: nothing could run in it.
        if (ctrl === 'cpuset') await copyCpuset(parent, dir);
      }
    }
  }

  /** Whether the group is there (after a daemon restart). */
  async exists(): Promise<boolean> {
    return exists(this.groupDirs()[0]!);
  }

  /** Make a thread child (vcpuN, emulator) where threads are placed. */
  async createChild(child: ThreadGroup): Promise<void> {
    if (this.mounts.version === 2) {
      const dir = path.join(this.mounts.root, this.rel, child);
      if (!(await exists(dir))) await fs.mkdir(dir);
      // Threaded: the threads of one process may then sit in different children.
      if ((await readText(path.join(dir, 'cgroup.type')))?.trim() !== 'threaded') await fs.writeFile(path.join(dir, 'cgroup.type'), 'threaded');
      return;
    }
    for (const ctrl of V1_THREAD_CONTROLLERS) {
      const dir = this.dir(ctrl, child);
      if (dir === undefined || (await exists(dir))) continue;
      await fs.mkdir(dir);
      if (ctrl === 'cpuset') await copyCpuset(this.dir('cpuset')!, dir);
    }
  }

  /** Move a whole process (every thread) into the group. */
  async addProcess(pid: number): Promise<void> {
    for (const dir of this.groupDirs()) await fs.writeFile(path.join(dir, 'cgroup.procs'), String(pid));
  }

  /** Move one thread into a thread child. */
  async addThread(child: ThreadGroup, tid: number): Promise<void> {
    if (this.mounts.version === 2) {
      await fs.writeFile(path.join(this.mounts.root, this.rel, child, 'cgroup.threads'), String(tid));
      return;
    }
    for (const ctrl of V1_THREAD_CONTROLLERS) {
      const dir = this.dir(ctrl, child);
      if (dir !== undefined) await fs.writeFile(path.join(dir, 'tasks'), String(tid));
    }
  }

  /** Remove the group and its children (its processes must be gone). */
  async remove(): Promise<void> {
    for (const dir of this.groupDirs()) {
      if (!(await exists(dir))) continue;
      for (const e of await fs.readdir(dir, { withFileTypes: true })) if (e.isDirectory()) await rmdirSoon(path.join(dir, e.name));
      await rmdirSoon(dir);
    }
  }

  /** Remove one thread child (an I/O thread's, after iothreaddel: its thread has ended). */
  async removeChild(child: ThreadGroup): Promise<void> {
    const dirs = this.mounts.version === 2
      ? [path.join(this.mounts.root, this.rel, child)]
      : [...new Set(V1_THREAD_CONTROLLERS.flatMap((c) => this.dir(c, child) ?? []))];
    for (const dir of dirs) await rmdirSoon(dir);
  }

  /** The children there are (after a restart: to find vcpuN groups). */
  async children(): Promise<string[]> {
    const dir = this.dir('cpu');
    if (dir === undefined) return [];
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }

  // --- CPU

  /** cpu.shares (v1) or cpu.weight (v2; libvirt writes the value as it is given). */
  async setShares(value: number): Promise<void> {
    await this.write('cpu', undefined, this.mounts.version === 2 ? 'cpu.weight' : 'cpu.shares', String(value));
  }

  async shares(): Promise<number> {
    return Number(await this.read('cpu', undefined, this.mounts.version === 2 ? 'cpu.weight' : 'cpu.shares'));
  }

  /** CFS bandwidth of the group or a thread child: period in µs, quota in µs (-1: none). */
  async setCfs(child: ThreadGroup | undefined, v: Partial<CfsValues>): Promise<void> {
    if (this.mounts.version === 2) {
      const cur = await this.cfs(child);
      const quota = v.quota ?? cur.quota;
      await this.write('cpu', child, 'cpu.max', `${quota < 0 ? 'max' : quota} ${v.period ?? cur.period}`);
      return;
    }
    if (v.period !== undefined) await this.write('cpu', child, 'cpu.cfs_period_us', String(v.period));
    if (v.quota !== undefined) await this.write('cpu', child, 'cpu.cfs_quota_us', String(v.quota < 0 ? -1 : v.quota));
  }

  async cfs(child?: ThreadGroup): Promise<CfsValues> {
    if (this.mounts.version === 2) {
      const [q, p] = (await this.read('cpu', child, 'cpu.max')).trim().split(/\s+/);
      return { quota: q === 'max' ? -1 : Number(q), period: Number(p ?? 100000) };
    }
    return { period: Number(await this.read('cpu', child, 'cpu.cfs_period_us')), quota: Number(await this.read('cpu', child, 'cpu.cfs_quota_us')) };
  }

  /** cpuset.cpus of the group or a child. */
  async setCpus(child: ThreadGroup | undefined, list: string): Promise<void> {
    await this.write('cpuset', child, 'cpuset.cpus', list);
  }

  async cpus(child?: ThreadGroup): Promise<string> {
    return (await this.read('cpuset', child, this.mounts.version === 2 ? 'cpuset.cpus.effective' : 'cpuset.cpus')).trim();
  }

  /** cpuset.mems of the group and every child (a v1 child may not hold nodes its parent lacks). */
  async setMems(list: string, children: readonly ThreadGroup[]): Promise<void> {
    await this.write('cpuset', undefined, 'cpuset.mems', list);
    if (this.mounts.version === 1) for (const c of children) await this.write('cpuset', c, 'cpuset.mems', list);
  }

  async mems(): Promise<string> {
    return (await this.read('cpuset', undefined, 'cpuset.mems')).trim();
  }

  /** CPU time of the group (and per host CPU on v1, where cpuacct counts it). */
  async cpuUsage(child?: ThreadGroup): Promise<CpuUsage> {
    if (this.mounts.version === 2) {
      const stat = keyValues(await this.read('cpu', child, 'cpu.stat'));
      return { totalNs: (stat.usage_usec ?? 0) * 1000, userNs: (stat.user_usec ?? 0) * 1000, systemNs: (stat.system_usec ?? 0) * 1000 };
    }
    const stat = keyValues(await this.read('cpuacct', child, 'cpuacct.stat'));
    const perCpuNs = (await this.read('cpuacct', child, 'cpuacct.usage_percpu')).trim().split(/\s+/).map(Number);
    return {
      totalNs: Number(await this.read('cpuacct', child, 'cpuacct.usage')),
      userNs: ((stat.user ?? 0) * 1e9) / USER_HZ,
      systemNs: ((stat.system ?? 0) * 1e9) / USER_HZ,
      perCpuNs,
    };
  }

  // --- memory (KiB)

  /** Set the limits given (undefined fields unchanged; null: unlimited), in an order the kernel accepts. */
  async setMemory(v: { hard?: number | null; soft?: number | null; swapHard?: number | null }): Promise<void> {
    const bytes = (k: number | null): string => (k === null ? (this.mounts.version === 2 ? 'max' : '-1') : String(k * 1024));
    if (this.mounts.version === 2) {
      if (v.hard !== undefined) await this.write('memory', undefined, 'memory.max', bytes(v.hard));
      if (v.soft !== undefined) await this.write('memory', undefined, 'memory.high', bytes(v.soft));
      if (v.swapHard !== undefined) {
        // v2 limits swap alone; libvirt's swap_hard_limit is memory plus swap.
        const hard = v.hard === undefined ? (await this.memory()).hard : v.hard ?? undefined;
        const swap = v.swapHard === null || hard === undefined ? null : Math.max(0, v.swapHard - hard);
        await this.write('memory', undefined, 'memory.swap.max', bytes(swap));
      }
      return;
    }
    if (v.soft !== undefined) await this.write('memory', undefined, 'memory.soft_limit_in_bytes', bytes(v.soft));
    // v1 wants memsw >= limit at every moment: raise memsw first, lower it last.
    const cur = await this.memory();
    const swapFirst = v.swapHard !== undefined && (v.swapHard === null || v.swapHard > (cur.swapHard ?? MEMORY_UNLIMITED_KIB));
    if (swapFirst) await this.writeSwap(bytes(v.swapHard!));
    if (v.hard !== undefined) await this.write('memory', undefined, 'memory.limit_in_bytes', bytes(v.hard));
    if (v.swapHard !== undefined && !swapFirst) await this.writeSwap(bytes(v.swapHard));
  }

  private async writeSwap(value: string): Promise<void> {
    const dir = this.dir('memory');
    if (dir === undefined || !(await exists(path.join(dir, 'memory.memsw.limit_in_bytes')))) {
      throw VireoError.of('NO_SUPPORT', 'Operation not supported: this host does not account swap in its memory cgroup (memory.memsw.limit_in_bytes is missing)');
    }
    await this.write('memory', undefined, 'memory.memsw.limit_in_bytes', value);
  }

  async memory(): Promise<MemoryLimits> {
    const kib = (s: string | undefined): number | undefined => {
      if (s === undefined || s.trim() === 'max') return undefined;
      // v1 reads "no limit" as the largest page-aligned value below 2^63 bytes.
      if (Number(s) >= 2 ** 63 - 2 ** 20) return undefined;
      return Math.floor(Number(s) / 1024);
    };
    const out: MemoryLimits = {};
    const set = (key: keyof MemoryLimits, v: number | undefined): void => {
      if (v !== undefined) out[key] = v;
    };
    if (this.mounts.version === 2) {
      const hard = kib(await this.read('memory', undefined, 'memory.max'));
      set('hard', hard);
      set('soft', kib(await this.read('memory', undefined, 'memory.high')));
      const swap = kib(await this.readOptional('memory', 'memory.swap.max'));
      set('swapHard', swap === undefined ? undefined : swap + (hard ?? 0));
      return out;
    }
    set('hard', kib(await this.read('memory', undefined, 'memory.limit_in_bytes')));
    set('soft', kib(await this.read('memory', undefined, 'memory.soft_limit_in_bytes')));
    set('swapHard', kib(await this.readOptional('memory', 'memory.memsw.limit_in_bytes')));
    return out;
  }

  // --- block I/O

  /** The group's I/O weight (v1 blkio.weight, or BFQ's where CFQ is gone; v2 io.weight / io.bfq.weight). */
  async setBlkioWeight(weight: number): Promise<void> {
    const file = await this.weightFile();
    await this.write('blkio', undefined, file, this.mounts.version === 2 ? `default ${weight}` : String(weight));
  }

  async blkioWeight(): Promise<number> {
    const text = await this.read('blkio', undefined, await this.weightFile());
    const m = /(?:^|default\s+)(\d+)/.exec(text.trim());
    return m === null ? 0 : Number(m[1]);
  }

  /** One device's weight (`dev`: 'major:minor'; weight 0 drops it). */
  async setDeviceWeight(dev: string, weight: number): Promise<void> {
    await this.write('blkio', undefined, await this.weightFile(true), `${dev} ${weight === 0 && this.mounts.version === 2 ? 'default' : weight}`);
  }

  /** One device's throttle (`dev`: 'major:minor'; 0 removes it). */
  async setThrottle(dev: string, kind: Throttle, value: number): Promise<void> {
    if (this.mounts.version === 2) {
      await this.write('blkio', undefined, 'io.max', `${dev} ${V2_THROTTLE[kind]}=${value === 0 ? 'max' : value}`);
      return;
    }
    await this.write('blkio', undefined, `blkio.throttle.${kind}_device`, `${dev} ${value}`);
  }

  private async weightFile(device = false): Promise<string> {
    const dir = this.dir('blkio');
    if (dir === undefined) throw VireoError.of('OPERATION_INVALID', 'blkio cgroup isn\'t mounted');
    const [plain, bfq] = this.mounts.version === 2 ? ['io.weight', 'io.bfq.weight'] : device ? ['blkio.weight_device', 'blkio.bfq.weight_device'] : ['blkio.weight', 'blkio.bfq.weight'];
    if (await exists(path.join(dir, plain))) return plain;
    if (await exists(path.join(dir, bfq))) return bfq;
    throw VireoError.of('NO_SUPPORT', `Operation not supported: this host's block I/O controller has no weights (neither ${plain} nor ${bfq}: no CFQ or BFQ scheduler)`);
  }

  // --- files

  private async write(ctrl: V1Controller, child: ThreadGroup | undefined, file: string, value: string): Promise<void> {
    const dir = this.dir(ctrl, child);
    if (dir === undefined) throw notMounted(ctrl);
    try {
      await fs.writeFile(path.join(dir, file), value);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw VireoError.of('OPERATION_FAILED', `Unable to write to '${path.join(dir, file)}': ${errnoText(err)}`, { cause: e });
    }
  }

  private async read(ctrl: V1Controller, child: ThreadGroup | undefined, file: string): Promise<string> {
    const dir = this.dir(ctrl, child);
    if (dir === undefined) throw notMounted(ctrl);
    try {
      return await readSmallFile(path.join(dir, file));
    } catch (e) {
      throw VireoError.of('OPERATION_FAILED', `Unable to read from '${path.join(dir, file)}': ${errnoText(e as NodeJS.ErrnoException)}`, { cause: e });
    }
  }

  private async readOptional(ctrl: V1Controller, file: string): Promise<string | undefined> {
    const dir = this.dir(ctrl);
    return dir === undefined ? undefined : readText(path.join(dir, file));
  }
}

/** libvirt's words when a controller is missing ("cgroup CPU controller is not mounted"). */
export function notMounted(ctrl: V1Controller): VireoError {
  const name = ctrl === 'cpuset' ? 'CPUSET' : ctrl === 'cpuacct' ? 'CPUACCT' : ctrl.toUpperCase();
  return VireoError.of('OPERATION_INVALID', `cgroup ${name} controller is not mounted`);
}

function errnoText(e: NodeJS.ErrnoException): string {
  const words: Record<string, string> = {
    EBUSY: 'Device or resource busy', EINVAL: 'Invalid argument', ENOENT: 'No such file or directory', EACCES: 'Permission denied',
    EPERM: 'Operation not permitted', ENOSPC: 'No space left on device', EOPNOTSUPP: 'Operation not supported', ERANGE: 'Numerical result out of range',
  };
  return words[e.code ?? ''] ?? e.message;
}

function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && k !== '' && v !== undefined) out[k] = Number(v);
  }
  return out;
}

async function copyCpuset(from: string, to: string): Promise<void> {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const v = (await readText(path.join(from, f)))?.trim() ?? '';
    if (v !== '') await fs.writeFile(path.join(to, f), v);
  }
}

async function readText(file: string): Promise<string | undefined> {
  return readSmallFile(file).catch(() => undefined);
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

/**
 * rmdir a cgroup directory. A group refuses (EBUSY) while a task is in it, and an exiting QEMU's
 * threads leave a moment after its pid is reaped: try again briefly before giving up.
 * In a plain directory (the v2 unit test's tree) the files written are removed first.
 */
async function rmdirSoon(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'ENOTEMPTY') {
        await fs.rm(dir, { recursive: true, force: true });
        return;
      }
      if (code !== 'EBUSY' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
