/**
 * dump: a guest's memory (and device state) into a file (virsh dump), as a long job.
 *
 * Without --memory-only the file is QEMU's migration stream, as libvirt writes it: QEMU migrates
 * into a UNIX socket in the run directory and vireod copies the bytes into the file it opened
 * (stream-sink.ts, as save does). With --memory-only, QEMU's dump-guest-memory writes ELF or
 * (flattened) kdump into a FIFO in the run directory that vireod reads and copies into the file:
 * QEMU never opens the user's path, and QEMU 7.2 writes both formats sequentially (its kdump
 * writer is the flattened "makedumpfile" format, which needs no seek), so a FIFO serves.
 *
 * The guest is paused for the dump unless `live`, resumed afterwards unless `crash` (then shut
 * off, reason crashed) or `reset` (reset, then resumed). A failed or aborted dump removes the
 * file and leaves the guest as it was.
 */
import { constants, open as openCb, promises as fs } from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { VireoError } from '../../api/errors.js';
import { dumpGuestMemory, dumpFormats, queryDump, type DumpFormat } from '../../qemu/dump.js';
import type { Monitor } from '../../qemu/monitor.js';
import { logger } from '../../util/log.js';
import { run } from '../../util/proc.js';
import type { DomainHost } from './ops.js';
import { bandwidth } from './save.js';
import { stopProcess } from './stop.js';
import { listenInto } from './stream-sink.js';

const log = logger('dump');
const POLL_MS = 50;

export interface DumpOptions {
  memoryOnly?: boolean;
  format?: DumpFormat;
  live?: boolean;
  crash?: boolean;
  reset?: boolean;
}

interface JobHandle { signal: AbortSignal; progress(p: number, t: number): void }

/** Dump `ref`'s memory into `file` (a path on the daemon host). */
export async function dumpDomain(host: DomainHost, ref: string, file: string, opts: DumpOptions = {}): Promise<void> {
  if (opts.crash === true && opts.reset === true) throw VireoError.of('INVALID_ARG', "Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_RESET' are mutually exclusive");
  if (opts.format !== undefined && opts.memoryOnly !== true) {
    throw VireoError.of('INVALID_ARG', 'Format is only valid with --memory-only', { hint: 'add --memory-only, or leave --format out' });
  }
  const dom = host.lookup(ref);
  await dom.jobs.run('dump', 'long', async (job) => {
    const rt = dom.runtime;
    if (rt === undefined) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
    const qmp = await host.qmp(dom);
    const format = opts.memoryOnly === true ? opts.format ?? 'elf' : undefined;
    if (format !== undefined && !(await dumpFormats(qmp)).includes(format)) {
      throw VireoError.of('INVALID_ARG', `unsupported dumpformat '${format}' for this QEMU binary`);
    }
    const out = await openTarget(file, dom.name);
    let paused = false;
    try {
      if (opts.live !== true && dom.state === 'running') {
        rt.pauseReason = 'dumping';
        await qmp.stop();
        paused = true;
      }
      if (format === undefined) await migrateInto(qmp, path.join(rt.runDir, 'dump.sock'), out, job, dom.name);
      else await memoryInto(qmp, path.join(rt.runDir, 'dump.fifo'), format, out, job, dom.name);
      await out.datasync();
    } catch (e) {
      log.warn(`${dom.name}: dump to ${file} failed`, { error: String(e) });
      await out.close().catch(() => undefined);
      await fs.rm(file, { force: true }).catch(() => undefined);
      if (paused && !qmp.isClosed && dom.runtime === rt) await qmp.cont().catch(() => undefined);
      throw dumpError(e, dom.name, file);
    }
    await out.close();
    if (opts.crash === true) {
      await stopProcess(host.ctx, dom, 'crashed');
      return;
    }
    if (opts.reset === true) await qmp.systemReset();
    if (paused && dom.runtime === rt) await qmp.cont();
  });
}

async function openTarget(file: string, name: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  } catch (e) {
    throw new VireoError('OPERATION_FAILED', `Failed to create file '${file}': ${(e as Error).message}`, {
      cause: e, hint: `domain '${name}' goes on as it was; choose a directory vireod can write`,
    });
  }
}

