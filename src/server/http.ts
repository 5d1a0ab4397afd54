/**
 * The HTTP/1.1 + JSON API on vireod's UNIX sockets: the read-write one and, beside it, the
 * read-only one. Requests are parsed and dispatched in router.ts.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import type { Daemon } from '../daemon/daemon.js';
import { listenUnix, type SocketAccess } from './listen.js';
import { handleRequest, handleUpgrade, type Site } from './router.js';

export interface Served {
  close(): void;
}

/**
 * Serve the API for `daemon` on its read-write socket and on the read-only one, whose
 * connections can only read (routes declared `access: 'read'` in api/routes.ts, the event
 * stream, read-only console attach). Resolves once both listen.
 */
export async function serve(daemon: Daemon, sockets: { socket: string; roSocket: string } & SocketAccess, uri: string): Promise<Served> {
  const make = (readOnly: boolean): http.Server => {
    const site: Site = { daemon, uri, readOnly };
    // handleRequest answers every error itself (as an error reply); it does not reject.
    const server = http.createServer((req, res) => void handleRequest(site, req, res));
    server.keepAliveTimeout = 60_000;
    // `Expect: 100-continue` (vol-upload sends it): the route decides when to ask for the body,
    // so that an upload refused at once is refused before a byte of it is sent.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => void handleRequest(site, req, res, true));
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => handleUpgrade(site, req, socket, head));
    return server;
  };
  const rw = make(false);
  const ro = make(true);
  await listenUnix(rw, sockets.socket, sockets.mode, sockets.gid, '--socket-mode');
  try {
    await listenUnix(ro, sockets.roSocket, sockets.roMode, sockets.gid, '--ro-socket-mode');
  } catch (e) {
    rw.close();
    throw e;
  }
  return {
    close() {
      for (const s of [rw, ro]) {
        s.close();
        s.closeAllConnections();
      }
    },
  };
}
