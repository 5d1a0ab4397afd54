/**
 * The HTTP/1.1 + JSON API on vireod's UNIX socket. Routes only parse requests into Daemon
 * calls and format replies; errors become statuses in status.ts.
 */
import * as http from 'node:http';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as net from 'node:net';
import { VireoError, isVireoError } from '../api/errors.js';
import type { HostInfo, DomainEvent } from '../api/types.js';
import type { Daemon } from '../daemon/daemon.js';
import { qemuVersion } from '../host/qemu-binary.js';
import { logger } from '../util/log.js';
import { httpStatusFor } from './status.js';

const log = logger('api');
export const VIREO_VERSION = '0.1.0';

type Handler = (daemon: Daemon, params: string[], body: Record<string, unknown>, query: URLSearchParams) => Promise<unknown> | unknown;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const bool = (v: unknown): boolean => v === true;
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new VireoError('INVALID_ARG', `'${what}' must be a string`);
  return v;
};

function routes(uri: string): Route[] {
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
    r('GET', '/v1/domains', (d) => d.list()),
    r('POST', '/v1/domains', (d, _p, b) => d.define(str(b.xml, 'xml'))),
    r('POST', '/v1/domains/create', (d, _p, b) => d.create(str(b.xml, 'xml'), { paused: bool(b.paused) })),
    r('GET', dom, (d, [ref]) => d.summary(d.lookup(ref!))),
    r('DELETE', dom, (d, [ref]) => d.undefine(ref!)),
    r('GET', `${dom}/xml`, (d, [ref], _b, q) => ({ xml: d.dumpXml(ref!, { inactive: q.get('inactive') === '1' }) })),
    r('GET', `${dom}/console`, (d, [ref]) => ({ data: d.consoleTail(ref!).toString('base64') })),
    r('POST', `${dom}/start`, (d, [ref], b) => d.start(ref!, { paused: bool(b.paused) })),
    r('POST', `${dom}/destroy`, (d, [ref], b) => d.destroy(ref!, { graceful: bool(b.graceful) })),
    r('POST', `${dom}/shutdown`, (d, [ref], b) => d.shutdown(ref!, optMode(b))),
    r('POST', `${dom}/reboot`, (d, [ref], b) => d.reboot(ref!, optMode(b))),
    r('POST', `${dom}/reset`, (d, [ref]) => d.reset(ref!)),
    r('POST', `${dom}/suspend`, (d, [ref]) => d.suspend(ref!)),
    r('POST', `${dom}/resume`, (d, [ref]) => d.resume(ref!)),
    r('POST', `${dom}/autostart`, (d, [ref], b) => d.setAutostart(ref!, bool(b.enabled))),
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

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new VireoError('INVALID_ARG', 'the request body is not a JSON object');
  }
}

/** Serve the API for `daemon` on a UNIX socket. Resolves once listening. */
export async function serve(daemon: Daemon, socketPath: string, uri: string): Promise<http.Server> {
  const table = routes(uri);
  const server = http.createServer((req, res) => {
    void handle(daemon, table, req, res);
  });
  server.keepAliveTimeout = 60_000;
  if (await socketAnswers(socketPath)) {
    throw new VireoError('OPERATION_INVALID', `another vireod is already serving ${socketPath}`);
  }
  await fs.rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await fs.chmod(socketPath, 0o600);
  return server;
}

async function handle(daemon: Daemon, table: Route[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://vireod');
  try {
    if (req.method === 'GET' && url.pathname === '/v1/events') return streamEvents(daemon, req, res);
    for (const route of table) {
      if (route.method !== req.method) continue;
      const m = route.pattern.exec(url.pathname);
      if (m === null) continue;
      const body = req.method === 'POST' ? await readBody(req) : {};
      const params = m.slice(1).map((p) => decodeURIComponent(p));
      const result = await route.handler(daemon, params, body, url.searchParams);
      send(res, 200, result);
      return;
    }
    throw new VireoError('NOT_FOUND', `no API route ${req.method ?? '?'} ${url.pathname}`);
  } catch (e) {
    if (isVireoError(e)) {
      send(res, httpStatusFor(e.code), { error: e.toJSON() });
    } else {
      log.error(`${req.method ?? '?'} ${url.pathname} failed`, { error: e instanceof Error ? e.stack ?? e.message : String(e) });
      send(res, 500, { error: { code: 'INTERNAL', message: `internal error: ${e instanceof Error ? e.message : String(e)}` } });
    }
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
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
