/**
 * The client in Node (the CLI): the core over the daemon's UNIX socket, for a connection URI;
 * vireo:///session starts the per-user daemon when it does not answer.
 */
import type { Duplex } from 'node:stream';
import { VireoError } from '../api/errors.js';
import { readOnlySocket } from '../api/paths.js';
import { VireoClient as CoreClient } from './core/client.js';
import type { Transport } from './core/transport.js';
import { unixTransport } from './node/unix.js';
import { parseUri, type Endpoint } from './uri.js';

/** For vireo:///session: when the daemon is not there, start it and try once more. */
function withSessionDaemon(t: Transport<Duplex>, socket: string): Transport<Duplex> {
  const retry = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      // Only a daemon that is not there is started; not one whose socket this user may not use.
      const errno = (e as { cause?: { code?: unknown } }).cause?.code;
      if (!(e instanceof VireoError) || e.code !== 'DAEMON_UNREACHABLE' || (errno !== 'ENOENT' && errno !== 'ECONNREFUSED')) throw e;
      const { ensureSessionDaemon } = await import('./node/autostart.js');
      await ensureSessionDaemon(socket);
      return op();
    }
  };
  return {
    request: (method, path, body) => retry(() => t.request(method, path, body)),
    events: (path, onEvent, onEnd) => retry(() => t.events(path, onEvent, onEnd)),
    console: (path) => retry(() => t.console(path)),
    // A byte stream cannot be sent twice: the daemon was started by the lookup that came first.
    ...(t.sendBytes === undefined ? {} : { sendBytes: t.sendBytes.bind(t) }),
    ...(t.receiveBytes === undefined ? {} : { receiveBytes: (path: string) => retry(() => t.receiveBytes!(path)) }),
    close: () => t.close(),
  };
}

/** The client core with Node's console channel (a Duplex) and URI-based opening. */
export class VireoClient extends CoreClient<Duplex> {
  private constructor(readonly endpoint: Endpoint, t: Transport<Duplex>) {
    super(endpoint.uri, t);
  }

  /**
   * Connect to the daemon named by a URI (no request is made until the first call); with
   * `readOnly`, to its read-only socket, whose connections the daemon lets only read.
   */
  static open(uri: string, opts: { readOnly?: boolean } = {}): VireoClient {
    const ep = parseUri(uri);
    const socket = opts.readOnly === true ? readOnlySocket(ep.socket) : ep.socket;
    const t = unixTransport(socket);
    return new VireoClient(ep, ep.session ? withSessionDaemon(t, socket) : t);
  }
}
