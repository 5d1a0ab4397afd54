/**
 * Reading a request safely: the body is capped before it is buffered, must be UTF-8 JSON, and
 * percent-encoded path segments and query strings are decoded strictly. Everything here throws
 * coded VireoErrors; nothing a client sends can become an INTERNAL error or an unbounded buffer.
 */
import type * as http from 'node:http';
import { VireoError } from '../api/errors.js';
import { MAX_XML_BYTES } from '../conf/xml.js';
import { firstInvalidUtf8 } from '../api/utf8.js';

/**
 * The largest request body vireod reads: room for the largest XML document (MAX_XML_BYTES, 4 MiB
 * as libvirt's RPC strings) after JSON escaping, which can at most double it (every `"` and `\`
 * becomes two bytes; XML cannot carry the control characters that JSON writes as \u00XX), plus
 * 1 MiB for the other fields. The cap also bounds the time one request spends in JSON.parse and
 * the XML parser, which run on the daemon's one thread.
 */
export const MAX_BODY_BYTES = 2 * MAX_XML_BYTES + 1024 * 1024;

const MIB = 1024 * 1024;
const mib = (n: number): string => `${(n / MIB).toFixed(1)} MiB`;

/** The error for a body over the cap; the server closes such a connection after answering. */
export function bodyTooLarge(size: number | undefined): VireoError {
  const what = size === undefined ? 'more than ' + mib(MAX_BODY_BYTES) : mib(size);
  return new VireoError('REQUEST_TOO_LARGE', `request body too large: ${what}; vireod accepts at most ${mib(MAX_BODY_BYTES)}`, {
    hint: `domain XML may be at most ${mib(MAX_XML_BYTES)}`,
  });
}

/**
 * The body of `req` as a JSON object ({} when empty). A declared Content-Length over the cap is
 * refused before a byte is read; a body without one is counted as it arrives and refused as soon
 * as it passes the cap, so vireod never holds more than MAX_BODY_BYTES of it.
 */
export async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw bodyTooLarge(Number(declared));
  const chunks: Buffer[] = [];
  let size = 0;
  // Events rather than `for await`: leaving that loop early destroys the socket, and the client
  // would get a reset instead of the 413 reply.
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', resolve);
      req.pause();
      chunks.length = 0;
      reject(bodyTooLarge(undefined));
    };
    req.on('data', onData);
    req.once('end', resolve);
    req.once('error', reject);
  });
  if (size === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    throw new VireoError('INVALID_ARG', `the request body is not valid UTF-8 (at byte ${firstInvalidUtf8(Buffer.concat(chunks, size))})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new VireoError('INVALID_ARG', `the request body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new VireoError('INVALID_ARG', 'the request body is not a JSON object');
  const bad = illFormedString(v);
  if (bad !== undefined) throw new VireoError('INVALID_ARG', `invalid request: ${bad} is not valid Unicode (it holds a lone surrogate escape)`);
  return v as Record<string, unknown>;
}

/**
 * The path (body.x.y) of the first string holding a lone UTF-16 surrogate, which JSON's \uD800
 * escapes can produce although no UTF-8 text can. Iterative: a body may nest deeply.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function illFormedString(root: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[root, 'body']];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return at;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${at}[${i}]`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return `a field name in ${at}`;
        stack.push([x, `${at}.${k}`]);
      }
    }
  }
  return undefined;
}

/** decodeURIComponent that reports malformed input as INVALID_ARG naming `where` and the text. */
export function decodeComponent(raw: string, where: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new VireoError('INVALID_ARG', `invalid argument: malformed percent-encoding in the ${where}: '${raw}'`, {
      hint: "encode bytes as %XX with two hex digits, and only ones that form UTF-8 text",
    });
  }
}

/** A query string (without '?') decoded strictly: '+' is a space, and a bad %XX is INVALID_ARG. */
export function parseQuery(raw: string): URLSearchParams {
  const out = new URLSearchParams();
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    const name = decodeComponent(k.replace(/\+/g, ' '), 'query string');
    out.append(name, decodeComponent(v.replace(/\+/g, ' '), `query parameter '${name}'`));
  }
  return out;
}

/** The path and query of a request target, split without decoding. */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  const noFragment = (s: string): string => (s.includes('#') ? s.slice(0, s.indexOf('#')) : s);
  return q < 0 ? { path: noFragment(target), query: '' } : { path: target.slice(0, q), query: noFragment(target.slice(q + 1)) };
}
