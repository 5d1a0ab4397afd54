// The daemon-owned serial console through the typed client: interactive reader, read-only
// watchers, takeover with force, replay of recent output, and the end of the stream at shutdown.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { VireoClient } from '../../src/client/client.js';
import { VireoError } from '../../src/api/errors.js';
import { TestDaemon, guestXml, waitFor, READY_LINE, SOON } from './harness.js';

function collect(s: Duplex): { text: () => string; ended: Promise<void> } {
  let buf = '';
  s.on('data', (d: Buffer) => (buf += d.toString('latin1')));
  const ended = new Promise<void>((resolve) => s.once('close', () => resolve()));
  return { text: () => buf, ended };
}

describe('console through the API', () => {
  const d = new TestDaemon();
  let client: VireoClient;
  before(async () => {
    await d.start();
    client = VireoClient.open(d.uri);
    const f = path.join(d.root, 'c1.xml');
    writeFileSync(f, guestXml('c1'));
    await client.define(guestXml('c1'));
    await client.start('c1');
    await d.waitShell('c1');
  });
  after(async () => {
    client.close();
    await d.cleanup();
  });

  test('an interactive reader types into the guest; watchers see the same output', async () => {
    const rw = await client.attachConsole('c1');
    const watcher = await client.attachConsole('c1', { readOnly: true });
    const out = collect(rw);
    const seen = collect(watcher);
    rw.write('echo vireo-$((6*7))\r');
    await waitFor(() => out.text().includes('vireo-42'), SOON, 'the guest shell to answer');
    await waitFor(() => seen.text().includes('vireo-42'), SOON, 'the watcher to see the answer');
    rw.destroy();
    watcher.destroy();
  });

  test('a second interactive reader is refused unless it forces its way in', async () => {
    // The previous test's reader is released once the daemon sees its connection close.
    let first: Duplex | undefined;
    await waitFor(async () => {
      first = await client.attachConsole('c1').catch(() => undefined);
      return first !== undefined;
    }, SOON, 'the console to be free');
    if (first === undefined) throw new Error('unreachable');
    const firstOut = collect(first);
    await assert.rejects(client.attachConsole('c1'), (e: unknown) => e instanceof VireoError && /Active console session exists/.test(e.message));
    const second = await client.attachConsole('c1', { force: true });
    await firstOut.ended;
    second.destroy();
  });

  test('replay sends recent output first', async () => {
    const s = await client.attachConsole('c1', { readOnly: true, replay: true });
    const out = collect(s);
    await waitFor(() => out.text().includes(READY_LINE), SOON, 'the replayed ready line');
    s.destroy();
  });

  test('console of an unknown device, and the end of the stream when the guest stops', async () => {
    await assert.rejects(client.attachConsole('c1', { devname: 'serial7' }), /cannot find character device serial7/);
    const s = await client.attachConsole('c1', { readOnly: true });
    const out = collect(s);
    await client.destroy('c1');
    await out.ended;
    await assert.rejects(client.attachConsole('c1'), /The domain is not running/);
    const after = await client.consoleTail('c1');
    assert.ok(Buffer.from(after).toString('latin1').includes(READY_LINE), 'console-log of a shut-off guest shows its last run');
  });
});
