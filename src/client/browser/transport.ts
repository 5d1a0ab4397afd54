/**
 * The browser transport of the client core: requests with fetch, the event stream and consoles
 * over WebSocket (the daemon's RFC 6455 upgrades). A web UI does
 * `new VireoClient(uri, browserTransport({ base: location.origin }))` and gets a WebSocket
 * (binaryType 'arraybuffer') from attachConsole, ready for a terminal widget.
 *
 * It uses only what a browser has; `WebSocket` and `fetch` may be passed in (tests on Node 20,
 * which has fetch but no global WebSocket, pass ws's).
 *
 * Volume streams (vol-upload, vol-download): a download is the reply's body read as it comes; an
 * upload is gathered into a Blob first (a File from an <input> already is one), because
 * browsers stream a request body only over HTTP/2 and vireod speaks HTTP/1.1. A Blob of a large
 * ISO stays on disk in the browsers that page Blobs out, not in the page's memory.
 */
import { VireoError } from '../../api/errors.js';
import { readReply } from '../core/reply.js';
import type { Transport } from '../core/transport.js';

/** The part of the browser's WebSocket this transport uses (ws's WebSocket has it too). */
export interface SocketLike {
  binaryType: string;
  send(data: string | ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
}

export interface BrowserTransportOptions {
  /** Where vireod's API is served, e.g. 'https://host:8443' (requests go to BASE/v1/...). */
  base: string;
  WebSocket?: new (url: string) => SocketLike;
  fetch?: typeof fetch;
}

export function browserTransport(o: BrowserTransportOptions): Transport<SocketLike> {
  const doFetch = o.fetch ?? globalThis.fetch.bind(globalThis);
  const Socket = o.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  const wsUrl = (path: string): string => `${o.base.replace(/^http/, 'ws')}${path}`;

  /** A WebSocket once open. A browser is not told why an upgrade was refused, only that it was. */
  const open = (path: string, binaryType: string): Promise<SocketLike> => {
    if (Socket === undefined) return Promise.reject(new VireoError('NO_SUPPORT', 'this runtime has no WebSocket; pass one in browserTransport({ WebSocket })'));
    const ws = new Socket(wsUrl(path));
    ws.binaryType = binaryType;
    return new Promise((resolve, reject) => {
      let settled = false;
      ws.addEventListener('open', () => {
        settled = true;
        resolve(ws);
      });
      const refused = (): void => {
        if (settled) return;
        settled = true;
        reject(new VireoError('PROTOCOL', `vireod refused the WebSocket for ${path}`, { hint: 'a plain GET of the domain tells whether it exists and runs' }));
      };
      ws.addEventListener('error', refused);
      ws.addEventListener('close', refused);
    });
  };

  const reach = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await doFetch(`${o.base}${path}`, init);
    } catch (e) {
      throw new VireoError('DAEMON_UNREACHABLE', `cannot reach vireod at ${o.base}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };

  return {
    async sendBytes<T>(method: string, path: string, contentType: string, body: AsyncIterable<Uint8Array>): Promise<T> {
      const parts: Uint8Array[] = [];
      // Kept whole: copies, as the source may reuse its buffers (Transport.sendBytes).
      for await (const chunk of body) parts.push(chunk.slice());
      const res = await reach(path, { method, headers: { accept: 'application/json', 'content-type': contentType }, body: new Blob(parts) });
      return readReply<T>(res.status, await res.text());
    },
    async receiveBytes(path: string) {
      const res = await reach(path, { method: 'GET' });
      if (res.status >= 400 || res.body === null) {
        readReply(res.status, await res.text());
        throw new VireoError('PROTOCOL', `vireod answered HTTP ${res.status} to ${path} without a body`);
      }
      const declared = res.headers.get('content-length');
      return { contentType: res.headers.get('content-type') ?? '', length: declared === null ? undefined : Number(declared), body: chunks(res.body) };
    },
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const init: RequestInit = { method, headers: { accept: 'application/json' } };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { accept: 'application/json', 'content-type': 'application/json' };
      }
      const res = await reach(path, init);
      return readReply<T>(res.status, await res.text());
    },
    async events(path, onEvent, onEnd) {
      const ws = await open(path, 'arraybuffer');
      ws.addEventListener('message', (ev) => onEvent(String(ev.data)));
      ws.addEventListener('close', onEnd);
      return () => ws.close();
    },
    console(path) {
      return open(path, 'arraybuffer');
    },
    close() {
      // fetch keeps no connection of ours to close; sockets are closed by whoever holds them.
    },
  };
}

/** A fetch body's chunks (a ReadableStream is not async-iterable in every browser). */
async function* chunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
