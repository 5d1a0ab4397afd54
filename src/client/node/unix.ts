/**
 * The Node transport of the client core: HTTP/1.1 + JSON over the daemon's UNIX socket, the
 * event stream as ndjson and consoles over the raw vireo-console upgrade (no framing).
 *
 * node:http is loaded on first use, and under Bun (the compiled CLI) plain requests go through
 * Bun's fetch, which speaks HTTP over a UNIX socket natively: there, loading node:http alone
 * costs ~18 ms, more than the whole rest of a one-shot command.
 */
import type * as httpTypes from 'node:http';
import type { Duplex } from 'node:stream';
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { VireoError, type ErrorBody } from '../../api/errors.js';
import type { Transport } from '../core/transport.js';
import { readReply } from '../core/reply.js';

const underBun = typeof process.versions.bun === 'string';

export function unixTransport(socketPath: string): Transport<Duplex> {
  let agent: httpTypes.Agent | undefined;
  const http = async (): Promise<typeof httpTypes> => {
    const m = await import('node:http');
    agent ??= new m.Agent({ keepAlive: true, maxSockets: 4 });
    return m;
  };
  const unreachable = (e: NodeJS.ErrnoException): VireoError | NodeJS.ErrnoException => connectFailure(socketPath, e);
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
            try {
              resolve(readReply<T>(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8')));
            } catch (e) {
              reject(e);
            }
          });
          res.on('error', reject);
        });
        req.on('error', (e: NodeJS.ErrnoException) => reject(unreachable(e)));
        req.end(payload);
      });
    },
    async events(path, onLine, onEnd) {
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
        req.on('error', (e: NodeJS.ErrnoException) => reject(unreachable(e)));
        req.end();
      });
    },
    async sendBytes<T>(method: string, path: string, contentType: string, body: AsyncIterable<Uint8Array>, length?: number): Promise<T> {
      const { sendBytes } = await import('./bytes.js');
      return sendBytes<T>(await http(), socketPath, unreachable, method, path, contentType, body, length);
    },
    async receiveBytes(path) {
      const { receiveBytes } = await import('./bytes.js');
      return receiveBytes(await http(), socketPath, unreachable, path);
    },
    async console(path) {
      const protocol = 'vireo-console';
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
        req.on('error', (e: NodeJS.ErrnoException) => reject(unreachable(e)));
        req.end();
      });
    },
    close() {
      agent?.destroy();
    },
  };
}

/** One request through Bun's fetch (its `unix` option); same replies and errors as the node:http path. */
async function fetchRequest<T>(socketPath: string, method: string, path: string, body: unknown, unreachable: (e: NodeJS.ErrnoException) => Error): Promise<T> {
  const init: RequestInit & { unix: string } = { method, unix: socketPath, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
  }
  let res: Response;
  try {
    res = await fetch(`http://vireod${path}`, init);
  } catch (e) {
    // Bun's fetch reports the connect errno as the error's code (EACCES, ENOENT, ECONNREFUSED);
    // guessing it from whether the socket exists called a permission problem "Connection refused".
    const code = (e as { code?: unknown }).code;
    const err = Object.assign(new Error(String(e)), {
      code: typeof code === 'string' && code !== '' ? code : existsSync(socketPath) ? 'ECONNREFUSED' : 'ENOENT',
      syscall: 'connect',
    }) as NodeJS.ErrnoException;
    throw unreachable(err);
  }
  return readReply<T>(res.status, await res.text());
}

/** Errors of connect(2) on the daemon's socket, and what each means for the user. */
const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  ECONNREFUSED: 'Connection refused',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTSOCK: 'Socket operation on non-socket',
};

/**
 * A failure to connect to `socketPath` as DAEMON_UNREACHABLE, with virsh's message and a hint
 * that fits the cause; any other error is returned as it is.
 */
export function connectFailure(socketPath: string, e: NodeJS.ErrnoException): VireoError | NodeJS.ErrnoException {
  const text = e.code === undefined ? undefined : CONNECT_ERRORS[e.code];
  if (text === undefined) return e;
  const denied = e.code === 'EACCES' || e.code === 'EPERM';
  return new VireoError('DAEMON_UNREACHABLE', `Failed to connect socket to '${socketPath}': ${text}`, {
    hint: denied ? permissionHint(socketPath) : 'is vireod running? start it with: vireod (or pass -c with the right URI)',
    cause: e,
  });
}

/** Why this user may not use the socket, from its owner and mode when they can be read. */
function permissionHint(socketPath: string): string {
  let st: Stats | undefined;
  try {
    st = statSync(socketPath);
  } catch {
    // a directory on the way is closed to this user
  }
  const fix = "ask to be put in the socket's group (vireod --socket-group, --socket-mode 0660), or connect read-only with -r";
  if (st === undefined) return `this user may not reach ${socketPath}; ${fix}`;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  return `the socket is mode ${mode}, owned by ${nameOf('/etc/passwd', st.uid)}:${nameOf('/etc/group', st.gid)}; ${fix}`;
}

/** The name of uid/gid `id` in a passwd or group file, else the number. */
function nameOf(file: string, id: number): string {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(id) && f[0] !== undefined) return f[0];
    }
  } catch {
    // unreadable: the number will do
  }
  return String(id);
}
