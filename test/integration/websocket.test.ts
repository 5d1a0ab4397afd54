// Events and consoles over WebSocket (RFC 6455), as a browser would use them, against a real
// booted guest: a real WebSocket client reads the event stream (text frames of JSON) and types
// into the console (binary frames). Node 20 has no global WebSocket, so the client is ws's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import type { DomainEvent } from '../../src/api/types.js';
import { TestDaemon, guestXml, waitFor, READY_LINE } from './harness.js';

/** A WebSocket to `target` on the UNIX socket `socket`. */
function connect(socket: string, target: string): WebSocket {
  return new WebSocket(`ws+unix://${socket}:${target}`);
}

/** Resolve once open; reject with the HTTP status and error body if the daemon refuses the upgrade. */
function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req: http.ClientRequest, res: http.IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode ?? '?'} ${text}`)));
    });
    ws.once('error', reject);
  });
}

/** An interactive console attach, once the previous reader has been released (the daemon sees its close). */
async function attachWhenFree(socket: string, target: string): Promise<WebSocket> {
  let ws: WebSocket | undefined;
  await waitFor(async () => {
    const w = connect(socket, target);
    ws = await opened(w).then(() => w, () => undefined);
    return ws !== undefined;
  }, 5_000, 'the console to be free');
  return ws!;
}

describe('WebSocket events and console', () => {
  const d = new TestDaemon();
  const ro = (): string => path.join(d.root, 'run', 'vireod-ro.sock');
  before(() => d.start());
  after(() => d.cleanup());

  test('the event stream: one JSON event a text frame, as the guest starts', async () => {
    const ws = connect(d.socket, '/v1/events');
    const events: DomainEvent[] = [];
    const binary: boolean[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      binary.push(isBinary);
      events.push(JSON.parse(data.toString('utf8')) as DomainEvent);
    });
    await opened(ws);
    try {
      const f = path.join(d.root, 'w1.xml');
      writeFileSync(f, guestXml('w1'));
      assert.equal((await d.vireo(['define', f])).code, 0);
      assert.equal((await d.vireo(['start', 'w1'])).code, 0);
      await waitFor(() => events.some((e) => e.domain.name === 'w1' && e.event === 'Started'), 20_000, 'the Started event');
      assert.equal(events.find((e) => e.domain.name === 'w1' && e.event === 'Started')?.detail, 'Booted');
      assert.ok(binary.every((b) => !b), 'events are text frames');
    } finally {
      ws.close();
    }
  });

  test('the console of the booted guest: binary frames both ways', async () => {
    await d.waitConsole('w1', READY_LINE);
    const ws = connect(d.socket, '/v1/domains/w1/console/attach?replay=1');
    let out = '';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      assert.equal(isBinary, true, 'console output is binary frames');
      out += data.toString('latin1');
    });
    await opened(ws);
    try {
      await waitFor(() => out.includes(READY_LINE), 5_000, 'the replayed ready line');
      // busybox init restarts the shell after a second; keep typing until it answers.
      await waitFor(async () => {
        ws.send(Buffer.from('echo vireo-$((6*7))\r'), { binary: true });
        await new Promise((r) => setTimeout(r, 300));
        return out.includes('vireo-42');
      }, 30_000, 'the guest shell to answer');
    } finally {
      ws.close();
    }
  });

  test('text frames are typed too (a browser terminal sends strings)', async () => {
    const ws = await attachWhenFree(d.socket, '/v1/domains/w1/console/attach');
    let out = '';
    ws.on('message', (data: Buffer) => (out += data.toString('utf8')));
    try {
      ws.send('echo caf\u00e9-$((6*7))\r');
      await waitFor(() => out.includes('caf\u00e9-42'), 10_000, 'the echo of a UTF-8 text frame');
    } finally {
      ws.close();
    }
  });

  test('refusals are plain HTTP errors: read-only socket, unknown domain, a second interactive reader', async () => {
    await assert.rejects(opened(connect(ro(), '/v1/domains/w1/console/attach')), /^Error: HTTP 403 .*"OPERATION_DENIED".*read only access prevents domain\.consoleAttach/);
    await assert.rejects(opened(connect(d.socket, '/v1/domains/nosuch/console/attach')), /^Error: HTTP 404 .*"NO_DOMAIN"/);
    const first = await attachWhenFree(d.socket, '/v1/domains/w1/console/attach');
    try {
      await assert.rejects(opened(connect(d.socket, '/v1/domains/w1/console/attach')), /^Error: HTTP 500 .*Active console session exists/);
      const watcher = connect(ro(), '/v1/domains/w1/console/attach?readonly=1');
      await opened(watcher);
      watcher.close();
      const events = connect(ro(), '/v1/events');
      await opened(events);
      events.close();
    } finally {
      first.close();
    }
  });

  test('a handshake without a key is refused with 400', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, path: '/v1/events', headers: { connection: 'upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => reject(new Error('upgraded without a key')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
  });
});
