// Restart safety: what vireod finds when it comes back, and what it does about it.
import { describe, test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import * as path from 'node:path';
import { TestDaemon, guestXml, waitFor, READY_LINE, SOON } from './harness.js';

/**
 * Send QMP commands to a guest's monitor directly (only possible while vireod is down); resolves
 * with the replies once QEMU has answered every command.
 */
async function qmp(socket: string, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    const all = ['qmp_capabilities', ...commands];
    const replies: string[] = [];
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        // The greeting and events are not replies.
        if (/^\{"(return|error)"/.test(line)) replies.push(line);
      }
      if (replies.length === all.length) {
        s.end();
        resolve(replies);
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`QMP closed after ${replies.length} of ${all.length} replies`)));
    s.on('connect', () => {
      for (const c of all) s.write(JSON.stringify({ execute: c }) + '\n');
    });
  });
}

describe('vireod restarts', () => {
  const d = new TestDaemon();
  before(async () => {
    await d.start();
    for (const n of ['r1', 'r2', 'r3']) {
      const f = path.join(d.root, `${n}.xml`);
      writeFileSync(f, guestXml(n));
      assert.equal((await d.vireo(['define', f])).code, 0);
    }
  });
  // A test stops and restarts the daemon; one that failed half-way must not fail the next.
  beforeEach(async () => {
    if (!d.running) await d.start();
  });
  after(() => d.cleanup());

  test('a guest whose QEMU does not answer is reported and retried, never killed', async () => {
    assert.equal((await d.vireo(['start', 'r1'])).code, 0);
    await d.waitConsole('r1', READY_LINE);
    const [pid] = d.qemuPids();
    await d.stop('SIGKILL');
    process.kill(pid!, 'SIGSTOP');
    try {
      await d.start(); // comes up although r1's monitor cannot answer
      assert.equal(await d.domstate('r1'), 'running (booted)');
      const r = await d.vireo(['suspend', 'r1']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot reach the QEMU monitor of domain 'r1'; vireod keeps retrying and never kills the guest/);
      assert.deepEqual(d.qemuPids(), [pid]);
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    await waitFor(async () => (await d.vireo(['suspend', 'r1'])).code === 0, SOON, 'vireod to take the monitor back');
    assert.equal(await d.domstate('r1'), 'paused (user)');
    assert.equal((await d.vireo(['destroy', 'r1'])).code, 0);
  });

  test('a guest that powered off while vireod was down is shut off when it returns', async () => {
    assert.equal((await d.vireo(['start', 'r2'])).code, 0);
    await d.waitConsole('r2', READY_LINE);
    await d.stop('SIGKILL');
    assert.deepEqual(await qmp(d.monitorOf('r2'), ['system_powerdown']), ['{"return": {}}', '{"return": {}}']);
    // With -no-shutdown the powered-off QEMU waits for its manager.
    assert.equal(d.qemuPids().length, 1);
    await d.start();
    await waitFor(async () => (await d.domstate('r2')) === 'shut off (shutdown)', SOON, 'r2 to be shut off');
    assert.deepEqual(d.qemuPids(), []);
  });

  test('a guest whose QEMU ended while vireod was down is shut off (crashed)', async () => {
    assert.equal((await d.vireo(['start', 'r3'])).code, 0);
    const [pid] = d.qemuPids();
    await d.stop('SIGKILL');
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => d.qemuPids().length === 0, SOON, 'QEMU to die');
    await d.start();
    assert.equal(await d.domstate('r3'), 'shut off (crashed)');
    assert.equal((await d.vireo(['start', 'r3'])).code, 0, 'and it can be started again');
    assert.equal((await d.vireo(['destroy', 'r3'])).code, 0);
  });
});
