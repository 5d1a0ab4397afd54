/**
 * vol-upload and vol-download in the client core: the byte-stream routes over a Transport that
 * can carry them, raw or as the framed sparse stream (api/volume-stream.ts). Browser-safe:
 * sources and bodies are AsyncIterables of Uint8Array (a Node Readable is one).
 */
import { VireoError, type ErrorBody } from '../../api/errors.js';
import type { VolumeSummary } from '../../api/types.js';
import { BYTES_MEDIA_TYPE, SPARSE_MEDIA_TYPE, SparseDecoder, frameHeader, zeroRuns } from '../../api/volume-stream.js';
import type { Transport } from './transport.js';

export interface TransferRange {
  /** Where in the volume's file to start (default 0). */
  offset?: number;
  /** At most this many bytes (0 or absent: all). */
  length?: number;
  /** Keep holes: send (or receive) zero blocks as holes. */
  sparse?: boolean;
}

/** Where a download's bytes go: written in order, with `skip` for a hole (leave it unwritten). */
export interface ByteSink {
  write(b: Uint8Array): Promise<void>;
  skip(n: number): Promise<void>;
}

const enc = encodeURIComponent;

function transferPath(pool: string, vol: string, what: 'upload' | 'download', r: TransferRange): string {
  const q: string[] = [];
  if (r.offset !== undefined && r.offset !== 0) q.push(`offset=${r.offset}`);
  if (r.length !== undefined && r.length !== 0) q.push(`length=${r.length}`);
  if (r.sparse === true) q.push('sparse=1');
  return `/v1/pools/${enc(pool)}/volumes/${enc(vol)}/${what}${q.length > 0 ? `?${q.join('&')}` : ''}`;
}

const cannot = (what: string): VireoError => new VireoError('NO_SUPPORT', `this client's transport cannot stream volume bytes (${what})`);

/** `source` (the bytes of a file, holes read as zeros) as the sparse stream. */
export async function* sparseFrames(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    let at = 0;
    for (const r of zeroRuns(chunk)) {
      yield frameHeader(r.hole ? 'H' : 'D', r.length);
      if (!r.hole) yield chunk.subarray(at, at + r.length);
      at += r.length;
    }
    total += chunk.length;
  }
  yield frameHeader('E', total);
}

/**
 * Upload `source` into a volume. `size`, when known, is the number of bytes `source` yields
 * (sent as the body's length for a raw upload).
 */
export function uploadVolume<C>(t: Transport<C>, pool: string, vol: string, source: AsyncIterable<Uint8Array>, r: TransferRange & { size?: number }): Promise<VolumeSummary> {
  if (t.sendBytes === undefined) return Promise.reject(cannot('sendBytes'));
  const path = transferPath(pool, vol, 'upload', r);
  if (r.sparse === true) return t.sendBytes<VolumeSummary>('POST', path, SPARSE_MEDIA_TYPE, sparseFrames(source));
  return t.sendBytes<VolumeSummary>('POST', path, BYTES_MEDIA_TYPE, source, r.size);
}

const cut = (got: number, want: string): VireoError =>
  new VireoError('OPERATION_FAILED', `operation failed: the download was cut off after ${got} bytes of ${want}`);

/** Download a volume into `sink`; resolves with the number of bytes the range covered. */
export async function downloadVolume<C>(t: Transport<C>, pool: string, vol: string, sink: ByteSink, r: TransferRange): Promise<number> {
  if (t.receiveBytes === undefined) throw cannot('receiveBytes');
  const reply = await t.receiveBytes(transferPath(pool, vol, 'download', r));
  if (r.sparse !== true) {
    let got = 0;
    for await (const b of reply.body) {
      got += b.length;
      await sink.write(b);
    }
    if (reply.length !== undefined && got !== reply.length) throw cut(got, String(reply.length));
    return got;
  }
  const decoder = new SparseDecoder();
  for await (const chunk of reply.body) {
    for (const ev of decoder.push(chunk)) {
      if (ev.kind === 'data') await sink.write(ev.bytes);
      else if (ev.kind === 'hole') await sink.skip(ev.length);
      else if (ev.kind === 'error') throw VireoError.fromBody(ev.body as ErrorBody);
      else return ev.total;
    }
  }
  throw cut(decoder.covered, 'a sparse stream that had not ended');
}
