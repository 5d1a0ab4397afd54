/**
 * Byte-stream requests over the daemon's UNIX socket (vol-upload, vol-download), with
 * node:http in Node and in the compiled CLI alike: the body is written as the source yields
 * it, under the socket's backpressure, never gathered whole.
 */
import type * as httpTypes from 'node:http';
import { VireoError } from '../../api/errors.js';
import { readReply } from '../core/reply.js';
import { endOf, writeInTurn } from '../../util/write-in-turn.js';

type Unreachable = (e: NodeJS.ErrnoException) => Error;

const collect = (res: httpTypes.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });

/**
 * Send `body` as the request body; resolve or reject with the JSON reply. The request asks
 * `Expect: 100-continue` and sends nothing until the daemon says go on: a refusal (no such
 * volume, an offset past its end, a volume in use) comes back before any byte is sent, so the
 * client reads the daemon's reason, never a broken pipe from a connection closed under a
 * large upload.
 */
export async function sendBytes<T>(http: typeof httpTypes, socketPath: string, unreachable: Unreachable, method: string, path: string,
  contentType: string, body: AsyncIterable<Uint8Array>, length?: number): Promise<T> {
  const headers: httpTypes.OutgoingHttpHeaders = { accept: 'application/json', 'content-type': contentType, expect: '100-continue' };
  if (length !== undefined) headers['content-length'] = length;
  const req = http.request({ socketPath, method, path, headers, agent: false });
  let answered = false;
  const reply = new Promise<T>((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      collect(res).then((text) => {
        // Refused before the daemon read it all: the reply is in, stop sending the rest.
        if ((res.statusCode ?? 500) >= 400 && !req.writableFinished) req.destroy();
        try {
          resolve(readReply<T>(res.statusCode ?? 500, text));
        } catch (e) {
          reject(e);
        }
      }, reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      answered = true;
      reject(unreachable(e));
    });
  });
  req.flushHeaders();
  const goOn = new Promise<boolean>((resolve) => {
    req.once('continue', () => resolve(true));
    void reply.then(() => resolve(false), () => resolve(false));
  });
  // The write that a late refusal cuts short is no error of its own: the reply is what counts.
  const sent = goOn.then((go) => {
    if (!go || answered) return undefined;
    return writeBody(req, body).then(() => undefined, (e: unknown) => {
      // The body cannot be completed (the source failed, or the daemon went): end the request.
      req.destroy();
      return e instanceof Error ? e : new Error(String(e));
    });
  });
  const [result, writeError] = await Promise.all([reply.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e })), sent]);
  if (result.ok) return result.v;
  // Reading the source failing is the cause; a reset after the daemon's refusal is not.
  if (writeError !== undefined && !(result.e instanceof VireoError)) throw writeError;
  throw result.e instanceof Error ? result.e : new Error(String(result.e));
}

/** Write `body` into `req` (in turn: the source may recycle its buffers) and end it. */
async function writeBody(req: httpTypes.ClientRequest, body: AsyncIterable<Uint8Array>): Promise<void> {
  await writeInTurn(req, body);
  // Closed instead of finished: the reply (or the error) says what happened.
  await endOf(req);
}

/** GET `path` as a byte stream; an error reply rejects with its VireoError. */
export function receiveBytes(http: typeof httpTypes, socketPath: string, unreachable: Unreachable, path: string):
  Promise<{ contentType: string; length: number | undefined; body: AsyncIterable<Uint8Array> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'GET', path, agent: false });
    req.on('response', (res) => {
      const status = res.statusCode ?? 500;
      if (status >= 400) {
        collect(res).then((text) => {
          try {
            readReply(status, text);
            reject(new VireoError('PROTOCOL', `vireod answered HTTP ${status} to ${path}`));
          } catch (e) {
            reject(e);
          }
        }, reject);
        return;
      }
      const declared = res.headers['content-length'];
      resolve({ contentType: res.headers['content-type'] ?? '', length: declared === undefined ? undefined : Number(declared), body: res });
    });
    req.on('error', (e: NodeJS.ErrnoException) => reject(unreachable(e)));
    req.end();
  });
}
