// on_poweroff / on_reboot: what happens when the guest powers off or reboots by itself.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { VireoClient } from '../../src/client/client.js';
import { TestDaemon, guestXml, waitFor, READY_LINE, SOON, BOOT } from './harness.js';

const readyCount = async (d: TestDaemon, name: string): Promise<number> =>
  (await d.vireo(['console-log', name])).stdout.split(READY_LINE).length - 1;

describe('lifecycle actions', () => {
  const d = new TestDaemon();
  let client: VireoClient;
  const define = async (name: string, o: Parameters<typeof guestXml>[1]): Promise<void> => {
    const f = path.join(d.root, `${name}.xml`);
    writeFileSync(f, guestXml(name, o));
    assert.equal((await d.vireo(['define', f])).code, 0);
  };
  /** Type a command at the guest's shell through the console, once the shell is there; wait until `done` holds. */
  const typeUntil = async (name: string, line: string, done: () => Promise<boolean>): Promise<void> => {
    await d.waitShell(name);
    const s = await client.attachConsole(name);
    try {
      s.write(`${line}\r`);
      await waitFor(done, BOOT, `'${line}' to take effect in ${name}`);
    } finally {
      s.destroy();
    }
  };

  before(async () => {
    await d.start();
    client = VireoClient.open(d.uri);
  });
  after(async () => {
    client.close();
    await d.cleanup();
  });

  test("on_poweroff='restart': a guest that powers off boots again", async () => {
    await define('a1', { onPoweroff: 'restart' });
    assert.equal((await d.vireo(['start', 'a1'])).code, 0);
    await d.waitConsole('a1', READY_LINE);
    assert.equal((await d.vireo(['shutdown', 'a1'])).code, 0);
    await waitFor(async () => (await readyCount(d, 'a1')) >= 2, BOOT, 'a1 to boot again');
    assert.match(await d.domstate('a1'), /^running/);
    assert.equal(d.qemuPids().length, 1, 'the same QEMU, reset rather than restarted');
    assert.equal((await d.vireo(['destroy', 'a1'])).code, 0);
  });

  test("on_reboot='destroy': a guest that reboots itself is shut off", async () => {
    await define('a2', { onReboot: 'destroy' });
    assert.equal((await d.vireo(['start', 'a2'])).code, 0);
    await typeUntil('a2', 'reboot -f', async () => (await d.domstate('a2')).startsWith('shut off'));
    assert.equal(await d.domstate('a2'), 'shut off (shutdown)');
    assert.deepEqual(d.qemuPids(), []);
  });

  test("the default on_reboot='restart': a guest that reboots itself keeps running", async () => {
    await define('a3', {});
    assert.equal((await d.vireo(['start', 'a3'])).code, 0);
    await typeUntil('a3', 'reboot -f', async () => (await readyCount(d, 'a3')) >= 2);
    assert.match(await d.domstate('a3'), /^running/);
    assert.equal((await d.vireo(['destroy', 'a3'])).code, 0);
  });

  test("a kernel panic with a panic device: crashed, then on_crash='destroy' shuts it off (crashed)", async () => {
    await define('a4', { extraDevices: "\n    <panic model='isa'/>" });
    assert.equal((await d.vireo(['start', 'a4'])).code, 0);
    const events: string[] = [];
    const stop = await client.events((e) => {
      if (e.domain.name === 'a4' && e.type === 'lifecycle') events.push(`${e.event ?? ''} ${e.detail ?? ''}`);
    });
    try {
      await typeUntil('a4', 'echo c > /proc/sysrq-trigger', async () => (await d.domstate('a4')).startsWith('shut off'));
      assert.equal(await d.domstate('a4'), 'shut off (crashed)');
      await waitFor(() => events.includes('Stopped Crashed'), SOON, 'the Stopped Crashed event');
      assert.ok(events.includes('Crashed Panicked'), events.join(', '));
    } finally {
      stop();
    }
    assert.deepEqual(d.qemuPids(), []);
  });

  test("on_crash='preserve': the panicked guest stays for inspection, crashed (panicked)", async () => {
    await define('a5', { extraDevices: "\n    <panic model='isa'/>", onCrash: 'preserve' });
    assert.equal((await d.vireo(['start', 'a5'])).code, 0);
    await typeUntil('a5', 'echo c > /proc/sysrq-trigger', async () => (await d.domstate('a5')).startsWith('crashed'));
    assert.equal(await d.domstate('a5'), 'crashed (panicked)');
    assert.equal(d.qemuPids().length, 1, 'QEMU is kept');
    assert.match((await d.vireo(['console-log', 'a5'])).stdout, /Kernel panic/);
    assert.equal((await d.vireo(['destroy', 'a5'])).code, 0);
    assert.equal(await d.domstate('a5'), 'shut off (destroyed)');
  });

  test('a guest that powers itself off is shut off (shutdown)', async () => {
    await define('a6', {});
    assert.equal((await d.vireo(['start', 'a6'])).code, 0);
    await typeUntil('a6', 'poweroff -f', async () => (await d.domstate('a6')).startsWith('shut off'));
    assert.equal(await d.domstate('a6'), 'shut off (shutdown)');
    assert.deepEqual(d.qemuPids(), []);
  });
});
