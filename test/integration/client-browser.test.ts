// The client core as a web UI would use it: over the browser transport (fetch + WebSocket)
// rather than the CLI's UNIX socket transport. A browser cannot reach a UNIX socket, so the test
// puts a TCP relay on 127.0.0.1 in front of the daemon (as a web server in front of vireod would).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
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

  test('vol-upload and vol-download over fetch: raw and sparse, and a refusal with its reason', async () => {
    const pool = path.join(d.root, 'bpool');
    await client.createPool(`<pool type='dir'><name>bp</name><target><path>${pool}</path></target></pool>`, { build: true });
    await client.createVolume('bp', "<volume><name>v.raw</name><capacity unit='MiB'>2</capacity></volume>");
    const data = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) % 251;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < data.length; i += 256 * 1024) yield data.subarray(i, i + 256 * 1024);
    }
    await client.uploadVolume('bp', 'v.raw', source());
    assert.deepEqual(new Uint8Array(readFileSync(path.join(pool, 'v.raw'))), data);
    for (const sparse of [false, true]) {
      // The sink rebuilds the volume: data where it was sent, zeros where a hole was skipped.
      const got = new Uint8Array(data.length);
      let at = 0;
      const sink = { write: async (b: Uint8Array) => void got.set(b, (at += b.length) - b.length), skip: async (n: number) => void (at += n) };
      assert.equal(await client.downloadVolume('bp', 'v.raw', sink, { sparse }), data.length);
      assert.deepEqual(got, data, sparse ? 'sparse' : 'raw');
    }
    await assert.rejects(client.uploadVolume('bp', 'v.raw', source(), { offset: 3 * 1024 * 1024 }),
      (e: unknown) => e instanceof VireoError && /offset 3145728 is beyond the end of volume 'v\.raw'/.test(e.message));
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
