/**
 * The event stream and consoles over WebSocket (RFC 6455), so that a browser can use them:
 * `GET /v1/events` sends one JSON event a text frame; console attach carries console bytes in
 * binary frames both ways (text frames from the client are typed as their UTF-8 bytes: xterm.js
 * sends keys as strings).
 *
 * The protocol is the `ws` package's, not ours: its frame parser (masking, fragmentation,
 * control frames, UTF-8 checks, payload caps) is what every Node WebSocket server uses and is
 * checked against the Autobahn suite, and this daemon runs as root reading untrusted frames;
 * it has no dependencies of its own. It is loaded on the first WebSocket upgrade only.
 */
import type * as http from 'node:http';
import type * as net from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Daemon } from '../daemon/daemon.js';
import type { Call } from './handlers/call.js';
import { attachConsole, followEvents } from './streams.js';

/** The most a client may send in one message: keystrokes and pastes, not files. */
const MAX_MESSAGE = 64 * 1024;
/** A reader this far behind is dropped rather than buffered for without end. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** Close code for a reader too slow to keep up (RFC 6455 7.4.1: 1008, policy violation). */
const TOO_SLOW = 1008;

let server: Promise<WebSocketServer> | undefined;

function wss(): Promise<WebSocketServer> {
  server ??= import('ws').then(({ WebSocketServer: Server }) => new Server({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false }));
  return server;
}

/** Complete the handshake (ws answers a bad one with 400 itself) and hand over the connection. */
async function accept(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<WebSocket | undefined> {
  const s = await wss();
  return new Promise((resolve) => {
    socket.once('close', () => resolve(undefined));
    s.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}

/** Send unless the reader has fallen too far behind; then drop it. */
function sendOrDrop(ws: WebSocket, data: string | Buffer): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED) {
    ws.close(TOO_SLOW, 'reader too slow');
    return;
  }
  ws.send(data);
}

/** The event stream over a WebSocket: one JSON event a text frame until either side closes. */
export async function websocketEvents(daemon: Daemon, req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
  const ws = await accept(req, socket, head);
  if (ws === undefined) return;
  const stop = followEvents(daemon, (ev) => sendOrDrop(ws, JSON.stringify(ev)));
  ws.on('close', stop);
  ws.on('error', () => ws.terminate());
}

/**
 * A console over a WebSocket. The console is claimed before the handshake, so that a refusal
 * (no such domain, another interactive reader, the read-only socket) is a plain HTTP error.
 */
export async function websocketConsole(c: Call, req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
  // Not const: the take-over callback can run during the handshake, before ws is set.
  // eslint-disable-next-line prefer-const -- it is read (as undefined) before it is assigned
  let ws: WebSocket | undefined;
  const session = attachConsole(c, () => ws?.close(1000, 'console taken over'));
  socket.once('close', () => session.release());
  ws = await accept(req, socket, head);
  if (ws === undefined) return;
  const open = ws;
  const { stream } = session;
  if (session.replay) sendOrDrop(open, stream.recent());
  const onData = (d: Buffer): void => sendOrDrop(open, d);
  const onEnd = (): void => open.close(1000, 'console closed');
  stream.on('data', onData);
  stream.once('end', onEnd);
  if (!session.readOnly) {
    // Binary or text alike: a text frame's payload is the UTF-8 of what was typed (ws has
    // checked it is UTF-8), which is what the guest reads.
    open.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      stream.write(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    });
  }
  open.on('error', () => open.terminate());
  open.on('close', () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    session.release();
  });
}
