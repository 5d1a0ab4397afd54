/**
 * server/ only parses and dispatches: a request is matched to its route in api/routes.ts, its
 * path parameter, query and body are checked against that declaration, the read-only socket's
 * rule is applied, and the handler bound to the route's id runs. Errors become statuses here.
 */
import type * as http from 'node:http';
import type * as net from 'node:net';
import { VireoError, isVireoError } from '../api/errors.js';
import { checkQuery } from '../api/query.js';
import { SCHEMAS, matchRoute, type RouteId, type RouteSpec } from '../api/routes.js';
import { validate } from '../api/schema.js';
import type { Daemon } from '../daemon/daemon.js';
import { logger } from '../util/log.js';
import type { Call, HandlerTable } from './handlers/call.js';
import { domainHandlers } from './handlers/domain.js';
import { saveHandlers, sendScreenshot } from './handlers/save.js';
import { tuningHandlers } from './handlers/tuning.js';
import { iothreadHandlers } from './handlers/iothreads.js';
import { snapshotHandlers } from './handlers/snapshot.js';
import { domainBlockHandlers } from './handlers/domain-block.js';
import { domainIfTuneHandlers } from './handlers/domain-iftune.js';
import { hostHandlers } from './handlers/host.js';
import { memCpuHandlers } from './handlers/memcpu.js';
import { networkHandlers } from './handlers/network.js';
import { interfaceHandlers } from './handlers/interface.js';
import { storageHandlers } from './handlers/storage.js';
import { statsHandlers } from './handlers/stats.js';
import { decodeComponent, parseQuery, readJsonBody, splitTarget } from './request.js';
import { httpStatusFor } from './status.js';
import { pipeRawConsole, streamEventsNdjson } from './streams.js';
import { downloadVolume, uploadVolume } from './volume-transfer.js';
import { websocketConsole, websocketEvents } from './websocket.js';

const log = logger('api');

type StreamId = 'events' | 'domain.consoleAttach' | 'volume.upload' | 'volume.download' | 'domain.screenshot';

/** One handler per JSON route; the type makes a route without a handler, or a stray one, a compile error. */
const JSON_HANDLERS: HandlerTable<Exclude<RouteId, StreamId>> = { ...hostHandlers, ...domainHandlers, ...saveHandlers, ...domainBlockHandlers, ...memCpuHandlers, ...networkHandlers, ...interfaceHandlers, ...storageHandlers, ...statsHandlers, ...tuningHandlers, ...iothreadHandlers, ...domainIfTuneHandlers, ...snapshotHandlers };

/** The ids the server binds (for the test that keeps them and api/routes.ts in step). */
export const HANDLED_IDS: readonly string[] = [...Object.keys(JSON_HANDLERS), 'events', 'domain.consoleAttach', 'volume.upload', 'volume.download', 'domain.screenshot'];

const isStream = (id: RouteId): id is StreamId => id === 'events' || id === 'domain.consoleAttach' || id === 'volume.upload' || id === 'volume.download' || id === 'domain.screenshot';

/** The daemon and what every request on one socket shares. */
export interface Site {
  daemon: Daemon;
  uri: string;
  readOnly: boolean;
}

