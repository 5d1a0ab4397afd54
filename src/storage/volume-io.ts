/**
 * The bytes of vol-upload and vol-download: a volume's file written from a request stream, or
 * read into a reply stream, at an offset, raw or as the framed sparse stream
 * (api/volume-stream.ts). Nothing is held whole: reads go out 1 MiB at a time, and an upload
 * stops reading its source while more than WRITE_HIGH bytes wait for the disk.
 */
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { VireoError } from '../api/errors.js';
import { SparseDecoder, frameHeader, zeroRuns } from '../api/volume-stream.js';
import { run } from '../util/proc.js';

const CHUNK = 1024 * 1024;
/** Bytes received but not yet written at which the source is paused, and resumed below LOW. */
const WRITE_HIGH = 8 * CHUNK;
const WRITE_LOW = 2 * CHUNK;

/** The part of the file [offset, offset+length) that exists: `count` bytes (0 past the end). */
export async function readableRange(file: string, offset: number, length: number | undefined): Promise<number> {
  const size = (await fs.stat(file)).size;
  const rest = Math.max(0, size - offset);
  return length === undefined || length === 0 ? rest : Math.min(rest, length);
}

/**
 * `count` raw bytes of `file` from `offset`, CHUNK at a time, read into two buffers in turn: the
 * consumer must be done with a chunk before it pulls the one after next (util/write-in-turn.ts).
 */
export async function* readRaw(file: string, offset: number, count: number): AsyncGenerator<Uint8Array> {
  const fh = await fs.open(file, 'r');
  try {
    const bufs = [Buffer.allocUnsafe(Math.min(CHUNK, count)), Buffer.allocUnsafe(Math.min(CHUNK, count))];
    for (let turn = 0, done = 0; done < count; turn++) {
      const buf = bufs[turn % 2]!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, count - done), offset + done);
      if (bytesRead === 0) throw new VireoError('STORAGE_FAILED', `cannot read '${file}': it ended at ${offset + done} bytes while being read`);
      done += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

const isZero = (b: Uint8Array): boolean => {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  return buf.equals(ZEROS.subarray(0, b.length));
};
const ZEROS = Buffer.alloc(4096);

/**
 * `count` bytes of `file` from `offset` as the sparse stream: data frames, hole frames for
 * zero blocks, then the end frame. A read that fails half-way ends the stream with an error
 * frame instead, so the receiver knows it is not whole.
 */
export async function* readSparse(file: string, offset: number, count: number): AsyncGenerator<Uint8Array> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(file, 'r');
    // Two buffers in turn, as readRaw: the frames yielded are views into one of them.
    const bufs = [Buffer.allocUnsafe(Math.min(CHUNK, count)), Buffer.allocUnsafe(Math.min(CHUNK, count))];
    for (let turn = 0, done = 0; done < count; turn++) {
      const buf = bufs[turn % 2]!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, count - done), offset + done);
      if (bytesRead === 0) throw new VireoError('STORAGE_FAILED', `cannot read '${file}': it ended at ${offset + done} bytes while being read`);
      const got = buf.subarray(0, bytesRead);
      let at = 0;
      for (const r of zeroRuns(got, isZero)) {
        yield frameHeader(r.hole ? 'H' : 'D', r.length);
        if (!r.hole) yield got.subarray(at, at + r.length);
        at += r.length;
      }
      done += bytesRead;
    }
    yield frameHeader('E', count);
  } catch (e) {
    const err = e instanceof VireoError ? e : new VireoError('STORAGE_FAILED', `cannot read '${file}': ${e instanceof Error ? e.message : String(e)}`);
    const body = new TextEncoder().encode(JSON.stringify(err.toJSON()));
    yield frameHeader('X', body.length);
    yield body;
  } finally {
    await fh?.close();
  }
}

/** How an upload is written. */
export interface WriteOptions {
  offset: number;
  /** At most this many bytes (data and holes); a body with more is refused. */
  length?: number;
  sparse: boolean;
}

/** How far an upload got: whether the file was changed at all, and the bytes it covered. */
export interface WriteProgress {
  touched: boolean;
  covered: number;
}

/**
 * Write the upload `src` into `file` (which must exist; it is not truncated) from `offset`, and
 * flush it to disk. Raw: the bytes as they come. Sparse: data frames written, hole frames
 * left as holes (punched where the file had data, the file extended where they pass its end).
 * Rejects when the source ends early (connection lost, no end frame), is malformed, or holds
 * more than `length`; `progress` tells the caller what was changed by then.
 */
