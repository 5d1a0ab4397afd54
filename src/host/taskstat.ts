/**
 * What the kernel says about a guest's QEMU process and its threads, read as libvirt's QEMU
 * driver reads it without cgroups: CPU times and the host CPU a thread last ran on
 * (/proc/PID/task/TID/stat), time spent waiting for a CPU (schedstat), the CPUs a thread may run
 * on (status: Cpus_allowed_list), the resident memory (status: VmRSS), and the host's CPU map
 * (/sys/devices/system/cpu). Parsers are pure and exported for the unit tests; readers take the
 * root they read under ('/' normally).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseCpuList } from './nodeinfo.js';
import { readSmallFile } from '../util/small-file.js';

/** Clock ticks per second of the stat files' times (USER_HZ), 100 on every architecture vireo runs on. */
export const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/** The fields of a /proc/.../stat line that the statistics use. */
export interface TaskStat {
  /** One letter: R running, S sleeping, D disk wait, T stopped, Z zombie... */
  state: string;
  /** User and system time, ns (whole ticks: the kernel counts in ticks here). */
  userNs: number;
  systemNs: number;
  /** The host CPU the thread last ran on. */
  processor: number;
}

/** Parse one stat line (proc(5)); the command name may hold spaces and parentheses. */
export function parseTaskStat(text: string): TaskStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // rest[0] is field 3 (state), so field N of proc(5) is rest[N - 3].
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  const processor = Number(rest[39 - 3]);
  if (rest[0] === undefined || !Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isInteger(processor)) return undefined;
  return { state: rest[0], userNs: utime * NS_PER_TICK, systemNs: stime * NS_PER_TICK, processor };
}

/** Parse /proc/.../schedstat: time on a CPU and time waiting in a run queue, ns. */
export function parseSchedstat(text: string): { runNs: number; delayNs: number } | undefined {
  const [run, delay] = text.trim().split(/\s+/).map(Number);
  if (run === undefined || delay === undefined || !Number.isFinite(run) || !Number.isFinite(delay)) return undefined;
  return { runNs: run, delayNs: delay };
}

/** The fields of /proc/.../status that the statistics use. */
export interface TaskStatus {
  /** Host CPUs the thread may run on (Cpus_allowed_list). */
  affinity?: number[];
  /** Resident memory, KiB (VmRSS; a thread's is its process's). */
  rssKiB?: number;
}

/** Parse /proc/.../status. */
export function parseTaskStatus(text: string): TaskStatus {
  const out: TaskStatus = {};
  const allowed = /^Cpus_allowed_list:\s*(\S+)/m.exec(text);
  if (allowed !== null) out.affinity = parseCpuList(allowed[1]!);
  const rss = /^VmRSS:\s*(\d+)\s*kB/m.exec(text);
  if (rss !== null) out.rssKiB = Number(rss[1]);
  return out;
}

/** One thread of a running guest's QEMU, as vcpuinfo and domstats' vcpu group show it. */
export interface ThreadFacts {
  stat: TaskStat;
  /** Run-queue wait (schedstat); 0 where the kernel keeps no schedstats. */
  delayNs: number;
  affinity: number[];
}

const readText = (p: string): Promise<string | undefined> => readSmallFile(p).catch(() => undefined);

/** A thread's facts, or undefined when it is gone (the guest may have stopped meanwhile). */
export async function readThread(pid: number, tid: number, root = '/'): Promise<ThreadFacts | undefined> {
  const dir = path.join(root, 'proc', String(pid), 'task', String(tid));
  const [stat, sched, status] = await Promise.all([readText(`${dir}/stat`), readText(`${dir}/schedstat`), readText(`${dir}/status`)]);
  const s = stat === undefined ? undefined : parseTaskStat(stat);
  if (s === undefined) return undefined;
  return { stat: s, delayNs: (sched === undefined ? undefined : parseSchedstat(sched))?.delayNs ?? 0, affinity: (status === undefined ? undefined : parseTaskStatus(status))?.affinity ?? [] };
}

/** A process's CPU times (every thread it had, the ended ones too) and resident memory. */
export async function readProcess(pid: number, root = '/'): Promise<{ userNs: number; systemNs: number; rssKiB: number } | undefined> {
  const dir = path.join(root, 'proc', String(pid));
  const [stat, status] = await Promise.all([readText(`${dir}/stat`), readText(`${dir}/status`)]);
  const s = stat === undefined ? undefined : parseTaskStat(stat);
  if (s === undefined) return undefined;
  return { userNs: s.userNs, systemNs: s.systemNs, rssKiB: (status === undefined ? undefined : parseTaskStatus(status))?.rssKiB ?? 0 };
}

/**
 * KVM's halt-polling times of a process's vCPUs (debugfs /sys/kernel/debug/kvm/PID-FD/vcpuN/
 * halt_poll_{success,fail}_ns), summed; zeros where there are none (TCG, no debugfs), as libvirt.
 */
export async function readHaltPoll(pid: number, root = '/'): Promise<{ successNs: number; failNs: number }> {
  const kvm = path.join(root, 'sys/kernel/debug/kvm');
  const out = { successNs: 0, failNs: 0 };
  const vms = (await fs.readdir(kvm).catch(() => [] as string[])).filter((d) => d.startsWith(`${pid}-`));
  for (const vm of vms) {
    const vcpus = (await fs.readdir(path.join(kvm, vm)).catch(() => [] as string[])).filter((d) => /^vcpu\d+$/.test(d));
    for (const v of vcpus) {
      out.successNs += Number(await readText(path.join(kvm, vm, v, 'halt_poll_success_ns'))) || 0;
      out.failNs += Number(await readText(path.join(kvm, vm, v, 'halt_poll_fail_ns'))) || 0;
    }
  }
  return out;
}

/** The host's CPUs: how many there are (present, else online) and which are online. */
export async function hostCpuMap(root = '/'): Promise<{ present: number; online: number[] }> {
  const dir = path.join(root, 'sys/devices/system/cpu');
  const online = parseCpuList((await readText(`${dir}/online`)) ?? '0');
  const present = parseCpuList((await readText(`${dir}/present`)) ?? '');
  const count = Math.max(present.length === 0 ? 0 : Math.max(...present) + 1, online.length === 0 ? 1 : Math.max(...online) + 1);
  return { present: count, online };
}