/** Match a request to its route and check its path, query and access; the body comes later. */
function parse(site: Site, method: string, url: string): { spec: RouteSpec & { id: RouteId }; call: Call } {
  const target = splitTarget(url);
  const m = matchRoute(method, target.path);
  if (m === undefined) throw new VireoError('NOT_FOUND', `no API route ${method} ${target.path}`);
  const ref = m.params.ref === undefined ? '' : decodeComponent(m.params.ref, 'URL path');
  const vol = m.params.vol === undefined ? '' : decodeComponent(m.params.vol, 'URL path');
  const query = checkQuery(m.spec, parseQuery(target.query));
  if (site.readOnly) {
    const hint = 'use the read-write socket (vireo without -r); the read-only socket only reads';
    const readOnlyVariant = m.spec.readOnlyQuery !== undefined && query.flag(m.spec.readOnlyQuery);
    if (m.spec.access === 'write' && !readOnlyVariant) {
      throw VireoError.of('OPERATION_DENIED', `read only access prevents ${m.spec.id}`, { hint });
    }
    const secret = m.spec.secretQuery?.find((q) => query.flag(q));
    if (secret !== undefined) throw VireoError.of('OPERATION_DENIED', `read only access prevents ${m.spec.id} with ${secret}`, { hint });
  }
  return { spec: m.spec, call: { daemon: site.daemon, uri: site.uri, ref, vol, body: {}, query } };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The wire form of any failure; anything not a VireoError is INTERNAL and logged. */
function errorBody(e: unknown, what: string): { status: number; body: { error: unknown } } {
  if (isVireoError(e)) return { status: httpStatusFor(e.code), body: { error: e.toJSON() } };
  log.error(`${what} failed`, { error: e instanceof Error ? e.stack ?? e.message : String(e) });
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error: ${e instanceof Error ? e.message : String(e)}` } } };
}

/** Serve one plain HTTP request. */
export async function handleRequest(site: Site, req: http.IncomingMessage, res: http.ServerResponse, expectsContinue = false): Promise<void> {
  let bodyRead = false;
  // A client that waits for `100 Continue` is told to send once the route has accepted the request.
  const sent = { continue: false };
  const accepted = (): void => {
    if (expectsContinue && !res.headersSent) {
      res.writeContinue();
      sent.continue = true;
    }
  };
  try {
    const { spec, call } = parse(site, req.method ?? '', req.url ?? '/');
    if (isStream(spec.id)) {
      if (spec.id === 'events') return streamEventsNdjson(site.daemon, req, res);
      if (spec.id === 'volume.download') return await downloadVolume(call, res);
      if (spec.id === 'domain.screenshot') return await sendScreenshot(call, res);
      if (spec.id === 'volume.upload') {
        const reply = await uploadVolume(call, req, accepted);
        bodyRead = true;
        return send(res, 200, reply);
      }
      throw new VireoError('INVALID_ARG', `invalid argument: ${spec.id} needs 'Connection: upgrade' with 'Upgrade: ${(spec.upgrades ?? []).join("' or '")}'`);
    }
    accepted();
    call.body = req.method === 'POST' ? await readJsonBody(req) : {};
    bodyRead = true;
    if (spec.request !== undefined) {
      const problem = validate(call.body, { $ref: `#/components/schemas/${spec.request}` }, SCHEMAS);
      if (problem !== undefined) throw new VireoError('INVALID_ARG', `invalid request: ${problem}`);
    }
    send(res, 200, await JSON_HANDLERS[spec.id](call));
  } catch (e) {
    // A byte stream already under way cannot turn into an error reply: cut it short.
    if (res.headersSent) return void res.destroy();
    // A body refused unread (too large, or a route refused first) is not drained: the
    // connection cannot carry another request.
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !bodyRead) {
      res.setHeader('connection', 'close');
      // A client still sending (a refused upload; a browser cannot wait for 100 Continue) must
      // get to read the reply: a connection closed with bytes unread is reset, and the client
      // sees only that. A small body is read and dropped before the reply; a large or endless
      // one (what the body cap is for) gets the reply at once and is dropped for a little while
      // after. A client that waits for 100 Continue sends nothing: nothing to wait for.
      if (!req.readableEnded && !(expectsContinue && !sent.continue)) {
        const declared = Number(req.headers['content-length'] ?? NaN);
        if (declared <= DRAIN_FIRST_BYTES) await drained(req, 2000);
        else void drained(req, 2000);
      }
    }
    const { status, body } = errorBody(e, `${req.method ?? '?'} ${req.url ?? '?'}`);
    send(res, status, body);
  }
}

/** Refused request bodies up to this size are read before the reply (see handleRequest). */
const DRAIN_FIRST_BYTES = 16 * 1024 * 1024;

/** Read and drop the rest of `req`'s body; resolves at its end, or after `ms` (the connection then goes). */
function drained(req: http.IncomingMessage, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => {
      req.socket.destroy();
      resolve();
    }, ms);
    const done = (): void => {
      clearTimeout(cut);
      resolve();
    };
    req.once('end', done).once('close', done).resume();
  });
}

/** Serve an HTTP Upgrade: console attach (vireo-console or websocket), the event stream (websocket). */
export function handleUpgrade(site: Site, req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
  const fail = (e: unknown): void => {
    const { status, body } = errorBody(e, `upgrade ${req.url ?? '?'}`);
    const text = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  };
  try {
    const { spec, call } = parse(site, req.method ?? '', req.url ?? '/');
    const protocol = (req.headers.upgrade ?? '').toLowerCase();
    if (!(spec.upgrades ?? []).some((p) => p === protocol)) {
      throw new VireoError('NOT_FOUND', `no upgrade to '${protocol}' on ${spec.id}${spec.upgrades === undefined ? '' : `; it takes ${spec.upgrades.join(', ')}`}`);
    }
    if (spec.id === 'events') return void websocketEvents(site.daemon, req, socket, head).catch(fail);
    if (protocol === 'websocket') return void websocketConsole(call, req, socket, head).catch(fail);
    pipeRawConsole(call, socket);
  } catch (e) {
    fail(e);
  }
}