/** A full dump: QEMU's migration stream into the file (libvirt's format for virsh dump). */
async function migrateInto(qmp: Monitor, sock: string, out: fs.FileHandle, job: JobHandle, name: string): Promise<void> {
  const sink = await listenInto(sock, out, 0);
  try {
    await qmp.setMigrationBandwidth(bandwidth());
    await qmp.migrate(`unix:${sock}`);
    let cancelled = false;
    for (;;) {
      const failed = sink.failure();
      if (failed !== undefined) {
        await qmp.migrateCancel().catch(() => undefined);
        throw failed;
      }
      if (job.signal.aborted && !cancelled) {
        cancelled = true;
        await qmp.migrateCancel();
      }
      const info = await qmp.queryMigrate();
      if (info.ram !== undefined) job.progress(info.ram.transferred, info.ram.total);
      if (info.status === 'completed' && !cancelled) break;
      if (info.status === 'failed') throw new Error(info.error ?? 'QEMU reports the migration failed');
      if (info.status === 'cancelled' || (info.status === 'completed' && cancelled)) {
        throw VireoError.of('OPERATION_ABORTED', `dumping domain '${name}' was aborted on request`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    await sink.done;
  } finally {
    sink.close();
  }
}

/**
 * A memory-only dump through a FIFO. It is opened non-blocking for reading before QEMU opens it
 * for writing (dump-guest-memory opens its file before it answers), so neither side waits on
 * the other, and EOF comes only when QEMU's dump thread closes it.
 */
async function memoryInto(qmp: Monitor, fifo: string, format: DumpFormat, out: fs.FileHandle, job: JobHandle, name: string): Promise<void> {
  await fs.rm(fifo, { force: true });
  const r = await run('mkfifo', ['-m', '0600', fifo]);
  if (r.code !== 0) throw new Error(`mkfifo ${fifo}: ${r.stderr.trim()}`);
  let reader: Socket | undefined;
  try {
    // A bare descriptor, not a FileHandle: the socket owns it from here on and closes it (a
    // FileHandle would close it again when collected, and vireod dies of the EBADF).
    const fd = await new Promise<number>((res, rej) => openCb(fifo, constants.O_RDONLY | constants.O_NONBLOCK, (e, n) => (e === null ? res(n) : rej(e))));
    reader = new Socket({ fd, readable: true, writable: false });
    const copied = copyInto(reader, out);
    await dumpGuestMemory(qmp, `file:${fifo}`, format);
    let copyError: Error | undefined;
    copied.catch((e: unknown) => { copyError = e instanceof Error ? e : new Error('copying the memory dump failed'); });
    for (;;) {
      if (copyError !== undefined) throw copyError;
      const st = await queryDump(qmp);
      job.progress(st.completed, st.total);
      if (st.status === 'completed') break;
      if (st.status === 'failed') throw new Error('QEMU reports the memory dump failed');
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
    await copied;
    // QEMU 7.2 cannot cancel a memory-only dump; an abort asked meanwhile drops its result.
    if (job.signal.aborted) throw VireoError.of('OPERATION_ABORTED', `dumping domain '${name}' was aborted on request`);
  } finally {
    reader?.destroy();
    await fs.rm(fifo, { force: true }).catch(() => undefined);
  }
}

/** Copy everything `src` gives into `out` (from offset 0), settling at EOF. */
function copyInto(src: Socket, out: fs.FileHandle): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let pos = 0;
    let writing = Promise.resolve();
    src.on('data', (chunk: Buffer) => {
      src.pause();
      const at = pos;
      pos += chunk.length;
      writing = writing.then(async () => {
        await out.write(chunk, 0, chunk.length, at);
        src.resume();
      });
      writing.catch((e: unknown) => {
        src.destroy();
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
    src.once('error', reject);
    src.once('end', () => void writing.then(resolve, reject));
  });
}

function dumpError(e: unknown, name: string, file: string): Error {
  if (e instanceof VireoError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/No space left|ENOSPC|Disk quota/i.test(msg)) {
    return VireoError.of('NO_SPACE', `cannot dump domain '${name}' to '${file}': No space left on device`, {
      hint: 'the partial file was removed; the guest goes on as before', cause: e,
    });
  }
  return VireoError.of('OPERATION_FAILED', `dumping domain '${name}' to '${file}' failed: ${msg}`, { cause: e });
}
