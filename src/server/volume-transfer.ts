/**
 * The two byte-stream routes: volume.upload (the request body streamed to disk, outside the
 * JSON body cap) and volume.download (the reply a byte stream). What the bytes mean and the
 * locking are the volume service's; here only HTTP: media types, lengths, and a receiver that
 * goes away.
 */
import type * as http from 'node:http';
import { VireoError } from '../api/errors.js';
import { BYTES_MEDIA_TYPE, SPARSE_MEDIA_TYPE } from '../api/volume-stream.js';
import type { TransferOptions } from '../daemon/storage/transfer.js';
import type { Call } from './handlers/call.js';
import { endOf, writeInTurn } from '../util/write-in-turn.js';

function options(c: Call): TransferOptions {
  const o: TransferOptions = { offset: c.query.int('offset') ?? 0, sparse: c.query.flag('sparse') };
  const length = c.query.int('length');
  if (length !== undefined) o.length = length;
  return o;
}

/**
 * POST .../upload: check the media type, then hand the request stream to the service, which
 * calls `accepted` (send `100 Continue`) once the volume is checked and locked.
 */
export async function uploadVolume(c: Call, req: http.IncomingMessage, accepted: () => void): Promise<unknown> {
  const o = options(c);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const want = o.sparse ? SPARSE_MEDIA_TYPE : BYTES_MEDIA_TYPE;
  if (type !== want) {
    throw new VireoError('INVALID_ARG', `invalid argument: an upload${o.sparse ? ' with sparse=1' : ''} takes a body of content-type ${want}, not '${type}'`);
  }
  return c.daemon.volumes.upload(c.ref, c.vol, o, req, accepted);
}

/** GET .../download: the reply's headers once the volume is checked, then its bytes. */
export async function downloadVolume(c: Call, res: http.ServerResponse): Promise<void> {
  const o = options(c);
  await c.daemon.volumes.download(c.ref, c.vol, o, async (count, body) => {
    const headers: http.OutgoingHttpHeaders = { 'content-type': o.sparse ? SPARSE_MEDIA_TYPE : BYTES_MEDIA_TYPE, 'cache-control': 'no-store' };
    // Raw: the length tells the receiver whether it got everything. Sparse: chunked, and the
    // end frame tells it.
    if (!o.sparse) headers['content-length'] = count;
    res.writeHead(200, headers);
    try {
      // In turn: the volume's reader recycles its buffers (util/write-in-turn.ts).
      await writeInTurn(res, body);
      await endOf(res);
    } catch {
      // The receiver went away (or the file could not be read after the headers went): the
      // connection is closed short of its length or end frame, which the receiver reports.
      res.destroy();
    }
  });
}
