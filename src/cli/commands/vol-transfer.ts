/**
 * vol-upload and vol-download with virsh 9.0's options and messages: a local file streamed to
 * or from a volume through the API, raw or --sparse (zero blocks travel as holes, and a
 * downloaded file keeps them as holes).
 */
import { constants, promises as fs } from 'node:fs';
import { CmdFailure, failureHint, failureLines, fail } from '../errors.js';
import { findVol } from './vol.js';
import type { Args, CommandDef, OptDef } from './types.js';

const opts = (dir: 'to' | 'from'): OptDef[] => [
  { name: 'vol', type: 'data', required: true, help: 'vol name, key or path' },
  { name: 'file', type: 'data', required: true, help: 'file' },
  { name: 'pool', type: 'string', namedOnly: true, help: 'pool name or uuid' },
  { name: 'offset', type: 'string', namedOnly: true, help: `volume offset to ${dir === 'to' ? 'upload to' : 'download from'}` },
  { name: 'length', type: 'string', namedOnly: true, help: `amount of data to ${dir === 'to' ? 'upload' : 'download'}` },
  { name: 'sparse', type: 'bool', help: 'preserve sparseness of volume' },
];

/** An unsigned number option as virsh reads it (no unit suffix). */
function ulong(args: Args, name: string): number {
  const text = args.str(name);
  if (text === undefined) return 0;
  const n = Number(text.trim());
  if (!/^\s*\+?\d+$/.test(text) || !Number.isSafeInteger(n)) fail(`Numeric value '${text}' for <${name}> option is malformed or out of range`);
  return n;
}

/** The daemon's failure of a transfer: virsh's context line, then the reason. */
function transferFailure(context: string, e: unknown): CmdFailure {
  return new CmdFailure(failureLines(e, null, context), failureHint(e));
}

const CHUNK = 1024 * 1024;

/**
 * The bytes of `file`, CHUNK at a time, read into two buffers in turn: the transport is done with
 * a chunk before the one after next is pulled (Transport.sendBytes). A fresh buffer per read
 * made the upload several times slower (page faults and garbage collection of every MiB).
 */
async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  const fh = await fs.open(file, 'r');
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    for (let turn = 0, at = 0; ; turn++) {
      const buf = bufs[turn % 2]!;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, at);
      if (bytesRead === 0) return;
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** A local file written in order with holes left unwritten; writes gathered to 1 MiB. */
class FileSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  position = 0;
  constructor(private readonly fh: fs.FileHandle) {}

  async write(b: Uint8Array): Promise<void> {
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= CHUNK) await this.flush();
  }

  async skip(n: number): Promise<void> {
    await this.flush();
    this.position += n;
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    // One writev of the gathered pieces: joining them first would copy every byte once more.
    const parts = this.pending;
    const n = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    let w = (await this.fh.writev(parts, this.position)).bytesWritten;
    while (w < n) w += (await this.fh.writev(rest(parts, w), this.position + w)).bytesWritten;
    this.position += n;
  }
}

/** What is left of `parts` after its first `skip` bytes (a short write). */
function rest(parts: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (skip >= p.length) skip -= p.length;
    else {
      out.push(skip > 0 ? p.subarray(skip) : p);
      skip = 0;
    }
  }
  return out;
}

export const volTransferCommands: readonly CommandDef[] = [
  {
    name: 'vol-upload', group: 'volume', writes: true,
    help: 'upload file contents to a volume',
    desc: "Upload file contents to a volume: the file's bytes are written into the volume's file from --offset, as they are\n"
      + '(whatever its format). With --sparse, zero blocks are sent as holes and stay holes. An upload cut off half-way\n'
      + 'leaves the volume marked incomplete (vol-info says so; vol-download refuses it) until it is uploaded again whole.',
    opts: opts('to'),
    async run(ctx, args) {
      const ref = args.need('vol');
      const file = args.need('file');
      const offset = ulong(args, 'offset');
      const length = ulong(args, 'length');
      const c = await ctx.client();
      const v = await findVol(c, ref, args.str('pool'));
      const st = await fs.stat(file).catch(() => fail(`cannot read ${file}`));
      if (st.isDirectory()) fail(`cannot send data to volume ${v.name}`, 'send handler failed: Is a directory');
      // virsh's stream refuses bytes past --length: so does this, before any is sent.
      if (length > 0 && st.size > length) fail(`cannot send data to volume ${v.name}`, 'cannot write to stream: No space left on device');
      try {
        await c.uploadVolume(v.pool, v.name, fileChunks(file), { offset, length, sparse: args.bool('sparse'), size: st.size });
      } catch (e) {
        throw transferFailure(`cannot upload to volume ${v.name}`, e);
      }
    },
  },
  {
    name: 'vol-download', group: 'volume',
    help: 'download volume contents to a file',
    desc: "Download volume contents to a file: the bytes of the volume's file from --offset. With --sparse, zero blocks come\n"
      + 'as holes and stay holes in FILE. A failed download removes the file it created.',
    opts: opts('from'),
    async run(ctx, args) {
      const ref = args.need('vol');
      const file = args.need('file');
      const offset = ulong(args, 'offset');
      const length = ulong(args, 'length');
      const sparse = args.bool('sparse');
      const c = await ctx.client();
      const v = await findVol(c, ref, args.str('pool'));
      const existed = await fs.access(file).then(() => true, () => false);
      let fh: fs.FileHandle;
      try {
        fh = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o666);
      } catch {
        return fail(`cannot create ${file}`);
      }
      try {
        const sink = new FileSink(fh);
        const total = await c.downloadVolume(v.pool, v.name, sink, { offset, length, sparse });
        await sink.flush();
        // A hole at the end is no write at all: the file gets its length here.
        if (sparse) await fh.truncate(total);
        await fh.close();
      } catch (e) {
        await fh.close().catch(() => undefined);
        if (!existed) await fs.rm(file, { force: true });
        throw transferFailure(`cannot download from volume ${v.name}`, e);
      }
    },
  },
];
