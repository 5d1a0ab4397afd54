// Defect 5 of issue 7: a chatty guest grew its serial log (and QEMU's log) without bound. Now
// both are capped and rotated as virtlogd does (FILE, FILE.1 .. FILE.3), also when the guest
// wrote while vireod was down, and console-log still shows the latest output. The cap is
// lowered through VIREO_LOG_MAX_BYTES so the tiny guest reaches it in about a second.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { VireoClient } from '../../src/client/client.js';
import { TestDaemon, guestXml, waitFor, READY_LINE } from './harness.js';

const CAP = 16 * 1024;
const size = (f: string): number => (existsSync(f) ? statSync(f).size : 0);

/** A shell loop printing `lines` lines of ~80 bytes, then `<tag>-done-42` (typed as $((6*7)), so the echo of the command does not match). */
const chatter = (tag: string, lines: number): string =>
  `p=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ; i=0; while [ $i -lt ${lines} ]; do echo "${tag}-$i-$p"; i=$((i+1)); done; echo ${tag}-done-$((6*7))\r`;

/** Attach to the console and wait until the guest's shell answers. */
async function shell(client: VireoClient): Promise<{ con: Duplex; text: () => string }> {
  let con: Duplex | undefined;
  // The previous test's reader is released once the daemon sees its connection close.
  await waitFor(async () => (con = await client.attachConsole('chatty').catch(() => undefined)) !== undefined, 5000, 'the console to be free');
  if (con === undefined) throw new Error('unreachable');
  let out = '';
  con.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const c = con;
  // busybox init restarts the shell after a second; keep typing until it answers.
  await waitFor(async () => {
    c.write('echo vireo-$((6*7))\r');
    await new Promise((r) => setTimeout(r, 300));
    return out.includes('vireo-42');
  }, 30_000, 'the guest shell to answer');
  return { con: c, text: () => out };
}

describe('log rotation', () => {
  const d = new TestDaemon();
  d.env = { VIREO_LOG_MAX_BYTES: String(CAP) };
  const serial = path.join(d.root, 'log', 'chatty.serial0.log');
  const qemuLog = path.join(d.root, 'log', 'chatty.log');
  let client: VireoClient;

  before(async () => {
    await d.start();
    client = VireoClient.open(d.uri);
    // A QEMU log left far beyond the cap by an earlier run: cut down to its tail at start.
    writeFileSync(qemuLog, 'old run\n'.repeat(10_000) + 'end of the old run\n');
    await client.define(guestXml('chatty'));
    await client.start('chatty');
    await d.waitConsole('chatty', READY_LINE);
  });
  after(async () => {
    client.close();
    await d.cleanup();
  });

  test('QEMU\'s log is capped: the old content\'s tail is in chatty.log.1', () => {
    assert.ok(size(qemuLog) <= CAP, `chatty.log is ${size(qemuLog)} bytes`);
    const first = readFileSync(`${qemuLog}.1`, 'utf8');
    assert.ok(first.length <= CAP);
    assert.match(first, /end of the old run\n/);
  });

  test('a chatty guest\'s serial log stays under the cap with three rotated files; console-log shows the latest output', async () => {
    const { con } = await shell(client);
    try {
      // Four rounds, each more than the cap (~24 KiB), each waiting for the rotation that follows
      // it: four rotations whatever the speed of the guest or of the rotator's checks.
      for (let round = 0; round < 4; round++) {
        con.write(chatter(`chatty${round}`, 300));
        await d.waitConsole('chatty', `chatty${round}-done-42`);
        await waitFor(() => size(serial) <= CAP && existsSync(`${serial}.${Math.min(round + 1, 3)}`), 10_000, `the rotation after round ${round}`);
      }
      for (const n of [1, 2, 3]) {
        const f = `${serial}.${n}`;
        assert.ok(existsSync(f), `${f} is missing`);
        assert.ok(size(f) > 0 && size(f) <= CAP, `${f} is ${size(f)} bytes`);
      }
      assert.equal(existsSync(`${serial}.4`), false, 'only max_backups (3) rotated files are kept');
      // The newest rotated file holds a later round than the oldest.
      const round = (f: string): number => Number([...readFileSync(f, 'latin1').matchAll(/chatty(\d)-\d+-/g)].pop()?.[1] ?? -1);
      assert.ok(round(`${serial}.1`) > round(`${serial}.3`), `${serial}.1 holds round ${round(`${serial}.1`)}, .3 round ${round(`${serial}.3`)}`);
      const log = await d.vireo(['console-log', 'chatty']);
      assert.equal(log.code, 0, log.stderr);
      assert.match(log.stdout, /chatty3-299-0123456789/);
    } finally {
      con.destroy();
    }
  });

  test('output written while vireod was down is cut to the cap on reconnect, and console-log still shows it', async () => {
    const { con, text } = await shell(client);
    con.write(chatter('down', 1500));
    await waitFor(() => text().includes('down-5-'), 30_000, 'the guest to start writing');
    client.close();
    await d.stop('SIGKILL');
    // QEMU keeps writing the log while nobody rotates it.
    await waitFor(() => readFileSync(serial, 'latin1').includes('down-done-42'), 60_000, 'the guest to finish writing while vireod is down');
    assert.ok(size(serial) > CAP, `the serial log grew to ${size(serial)} bytes while vireod was down`);

    await d.start();
    client = VireoClient.open(d.uri);
    await waitFor(() => size(serial) <= CAP, 10_000, 'the reconnected guest\'s serial log to be rotated');
    assert.ok(size(`${serial}.1`) <= CAP);
    assert.match(readFileSync(`${serial}.1`, 'latin1') + readFileSync(serial, 'latin1'), /down-done-42/);
    const log = await d.vireo(['console-log', 'chatty']);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /down-1499-0123456789[^\n]*\r?\n[^]*down-done-42/);
  });
});
