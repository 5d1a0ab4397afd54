/**
 * Thread CPU affinity and real-time scheduling, through util-linux's taskset and chrt (the
 * process runner spawns them; Node has no sched_setaffinity), and read back from /proc.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';
import { run } from '../util/proc.js';
import { readSmallFile } from '../util/small-file.js';

async function tool(cmd: string, args: string[], what: string): Promise<void> {
  const r = await run(cmd, args, { timeoutMs: 10_000 }).catch((e: unknown) => {
    throw VireoError.of('OPERATION_FAILED', `cannot run ${cmd} to ${what}: ${(e as Error).message}`, { cause: e });
  });
  if (r.code !== 0) throw VireoError.of('OPERATION_FAILED', `cannot ${what}: ${r.stderr.trim() || `${cmd} exited with ${r.code}`}`);
}

/** Let thread `tid` run only on the CPUs in `list` ('0-1,3'). */
export async function setAffinity(tid: number, list: string): Promise<void> {
  await tool('taskset', ['--pid', '--cpu-list', list, String(tid)], `set the CPU affinity of thread ${tid}`);
}

/** The CPUs thread `tid` of process `pid` may run on, as the kernel lists them ('0-1'). */
export async function affinityOf(pid: number, tid: number): Promise<string> {
  const status = await readSmallFile(`/proc/${pid}/task/${tid}/status`);
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? '';
}

/** Give thread `tid` a real-time policy (fifo or rr) at `priority` (1-99). */
export async function setRealtime(tid: number, policy: 'fifo' | 'rr', priority: number): Promise<void> {
  await tool('chrt', [policy === 'fifo' ? '--fifo' : '--rr', '--pid', String(priority), String(tid)], `give thread ${tid} the ${policy} scheduler`);
}

/** The thread ids of a process. */
export async function threadsOf(pid: number): Promise<number[]> {
  return (await fs.readdir(`/proc/${pid}/task`)).map(Number).filter((n) => Number.isInteger(n));
}

/** The host's online CPUs as a list ('0-1'). */
export async function onlineCpus(): Promise<string> {
  return (await readSmallFile('/sys/devices/system/cpu/online')).trim();
}
