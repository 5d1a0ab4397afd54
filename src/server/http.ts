/**
 * The HTTP/1.1 + JSON API on vireod's UNIX socket. Routes only parse requests into Daemon
 * calls and format replies; errors become statuses in status.ts.
 */
import * as http from 'node:http';
import * as os from 'node:os';
import * as net from 'node:net';
import { VireoError, isVireoError } from '../api/errors.js';
import type { HostInfo, DomainEvent } from '../api/types.js';
import type { Daemon } from '../daemon/daemon.js';
import { qemuVersion } from '../host/qemu-binary.js';
import { logger } from '../util/log.js';
import { domainInfoRoutes, hostRoutes } from './host-routes.js';
import { httpStatusFor } from './status.js';
import { SCHEMAS, findRoute, type RouteSpec } from '../api/routes.js';
import { listenUnix, type SocketAccess } from './listen.js';
import { validate } from '../api/schema.js';
import { decodeComponent, parseQuery, readJsonBody, splitTarget } from './request.js';

const log = logger('api');
export const VIREO_VERSION = '0.1.0';

type Handler = (daemon: Daemon, params: string[], body: Record<string, unknown>, query: URLSearchParams) => Promise<unknown> | unknown;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const bool = (v: unknown): boolean => v === true;
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new VireoError('INVALID_ARG', `'${what}' must be a string`);
  return v;
};

/** The served routes (exported for the test that keeps them and api/routes.ts in step). */
export function routes(uri: string): Route[] {
  const dom = '/v1/domains/([^/]+)';
  const r = (method: string, path: string, handler: Handler): Route => ({ method, pattern: new RegExp(`^${path}$`), handler });
  return [
    r('GET', '/v1/host', async (d): Promise<HostInfo> => {
      const q = await qemuVersion().catch(() => undefined);
      return {
        version: VIREO_VERSION,
        versionNumber: 1000,
        hypervisor: q === undefined ? null : { name: 'QEMU', version: `${q.major}.${q.minor}.${q.micro}`, versionNumber: q.number },
        hostname: os.hostname(),
        uri,
        kvm: { usable: d.kvm.usable, reason: d.kvm.reason ?? null },
      };
    }),
    ...hostRoutes().map((h) => r(h.method, h.path, h.handler)),
    r('GET', '/v1/domains', (d) => d.list()),
    r('POST', '/v1/domains', (d, _p, b) => d.define(str(b.xml, 'xml'), { validate: bool(b.validate) })),
    r('POST', '/v1/domains/create', (d, _p, b) => d.create(str(b.xml, 'xml'), { paused: bool(b.paused), validate: bool(b.validate) })),
    r('POST', '/v1/domxml-to-native', async (d, _p, b) => ({
      native: await d.domxmlToNative(str(b.format, 'format'), b.domain === undefined ? { xml: str(b.xml, 'xml') } : { domain: str(b.domain, 'domain') }),
    })),
    r('GET', dom, (d, [ref]) => d.summary(d.lookup(ref!))),
    r('DELETE', dom, (d, [ref], _b, q) => d.undefine(ref!, { nvram: q.get('nvram') === '1', keepNvram: q.get('keep-nvram') === '1', keepTpm: q.get('keep-tpm') === '1' })),
    r('GET', `${dom}/xml`, (d, [ref], _b, q) => ({
      xml: d.dumpXml(ref!, { inactive: q.get('inactive') === '1', securityInfo: q.get('security-info') === '1', updateCpu: q.get('update-cpu') === '1' }),
    })),
    r('GET', `${dom}/console`, async (d, [ref], _b, q) => ({ data: (await d.consoleTail(ref!, q.get('devname') ?? undefined)).toString('base64') })),
    r('POST', `${dom}/start`, (d, [ref], b) => d.start(ref!, { paused: bool(b.paused) })),
    r('POST', `${dom}/destroy`, (d, [ref], b) => d.destroy(ref!, { graceful: bool(b.graceful) })),
    r('POST', `${dom}/shutdown`, (d, [ref], b) => d.shutdown(ref!, optMode(b))),
    r('POST', `${dom}/reboot`, (d, [ref], b) => d.reboot(ref!, optMode(b))),
    r('POST', `${dom}/reset`, (d, [ref]) => d.reset(ref!)),
    r('POST', `${dom}/suspend`, (d, [ref]) => d.suspend(ref!)),
    r('POST', `${dom}/resume`, (d, [ref]) => d.resume(ref!)),
    r('POST', `${dom}/autostart`, (d, [ref], b) => d.setAutostart(ref!, bool(b.enabled))),
    ...domainInfoRoutes(dom).map((h) => r(h.method, h.path, h.handler)),
  ];
}

