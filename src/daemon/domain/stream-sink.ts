/**
 * A one-connection UNIX socket whose bytes go into an open file: how QEMU's migration stream (a
 * save, a full dump) reaches the file that vireod opened.
 *
 * Why a socket and not the file itself: QEMU 7.2 takes a migration target only as a URI, and a
 * file can be handed over only as a descriptor over the monitor (SCM_RIGHTS), which Node has no
 * public API for; letting QEMU open the path would need QEMU to have rights on the user's
 * directory that it should not have (and will not have once it runs unprivileged).
 *
 * The copy is `cat` with the connection as its stdin and the file as its stdout (util/proc.ts
 * copyFd): the bytes never enter Node, which read and wrote them at under 200 MB/s on this
 * machine where cat moves them at several GB/s.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { promises as fs } from 'node:fs';
import { copyFd } from '../../util/proc.js';

export interface StreamSink {
  /** Settles once the sender closed its end and every byte is written (the bytes written). */
  readonly done: Promise<number>;
  /** The copy's failure so far (a write error such as ENOSPC), if any. */
  failure(): Error | undefined;
  /** Stop listening and drop the connection (a failed or cancelled transfer). */
  close(): void;
}

/**
 * Listen on `socketPath` (removed first, and again on close) for one sender whose bytes are
 * written into `file` from its current offset, which must be `start` (write any header before
 * with a non-positional write, so that the offset follows it).
 */
export async function listenInto(socketPath: string, file: fs.FileHandle, start: number): Promise<StreamSink> {
  await fs.rm(socketPath, { force: true });
  // pauseOnConnect: the connection's bytes are for cat alone, never read here.
  const server: Server = createServer({ pauseOnConnect: true });
  let conn: Socket | undefined;
  let failed: Error | undefined;
  let kill: (() => void) | undefined;
  let resolveDone!: (n: number) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<number>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined); // the caller may learn of a failure through failure() instead
  const stopListening = (): void => {
    if (server.listening) server.close();
    void fs.rm(socketPath, { force: true }).catch(() => undefined);
  };
  const fail = (e: Error): void => {
    if (failed !== undefined) return;
    failed = e;
    rejectDone(e);
  };
  server.on('connection', (c) => {
    if (conn !== undefined) {
      c.destroy(); // one sender only
      return;
    }
    conn = c;
    stopListening();
    c.on('error', () => undefined); // cat reports what goes wrong
    let copy: ReturnType<typeof copyFd>;
    try {
      copy = copyFd(c, file.fd);
    } catch (e) {
      c.destroy();
      fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    kill = () => copy.kill();
    // cat has its own copy of the connection: ours is closed so that the sender's end of the
    // stream is seen by cat alone (and a dead cat breaks the sender's pipe).
    c.destroy();
    copy.done.then(
      async (r) => {
        if (r.code === 0) {
          resolveDone((await file.stat()).size - start);
          return;
        }
        const why = r.stderr.trim().replace(/^cat: /, '') || `cat ended with ${r.signal ?? `status ${String(r.code)}`}`;
        const e = new Error(why) as NodeJS.ErrnoException;
        if (/No space left on device/.test(why)) e.code = 'ENOSPC';
        else if (/Disk quota exceeded/.test(why)) e.code = 'EDQUOT';
        fail(e);
      },
      (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  return {
    done,
    failure: () => failed,
    close: () => {
      stopListening();
      conn?.destroy();
      kill?.();
    },
  };
}
