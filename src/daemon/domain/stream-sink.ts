/**
 * A one-connection UNIX socket whose bytes go into an open file from a given offset: how QEMU's
 * migration stream (a save) reaches the image file that vireod opened.
 *
 * Why a socket and not the file itself: QEMU 7.2 takes a migration target only as a URI, and a
 * file can be handed over only as a descriptor over the monitor (SCM_RIGHTS), which Node has no
 * public API for; letting QEMU open the path would need QEMU to have rights on the user's
 * directory that it should not have (and will not have once it runs unprivileged). The copy is a
 * stream pipe (socket reads of 64 KiB, writes gathered with writev while one is in flight).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createWriteStream, promises as fs } from 'node:fs';

export interface StreamSink {
  /** Settles once the sender closed its end and every byte is written (the number of bytes). */
  readonly done: Promise<number>;
  /** The copy's failure so far (a write error such as ENOSPC), if any. */
  failure(): Error | undefined;
  /** Stop listening and drop the connection (a failed or cancelled transfer). */
  close(): void;
}

/** Listen on `socketPath` (removed first, and again on close) for one sender writing into `file` from `start`. */
export async function listenInto(socketPath: string, file: fs.FileHandle, start: number): Promise<StreamSink> {
  await fs.rm(socketPath, { force: true });
  const server: Server = createServer({ pauseOnConnect: false });
  let conn: Socket | undefined;
  let failed: Error | undefined;
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
  server.on('connection', (c) => {
    if (conn !== undefined) {
      c.destroy(); // one sender only
      return;
    }
    conn = c;
    stopListening();
    // The file stays open (the caller still writes the header and closes it), so the stream
    // never closes by itself: its end is 'finish' (pipeline() would wait for a 'close'). It
    // writes on the bare descriptor: a FileHandle's own stream holds a reference that keeps the
    // handle's close() waiting until the stream is destroyed, and destroying it closes the file.
    const out = createWriteStream('', { fd: file.fd, start, autoClose: false, highWaterMark: 1 << 20 });
    const fail = (e: Error): void => {
      if (failed !== undefined) return;
      failed = e;
      c.destroy();
      out.destroy();
      rejectDone(e);
    };
    c.once('error', fail);
    out.once('error', fail);
    out.once('finish', () => resolveDone(c.bytesRead));
    c.pipe(out);
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
    },
  };
}
