// QMP framing against a fake monitor on a UNIX socket: greeting, negotiation, ids, events,
// errors, timeouts, and the connection being given back when the greeting never comes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { QmpClient, QmpCommandError, QmpConnectionError, type QmpEvent } from '../../src/qemu/qmp/client.js';

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';

async function fakeMonitor(onLine: (sock: Socket, msg: { execute: string; id?: string; arguments?: unknown }) => void, greet = true): Promise<{ path: string; server: Server; done: () => void; connections: () => number; firstClose: Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-qmp-'));
  const sockPath = path.join(dir, 'qmp.sock');
  let open = 0;
  let closed = (): void => {};
  const firstClose = new Promise<void>((resolve) => (closed = resolve));
  const server = createServer((sock) => {
    open++;
    sock.on('close', () => {
      open--;
      closed();
    });
    if (greet) sock.write(GREETING);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as { execute: string; id?: string };
        if (msg.execute === 'qmp_capabilities') sock.write(JSON.stringify({ return: {}, id: msg.id }) + '\r\n');
        else onLine(sock, msg);
      }
    });
  });
  await new Promise<void>((r) => server.listen(sockPath, r));
  return { path: sockPath, server, connections: () => open, firstClose, done: () => { server.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('commands get their own replies, even out of order, and events are emitted', async () => {
  const m = await fakeMonitor((sock, msg) => {
    if (msg.execute === 'slow') setTimeout(() => sock.write(JSON.stringify({ return: 'slow-done', id: msg.id }) + '\r\n'), 30);
    if (msg.execute === 'fast') {
      sock.write('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}\r\n');
      sock.write(JSON.stringify({ return: { status: 'paused' }, id: msg.id }) + '\r\n');
    }
  });
  const c = await QmpClient.connect(m.path);
  assert.equal(c.greeting?.version?.qemu?.major, 7);
  const events: QmpEvent[] = [];
  c.on('event', (e) => events.push(e));
  const [slow, fast] = await Promise.all([c.execute('slow'), c.execute<{ status: string }>('fast')]);
  assert.equal(slow, 'slow-done');
  assert.deepEqual(fast, { status: 'paused' });
  assert.deepEqual(events.map((e) => e.event), ['STOP']);
  c.close();
  m.done();
});

test('an error reply becomes a QmpCommandError with QEMU\'s class and description', async () => {
  const m = await fakeMonitor((sock, msg) => sock.write(JSON.stringify({ error: { class: 'GenericError', desc: 'no such thing' }, id: msg.id }) + '\r\n'));
  const c = await QmpClient.connect(m.path);
  await assert.rejects(c.execute('bogus'), (e: unknown) => e instanceof QmpCommandError && e.errorClass === 'GenericError' && e.desc === 'no such thing');
  c.close();
  m.done();
});

test('a command without a reply times out; a closed connection fails pending commands', async () => {
  const m = await fakeMonitor((sock, msg) => {
    if (msg.execute === 'die') sock.destroy();
  });
  const c = await QmpClient.connect(m.path);
  await assert.rejects(c.execute('never', undefined, { timeoutMs: 50 }), /got no reply within 50 ms/);
  let closed = false;
  c.on('close', () => (closed = true));
  await assert.rejects(c.execute('die'), QmpConnectionError);
  assert.ok(closed);
  await assert.rejects(c.execute('after'), /connection is closed/);
  m.done();
});

test('no greeting: the attempt fails and gives the monitor back', { timeout: 20_000 }, async () => {
  const m = await fakeMonitor(() => {}, false);
  await assert.rejects(QmpClient.connect(m.path, { timeoutMs: 100 }), /no QMP greeting/);
  // The monitor sees the client's socket close (the test's timeout bounds a client that keeps it).
  await m.firstClose;
  assert.equal(m.connections(), 0, 'the socket was closed');
  m.done();
});

test('a missing socket is a connection error naming the path', async () => {
  await assert.rejects(QmpClient.connect('/nonexistent/qmp.sock'), /cannot connect to QMP socket \/nonexistent\/qmp\.sock/);
});
