/** Which of some processes hold a file open: /proc/PID/fd links, read without spawning anything. */
import { promises as fs } from 'node:fs';

/** The name of the first of `procs` with `file` open (by its real path), or undefined. */
export async function holderOf(file: string, procs: readonly { name: string; pid: number }[]): Promise<string | undefined> {
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch {
    return undefined;
  }
  for (const p of procs) {
    let fds: string[];
    try {
      fds = await fs.readdir(`/proc/${p.pid}/fd`);
    } catch {
      continue; // gone meanwhile, or not ours to look into
    }
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${p.pid}/fd/${fd}`).catch(() => '');
      if (target === real) return p.name;
    }
  }
  return undefined;
}