export async function writeUpload(file: string, src: Readable, o: WriteOptions, progress: WriteProgress): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    const oldSize = (await fh.stat()).size;
    const decoder = o.sparse ? new SparseDecoder() : undefined;
    const holes: { at: number; length: number }[] = [];
    const limit = o.length === undefined || o.length === 0 ? Infinity : o.length;
    const claim = (n: number): void => {
      if (progress.covered + n > limit) throw VireoError.of('INVALID_ARG', `the upload holds more than the ${limit} bytes given as its length`);
    };
    // Whole batches go to the file with one writev each: no copy into a joined buffer (which
    // cost more than the disk write itself: fresh multi-MiB allocations and the GC behind them).
    const writeData = async (parts: Uint8Array[], n: number): Promise<void> => {
      if (n === 0) return;
      claim(n);
      progress.touched = true;
      await writeAll(fh, parts, n, o.offset + progress.covered);
      progress.covered += n;
    };
    await pump(src, async (chunks, n) => {
      if (decoder === undefined) return writeData(chunks, n);
      let batch: Uint8Array[] = [];
      let batched = 0;
      for (const chunk of chunks) {
        for (const ev of decoder.push(chunk)) {
          if (ev.kind === 'data') {
            batch.push(ev.bytes);
            batched += ev.bytes.length;
          } else if (ev.kind === 'hole') {
            await writeData(batch, batched);
            batch = [];
            batched = 0;
            claim(ev.length);
            const last = holes[holes.length - 1];
            const at = o.offset + progress.covered;
            if (last !== undefined && last.at + last.length === at) last.length += ev.length;
            else holes.push({ at, length: ev.length });
            progress.covered += ev.length;
          } else if (ev.kind === 'error') throw new VireoError('INVALID_ARG', 'invalid argument: an upload stream may not carry an error frame');
        }
      }
      await writeData(batch, batched);
    });
    if (decoder !== undefined && !decoder.complete) throw new VireoError('OPERATION_ABORTED', 'operation aborted: the sparse upload ended without its end frame');
    const end = o.offset + progress.covered;
    for (const h of holes) {
      // Beyond the old end of the file a hole is already one; inside, it must read as zeros.
      const stop = Math.min(h.at + h.length, oldSize);
      if (h.at < stop) {
        progress.touched = true;
        await punchHole(file, h.at, stop - h.at);
      }
    }
    if (end > (await fh.stat()).size) {
      progress.touched = true;
      await fh.truncate(end);
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Write `parts` (`n` bytes) at `position`, however many calls the kernel takes. */
async function writeAll(fh: fs.FileHandle, parts: Uint8Array[], n: number, position: number): Promise<void> {
  let done = (await fh.writev(parts, position)).bytesWritten;
  // A short write (a full disk gives an error instead; a signal may not): the rest, in order.
  while (done < n) {
    let skip = done;
    const rest: Uint8Array[] = [];
    for (const p of parts) {
      if (skip >= p.length) skip -= p.length;
      else {
        rest.push(skip > 0 ? p.subarray(skip) : p);
        skip = 0;
      }
    }
    done += (await fh.writev(rest, position + done)).bytesWritten;
  }
}

async function punchHole(file: string, offset: number, length: number): Promise<void> {
  const r = await run('fallocate', ['--punch-hole', '-o', String(offset), '-l', String(length), file], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new VireoError('STORAGE_FAILED', `cannot punch a hole of ${length} bytes at ${offset} in '${file}': ${r.stderr.trim()}`);
}

/**
 * Feed `src`'s chunks to `write` in order, pausing `src` while too much waits. Rejects with
 * OPERATION_ABORTED when `src` closes before its end (the client went away).
 */
function pump(src: Readable, write: (chunks: Buffer[], bytes: number) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const queue: Buffer[] = [];
    let queued = 0;
    let writing = false;
    let ended = false;
    let settled = false;
    const finish = (e?: Error): void => {
      if (settled) return;
      settled = true;
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('close', onClose);
      src.off('error', onError);
      // A refused upload is not read further; the server answers and closes the connection.
      if (e !== undefined) {
        src.pause();
        reject(e);
      } else resolve();
    };
    const drain = async (): Promise<void> => {
      writing = true;
      while (queue.length > 0 && !settled) {
        const parts = queue.splice(0, queue.length);
        const bytes = parts.reduce((n, p) => n + p.length, 0);
        await write(parts, bytes);
        queued -= bytes;
        if (src.isPaused() && queued < WRITE_LOW && !ended) src.resume();
      }
      writing = false;
      if (ended) finish();
    };
    const onData = (b: Buffer): void => {
      queue.push(b);
      queued += b.length;
      if (queued >= WRITE_HIGH) src.pause();
      if (!writing) drain().catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
    };
    const onEnd = (): void => {
      ended = true;
      if (!writing) finish();
    };
    const cut = (): VireoError => new VireoError('OPERATION_ABORTED', 'operation aborted: the upload was cut off before its end (the client went away)');
    const onClose = (): void => {
      if (!ended) finish(cut());
    };
    const onError = (e: Error): void => finish(Object.assign(cut(), { cause: e }));
    src.on('data', onData);
    src.once('end', onEnd);
    src.once('close', onClose);
    src.once('error', onError);
  });
}
