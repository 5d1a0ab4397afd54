/**
 * The two routes that are streams rather than one JSON reply: the event stream (`events`) and
 * console attach (`domain.consoleAttach`). Each is split into what the route means (which
 * console, who may type) and how the bytes travel (ndjson, the raw vireo-console upgrade).
 */
import type * as http from 'node:http';
import type * as net from 'node:net';
import { VireoError } from '../api/errors.js';
import type { DomainEvent, NetworkEvent, PoolEvent } from '../api/types.js';
import type { ConsoleStream } from '../qemu/console.js';
import type { Daemon } from '../daemon/daemon.js';
import type { Call } from './handlers/call.js';

/** An attached console: its stream, whether this reader may type, and the give-back. */
export interface ConsoleSession {
  stream: ConsoleStream;
  readOnly: boolean;
  /** Send recent output first (?replay=1). */
  replay: boolean;
  release(): void;
}

/**
 * Attach to a domain's console for `c` (?devname, ?readonly, ?force, ?replay). An interactive
 * reader claims the console (one at a time; ?force takes it over and `kick` ends the other).
 */
export function attachConsole(c: Call, kick: () => void): ConsoleSession {
  const stream = c.daemon.domains.console(c.ref, c.query.str('devname'));
  const readOnly = c.query.flag('readonly');
  const writer = { kick };
  if (!readOnly && !stream.claim(writer, c.query.flag('force'))) {
    throw new VireoError('OPERATION_FAILED', 'operation failed: Active console session exists for this domain', { hint: 'use --force to take it over, or attach read-only' });
  }
  return { stream, readOnly, replay: c.query.flag('replay'), release: () => stream.release(writer) };
}

/**
 * The console over the raw `Upgrade: vireo-console` connection (the CLI's): after the 101 reply
 * the connection carries console bytes both ways, with no framing to pay for.
 */
export function pipeRawConsole(c: Call, socket: net.Socket): void {
  const session = attachConsole(c, () => socket.end());
  const { stream } = session;
  socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: vireo-console\r\nconnection: upgrade\r\n\r\n');
  if (session.replay) socket.write(stream.recent());
  const onData = (d: Buffer): void => void socket.write(d);
  const onEnd = (): void => void socket.end();
  stream.on('data', onData);
  stream.once('end', onEnd);
  if (!session.readOnly) socket.on('data', (d: Buffer) => stream.write(d));
  socket.on('error', () => socket.destroy());
  // HTTP server sockets allow half-open connections: a reader that hangs up must end ours too.
  socket.on('end', () => socket.end());
  socket.on('close', () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    session.release();
  });
}

/** Call `send` with every event until the returned function is called. */
export function followEvents(daemon: Daemon, send: (ev: DomainEvent | NetworkEvent | PoolEvent) => void): () => void {
  daemon.on('event', send);
  return () => daemon.off('event', send);
}

/** The event stream as ndjson on a plain GET (the CLI's): one JSON object a line, until the client hangs up. */
export function streamEventsNdjson(daemon: Daemon, req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  const stop = followEvents(daemon, (ev) => void res.write(JSON.stringify(ev) + '\n'));
  req.on('close', stop);
}