function optMode(b: Record<string, unknown>): { mode?: string } {
  return typeof b.mode === 'string' ? { mode: b.mode } : {};
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface Served {
  close(): void;
}

/**
 * Serve the API for `daemon` on its read-write socket and, beside it, the read-only one whose
 * connections can only read (routes declared `access: 'read'` in api/routes.ts, the event
 * stream, read-only console attach). Resolves once both listen.
 */
export async function serve(daemon: Daemon, sockets: { socket: string; roSocket: string } & SocketAccess, uri: string): Promise<Served> {
  const table = routes(uri);
  const make = (readOnly: boolean): http.Server => {
    const server = http.createServer((req, res) => {
      void handle(daemon, table, req, res, readOnly);
    });
    server.keepAliveTimeout = 60_000;
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => attachConsole(daemon, req, socket, readOnly));
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

/**
 * OPERATION_DENIED when a read-only connection asks for `spec`: a route that changes anything
 * (unless its read-only query flag is set), or a secret a read-only caller may not see.
 */
function checkAccess(spec: RouteSpec, query: URLSearchParams, readOnly: boolean): void {
  if (!readOnly) return;
  const hint = 'use the read-write socket (vireo without -r); the read-only socket only reads';
  const readOnlyVariant = spec.readOnlyQuery !== undefined && query.get(spec.readOnlyQuery) === '1';
  if (spec.access === 'write' && !readOnlyVariant) {
    throw new VireoError('OPERATION_DENIED', `operation forbidden: read only access prevents ${spec.id}`, { hint });
  }
  const secret = spec.secretQuery?.find((q) => query.get(q) === '1');
  if (secret !== undefined) throw new VireoError('OPERATION_DENIED', `operation forbidden: read only access prevents ${spec.id} with ${secret}`, { hint });
}

async function handle(daemon: Daemon, table: Route[], req: http.IncomingMessage, res: http.ServerResponse, readOnly: boolean): Promise<void> {
  const target = splitTarget(req.url ?? '/');
  const pathname = target.path;
  try {
    const query = parseQuery(target.query);
    const spec = findRoute(req.method ?? '', pathname);
    if (spec !== undefined) checkAccess(spec, query, readOnly);
    if (req.method === 'GET' && pathname === '/v1/events') return streamEvents(daemon, req, res);
    for (const route of table) {
      if (route.method !== req.method) continue;
      const m = route.pattern.exec(pathname);
      if (m === null) continue;
      const params = m.slice(1).map((p) => decodeComponent(p, 'URL path'));
      const body = req.method === 'POST' ? await readJsonBody(req) : {};
      if (spec?.request !== undefined) {
        const problem = validate(body, { $ref: `#/components/schemas/${spec.request}` }, SCHEMAS);
        if (problem !== undefined) throw new VireoError('INVALID_ARG', `invalid request: ${problem}`);
      }
      const result = await route.handler(daemon, params, body, query);
      send(res, 200, result);
      return;
    }
    throw new VireoError('NOT_FOUND', `no API route ${req.method ?? '?'} ${pathname}`);
  } catch (e) {
    if (isVireoError(e)) {
      // The rest of an oversized (or refused) body is never read: the connection cannot carry another request.
      if (e.code === 'REQUEST_TOO_LARGE' || (e.code === 'OPERATION_DENIED' && !req.complete)) res.setHeader('connection', 'close');
      send(res, httpStatusFor(e.code), { error: e.toJSON() });
    } else {
      log.error(`${req.method ?? '?'} ${pathname} failed`, { error: e instanceof Error ? e.stack ?? e.message : String(e) });
      send(res, 500, { error: { code: 'INTERNAL', message: `internal error: ${e instanceof Error ? e.message : String(e)}` } });
    }
  }
}

/**
 * GET /v1/domains/{ref}/console/attach with `Upgrade: vireo-console`: after the 101 reply the
 * connection carries raw console bytes both ways (read-only with ?readonly=1). ?force=1 takes the
 * console over from another interactive reader; ?replay=1 first sends the recent output.
 */
function attachConsole(daemon: Daemon, req: http.IncomingMessage, socket: net.Socket, readOnlyConnection: boolean): void {
  const target = splitTarget(req.url ?? '/');
  const fail = (e: unknown): void => {
    const err = isVireoError(e) ? e : new VireoError('INTERNAL', `internal error: ${String(e)}`);
    const text = JSON.stringify({ error: err.toJSON() });
    socket.end(`HTTP/1.1 ${httpStatusFor(err.code)} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  };
  try {
    const query = parseQuery(target.query);
    const m = /^\/v1\/domains\/([^/]+)\/console\/attach$/.exec(target.path);
    if (m === null || req.headers.upgrade !== 'vireo-console') throw new VireoError('NOT_FOUND', `no upgrade route ${target.path}`);
    checkAccess(findRoute('GET', target.path)!, query, readOnlyConnection);
    const stream = daemon.console(decodeComponent(m[1]!, 'URL path'), query.get('devname') ?? undefined);
    const readOnly = query.get('readonly') === '1';
    const writer = { kick: () => socket.end() };
    if (!readOnly && !stream.claim(writer, query.get('force') === '1')) {
      throw new VireoError('OPERATION_FAILED', 'operation failed: Active console session exists for this domain', { hint: 'use --force to take it over, or attach read-only' });
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: vireo-console\r\nconnection: upgrade\r\n\r\n');
    if (query.get('replay') === '1') socket.write(stream.recent());
    const onData = (d: Buffer): void => void socket.write(d);
    const onEnd = (): void => void socket.end();
    stream.on('data', onData);
    stream.once('end', onEnd);
    if (!readOnly) socket.on('data', (d: Buffer) => stream.write(d));
    socket.on('error', () => socket.destroy());
    // HTTP server sockets allow half-open connections: a reader that hangs up must end ours too.
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.release(writer);
    });
  } catch (e) {
    fail(e);
  }
}

function streamEvents(daemon: Daemon, req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  const onEvent = (ev: DomainEvent): void => {
    res.write(JSON.stringify(ev) + '\n');
  };
  daemon.on('event', onEvent);
  req.on('close', () => daemon.off('event', onEvent));
}
