/**
 * The sparse stream of vol-upload --sparse and vol-download --sparse (docs/api.md, "Volume
 * streams"): a sequence of frames, each a 9-byte header (one kind byte, then a length as an
 * unsigned 64-bit big-endian number) and, for data and error frames, that many bytes of payload.
 *
 *   'D' data   LENGTH bytes of the volume follow
 *   'H' hole   LENGTH bytes that read as zeros; nothing follows, the receiver leaves a hole
 *   'E' end    the stream is complete; LENGTH is the number of bytes it covered (data + holes)
 *   'X' error  LENGTH bytes of a JSON error body follow (a download that failed half-way)
 *
 * A stream that stops before its 'E' frame was cut off, whatever the transport said. Pure and
 * browser-safe: Uint8Array only.
 */
import { VireoError } from './errors.js';

export const SPARSE_MEDIA_TYPE = 'application/vnd.vireo.sparse-stream';
export const BYTES_MEDIA_TYPE = 'application/octet-stream';
export const FRAME_HEADER = 9;

export type FrameKind = 'D' | 'H' | 'E' | 'X';

/** The header of one frame. */
export function frameHeader(kind: FrameKind, length: number): Uint8Array {
  const h = new Uint8Array(FRAME_HEADER);
  h[0] = kind.charCodeAt(0);
  const view = new DataView(h.buffer);
  view.setUint32(1, Math.floor(length / 2 ** 32));
  view.setUint32(5, length >>> 0);
  return h;
}

/** What the decoder found: data arrives in pieces as the bytes come, never buffered whole. */
export type StreamEvent =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'hole'; length: number }
  | { kind: 'end'; total: number }
  | { kind: 'error'; body: unknown };

const bad = (why: string): VireoError => new VireoError('INVALID_ARG', `invalid argument: malformed sparse stream: ${why}`);

/** The largest error payload a decoder accepts (an error body is a few hundred bytes). */
const MAX_ERROR_BYTES = 64 * 1024;

/** An incremental decoder: push() each chunk as it arrives, and finish() when the input ends. */
export class SparseDecoder {
  private header = new Uint8Array(FRAME_HEADER);
  private have = 0;
  private kind: FrameKind | undefined;
  private remaining = 0;
  private error: Uint8Array[] = [];
  private ended = false;
  /** Bytes covered so far by data and hole frames. */
  covered = 0;

  /** Decode one chunk; the data events it returns are views into `chunk`. */
  push(chunk: Uint8Array): StreamEvent[] {
    const out: StreamEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.ended) throw bad('bytes after the end frame');
      if (this.kind === undefined) {
        const take = Math.min(FRAME_HEADER - this.have, chunk.length - at);
        this.header.set(chunk.subarray(at, at + take), this.have);
        this.have += take;
        at += take;
        if (this.have < FRAME_HEADER) break;
        this.have = 0;
        this.startFrame(out);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      this.remaining -= take;
      if (this.kind === 'D') {
        this.covered += take;
        out.push({ kind: 'data', bytes: piece });
      } else {
        this.error.push(piece.slice());
      }
      if (this.remaining === 0) this.endFrame(out);
    }
    return out;
  }

  private startFrame(out: StreamEvent[]): void {
    const view = new DataView(this.header.buffer);
    const length = view.getUint32(1) * 2 ** 32 + view.getUint32(5);
    if (!Number.isSafeInteger(length)) throw bad('a frame length beyond 2^53');
    const kind = String.fromCharCode(this.header[0]!);
    switch (kind) {
      case 'H':
        this.covered += length;
        out.push({ kind: 'hole', length });
        return;
      case 'E':
        if (length !== this.covered) throw bad(`the end frame says ${length} bytes, the frames covered ${this.covered}`);
        this.ended = true;
        out.push({ kind: 'end', total: length });
        return;
      case 'D':
      case 'X':
        if (kind === 'X' && length > MAX_ERROR_BYTES) throw bad(`an error frame of ${length} bytes`);
        this.kind = kind;
        this.remaining = length;
        if (length === 0) this.endFrame(out);
        return;
      default:
        throw bad(`unknown frame kind 0x${this.header[0]!.toString(16).padStart(2, '0')}`);
    }
  }

  private endFrame(out: StreamEvent[]): void {
    if (this.kind === 'X') {
      const bytes = new Uint8Array(this.error.reduce((n, b) => n + b.length, 0));
      let o = 0;
      for (const b of this.error) {
        bytes.set(b, o);
        o += b.length;
      }
      this.error = [];
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        body = { code: 'PROTOCOL', message: 'the volume stream ended with an unreadable error' };
      }
      out.push({ kind: 'error', body });
    }
    this.kind = undefined;
  }

  /** Whether the end frame came. */
  get complete(): boolean {
    return this.ended;
  }
}

/** Whether `b` holds only zero bytes. */
export function allZero(b: Uint8Array): boolean {
  // Word by word where the view is aligned: a data block usually fails on its first word.
  if (b.byteOffset % 4 === 0 && b.length % 4 === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The block size at which zeros count as a hole: the page and file system block of Linux. */
export const HOLE_BLOCK = 4096;

/**
 * Split `b` into runs of data and of all-zero blocks (HOLE_BLOCK each, aligned to `b`'s start);
 * a last partial block is data unless zero too. Without SEEK_HOLE (Node has no lseek), zeros
 * are how a hole is seen; an allocated run of zeros becomes a hole on the other side, which
 * reads the same.
 */
export function zeroRuns(b: Uint8Array, isZero: (x: Uint8Array) => boolean = allZero): { hole: boolean; length: number }[] {
  const out: { hole: boolean; length: number }[] = [];
  for (let at = 0; at < b.length; at += HOLE_BLOCK) {
    const end = Math.min(at + HOLE_BLOCK, b.length);
    const hole = isZero(b.subarray(at, end));
    const last = out[out.length - 1];
    if (last !== undefined && last.hole === hole) last.length += end - at;
    else out.push({ hole, length: end - at });
  }
  return out;
}
