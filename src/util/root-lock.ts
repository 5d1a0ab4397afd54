/**
 * One daemon per state root. libvirtd takes an fcntl lock on its pid file; Node has neither
 * flock nor fcntl locks, and the usual substitute, a pid file created with O_EXCL and judged
 * stale when its pid is dead (or reused, told apart by /proc start time), cannot be taken over
 * safely: two daemons starting after a crash can both judge it stale, and the second removes the
 * first one's fresh file.
 *
 * So the lock is a listening socket in Linux's abstract namespace, named after the root's
 * device and inode. bind() is atomic, and the kernel releases the name when the holder dies,
 * however it dies (SIGKILL included): no stale lock ever outlives its daemon, and nothing needs
 * cleaning up. Keying by device, inode and birth time (not the path) makes a symlinked or
 * bind-mounted root the same root. The holder answers whoever connects with its pid, so a refused daemon can name
 * it. Limit: abstract names are per network namespace, so a daemon started inside another one
 * (ip netns exec) is not stopped; vireod runs in the host's.
 *
 * The pid file (run/vireod.pid, libvirtd's convention) is written after the lock is held, for
 * people and scripts; it is information, not the lock.
 */
import * as net from 'node:net';
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';

export interface RootLock {
  /** Release the lock (also released by the kernel when the process ends). */
  release(): void;
}

/**
 * The abstract socket name of the lock on `dir` (which must exist). The birth time joins device
 * and inode where the file system records one (ext4, xfs, btrfs): a root removed while its daemon
 * still ran frees its inode for the next directory made, which would otherwise look like the same
 * root and be refused (seen with test roots under /tmp).
 */
async function lockName(dir: string): Promise<string> {
  const st = await fs.stat(dir, { bigint: true });
  const born = st.birthtimeNs > 0n ? `:${st.birthtimeNs}` : '';
  return `\0vireod-root:${st.dev}:${st.ino}${born}`;
}

/**
 * Take the lock on the state root whose identity is directory `dir`. Throws OPERATION_INVALID
 * naming `root` and the holder's pid when another live daemon holds it.
 */
export async function lockRoot(dir: string, root: string): Promise<RootLock> {
  const name = await lockName(dir);
  for (let attempt = 0; ; attempt++) {
    const server = net.createServer((c) => {
      c.on('error', () => c.destroy());
      c.end(`${process.pid}\n`);
    });
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen({ path: name, exclusive: true }, () => resolve(undefined));
    });
    if (err === undefined) {
      // The lock must not keep the event loop alive on its own, nor be what keeps vireod running.
      server.unref();
      return { release: () => void server.close() };
    }
    if (err.code !== 'EADDRINUSE') throw VireoError.of('INTERNAL', `cannot lock the state root ${root}: ${err.message}`, { cause: err });
    const holder = await holderPid(name);
    // The holder may have ended between our bind and our connect: then the name is free again.
    if (holder === undefined && attempt < 3) continue;
    throw VireoError.of('OPERATION_INVALID', `the state root ${root} is in use by another vireod${holder === undefined ? '' : ` (pid ${holder})`}`, {
      hint: 'stop that daemon first, or give this one another --root',
    });
  }
}

/** The pid the lock holder answers with, or undefined if nobody answers. */
function holderPid(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.createConnection(name);
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('end', () => {
      const pid = Number(text.trim());
      resolve(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
    });
    s.on('error', () => resolve(undefined));
  });
}
