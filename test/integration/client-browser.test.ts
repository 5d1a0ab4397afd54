// The client core as a web UI would use it: over the browser transport (fetch + WebSocket)
// rather than the CLI's UNIX socket transport. A browser cannot reach a UNIX socket, so the test
// puts a TCP relay on 127.0.0.1 in front of the daemon (as a web server in front of vireod would).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { WebSocket } from 'ws';
import { VireoClient } from '../../src/client/core/client.js';
import { browserTransport, type SocketLike } from '../../src/client/browser/transport.js';
import { VireoError } from '../../src/api/errors.js';
import type { DomainEvent } from '../../src/api/types.js';
import { TestDaemon, guestXml, waitFor } from './harness.js';

describe('the client core over fetch and WebSocket', () => {
  const d = new TestDaemon();
  let relay: net.Server;
  let client: VireoClient<SocketLike>;
  before(async () => {
    await d.start();
    relay = net.createServer((c) => {
      const up = net.connect(d.socket);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
    client = new VireoClient(d.uri, browserTransport({ base, WebSocket }));
  });
  after(async () => {
    client.close();
    relay.close();
    await d.cleanup();
  });

  test('requests and errors', async () => {
    assert.equal((await client.host()).uri, d.uri);
    const defined = await client.define(guestXml('b1'));
    assert.equal(defined.name, 'b1');
    assert.deepEqual((await client.listDomains()).map((x) => x.name), ['b1']);
    await assert.rejects(client.getDomain('nosuch'), (e: unknown) => e instanceof VireoError && e.code === 'NO_DOMAIN');
  });

  test('events over a WebSocket', async () => {
    const events: DomainEvent[] = [];
    const stop = await client.events((e) => events.push(e));
    try {
      await client.start('b1', { paused: true });
      await waitFor(() => events.some((e) => e.domain.name === 'b1' && e.event === 'Started'), 20_000, 'the Started event');
    } finally {
      stop();
    }
  });

  test('a console over a WebSocket, and the console log as bytes', async () => {
    const ws = await client.attachConsole('b1');
    assert.equal(ws.binaryType, 'arraybuffer');
    ws.close();
    const tail = await client.consoleTail('b1');
    assert.ok(tail instanceof Uint8Array);
    await assert.rejects(client.attachConsole('nosuch'), (e: unknown) => e instanceof VireoError && e.code === 'PROTOCOL' && /refused the WebSocket/.test(e.message));
    await client.destroy('b1');
  });
});
