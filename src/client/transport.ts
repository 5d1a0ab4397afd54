/**
 * HTTP/1.1 + JSON over the daemon's UNIX socket.
 *
 * node:http is loaded on first use, and under Bun (the compiled CLI) plain requests go through
 * Bun's fetch, which speaks HTTP over a UNIX socket natively: there, loading node:http alone
 * costs ~18 ms, more than the whole rest of a one-shot command.
 */
import type * as httpTypes from 'node:http';
import type { Duplex } from 'node:stream';
import { existsSync } from 'node:fs';
import { VireoError, type ErrorBody } from '../api/errors.js';

export interface Transport {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Open a streaming GET; each line of the body is handed to onLine. Resolves with a close function. */
  stream(path: string, onLine: (line: string) => void, onEnd: () => void): Promise<() => void>;
  /** Switch a request to a raw byte stream (HTTP Upgrade). */
  upgrade(path: string, protocol: string): Promise<Duplex>;
  close(): void;
}

const underBun = typeof process.versions.bun === 'string';

export function unixTransport(socketPath: string): Transport {
  let agent: httpTypes.Agent | undefined;
  const http = async (): Promise<typeof httpTypes> => {
    const m = await import('node:http');
    agent ??= new m.Agent({ keepAlive: true, maxSockets: 4 });
    return m;
  };
  const unreachable = (e: NodeJS.ErrnoException): VireoError =>
    new VireoError('DAEMON_UNREACHABLE', `Failed to connect socket to '${socketPath}': ${describeErrno(e)}`, {
      hint: 'is vireod running? start it with: vireod (or pass -c with the right URI)',
      cause: e,
    });
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      if (underBun) return fetchRequest<T>(socketPath, method, path, body, unreachable);
      const h = await http();
      return new Promise<T>((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const headers: httpTypes.OutgoingHttpHeaders = { accept: 'application/json' };
        if (payload !== undefined) {
          headers['content-type'] = 'application/json';
          headers['content-length'] = payload.length;
        }
        const req = h.request({ socketPath, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              reject(new VireoError('PROTOCOL', `vireod sent a reply that is not JSON (HTTP ${res.statusCode ?? '?'})`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const err = (parsed as { error?: ErrorBody } | undefined)?.error;
              reject(err === undefined ? new VireoError('PROTOCOL', `vireod answered HTTP ${res.statusCode ?? '?'} without an error body`) : VireoError.fromBody(err));
              return;
            }
            resolve(parsed as T);
          });
          res.on('error', reject);
        });
        req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? unreachable(e) : e));
        req.end(payload);
      });
    },
    async stream(path, onLine, onEnd) {
      const h = await http();
      return new Promise((resolve, reject) => {
        const req = h.request({ socketPath, method: 'GET', path, agent: false }, (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            reject(new VireoError('PROTOCOL', `vireod answered HTTP ${res.statusCode ?? '?'} to ${path}`));
            res.resume();
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line !== '') onLine(line);
            }
          });
          res.on('end', onEnd);
          res.on('close', onEnd);
          resolve(() => req.destroy());
        });
        req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? unreachable(e) : e));
        req.end();
      });
    },
    async upgrade(path, protocol) {
      const h = await http();
      return new Promise((resolve, reject) => {
        const req = h.request({ socketPath, method: 'GET', path, agent: false, headers: { connection: 'upgrade', upgrade: protocol } });
        req.on('upgrade', (_res, socket, head) => {
          if (head.length > 0) socket.unshift(head);
          resolve(socket);
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: ErrorBody };
              reject(body.error !== undefined ? VireoError.fromBody(body.error) : new VireoError('PROTOCOL', `vireod refused the upgrade (HTTP ${res.statusCode ?? '?'})`));
            } catch {
              reject(new VireoError('PROTOCOL', `vireod refused the upgrade (HTTP ${res.statusCode ?? '?'})`));
            }
          });
        });
        req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? unreachable(e) : e));
        req.end();
      });
    },
    close() {
      agent?.destroy();
    },
  };
}

/** One request through Bun's fetch (its `unix` option); same replies and errors as the node:http path. */
async function fetchRequest<T>(socketPath: string, method: string, path: string, body: unknown, unreachable: (e: NodeJS.ErrnoException) => VireoError): Promise<T> {
  const init: RequestInit & { unix: string } = { method, unix: socketPath, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
  }
  let res: Response;
  try {
    res = await fetch(`http://vireod${path}`, init);
  } catch (e) {
    const err = Object.assign(new Error(String(e)), { code: existsSync(socketPath) ? 'ECONNREFUSED' : 'ENOENT' }) as NodeJS.ErrnoException;
    throw unreachable(err);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new VireoError('PROTOCOL', `vireod sent a reply that is not JSON (HTTP ${res.status})`);
  }
  if (res.status >= 400) {
    const err = (parsed as { error?: ErrorBody } | undefined)?.error;
    throw err === undefined ? new VireoError('PROTOCOL', `vireod answered HTTP ${res.status} without an error body`) : VireoError.fromBody(err);
  }
  return parsed as T;
}

function describeErrno(e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return 'No such file or directory';
  if (e.code === 'ECONNREFUSED') return 'Connection refused';
  if (e.code === 'EACCES') return 'Permission denied';
  return e.message;
}
