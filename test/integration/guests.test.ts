// vireo-guests end to end: what a host shutdown and the next boot do to running guests, with a
// real vireod, real guests under TCG and bin/vireo-guests run as vireo-guests.service runs it. The
// guest's memory (a file in its tmpfs) shows that a suspended guest resumes where it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO, TestDaemon, guestXml, scenario, type CliResult } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'vireo-guests-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const config = path.join(scratch, 'vireo-guests.conf');
const state = path.join(scratch, 'state', 'vireo-guests');

function guests(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(REPO, 'bin', 'vireo-guests'), ['--config', config, '--state', state, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('vireo-guests suspends running guests at host shutdown and resumes them at boot', { timeout: 900_000 }, async (t) => {
  const d = new TestDaemon();
  t.after(() => d.cleanup());
  await d.start();
  const step = scenario(t);
  const uri = d.uri;
  let uuid = '';

  await step('a persistent guest with a marker in its memory, and a transient guest', async () => {
    writeFileSync(path.join(scratch, 'p1.xml'), guestXml('p1'));
    writeFileSync(path.join(scratch, 't1.xml'), guestXml('t1'));
    await d.ok('define', path.join(scratch, 'p1.xml'));
    await d.ok('start', 'p1');
    await d.ok('create', path.join(scratch, 't1.xml'));
    await d.guestRun('p1', 'echo vireo-guests-marker > /tmp/m');
    await d.waitShell('t1'); // its ACPI power button works once it has booted
    uuid = (await d.ok('domuuid', 'p1')).trim();
    writeFileSync(config, `# the test daemon\nURIS=${uri}\nON_SHUTDOWN=suspend\n`);
    const r = await guests('status');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Running guests on ${uri} URI: p1, t1\n`);
  });

  await step('stop (host shutdown): the persistent guest is managed-saved, the transient one shut down', async () => {
    const r = await guests('stop');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      `Running guests on ${uri} URI: p1, t1`,
      `Suspending guests on ${uri} URI...`,
      'Suspending p1: done',
      `Shutting down guests on ${uri} URI...`,
      'Starting shutdown on guest: t1',
      'Shutdown of guest t1 complete.',
      '',
    ].join('\n'));
    assert.equal(await d.domstate('p1'), 'shut off (saved)');
    assert.match(await d.ok('list', '--all', '--managed-save'), /p1\s+saved/);
    assert.doesNotMatch(await d.ok('list', '--all'), /t1/);
    assert.deepEqual(d.qemuPids(), []);
    assert.equal(readFileSync(state, 'utf8'), `${uri} ${uuid}\n`);
  });

  await step('start (boot): the guest resumes where it was; the list is gone', async () => {
    const r = await guests('start');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Resuming guests on ${uri} URI...\nResuming guest p1: done\n`);
    assert.equal(await d.domstate('p1'), 'running (restored)');
    assert.match(await d.guestRun('p1', 'cat /tmp/m', undefined, { restored: true }), /^vireo-guests-marker$/m);
    assert.equal(existsSync(state), false);
    // Nothing to bring back: a second start does nothing.
    assert.deepEqual(await guests('start'), { code: 0, stdout: '', stderr: '' });
  });

  await step('ON_SHUTDOWN=shutdown powers guests off; ON_BOOT=ignore leaves them off and forgets them', async () => {
    writeFileSync(config, `URIS="${uri}"\nON_SHUTDOWN=shutdown\nPARALLEL_SHUTDOWN=2\nSHUTDOWN_TIMEOUT=120\nON_BOOT=ignore\n`);
    const r = await guests('stop');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Running guests on ${uri} URI: p1\nShutting down guests on ${uri} URI...\nStarting shutdown on guest: p1\nShutdown of guest p1 complete.\n`);
    assert.equal(await d.domstate('p1'), 'shut off (shutdown)');
    assert.equal(readFileSync(state, 'utf8'), `${uri} ${uuid}\n`);
    const s = await guests('start');
    assert.equal(s.stdout, 'vireo-guests is configured not to start any guests on boot\n');
    assert.equal(await d.domstate('p1'), 'shut off (shutdown)');
    assert.equal(existsSync(state), false);
  });

  await step('ON_SHUTDOWN=leave touches nothing; status with no guests running', async () => {
    writeFileSync(config, `URIS=${uri}\nON_SHUTDOWN=leave\n`);
    assert.equal((await guests('status')).stdout, `No running guests on ${uri} URI.\n`);
    await d.ok('start', 'p1');
    const r = await guests('stop');
    assert.equal(r.stdout, `Running guests on ${uri} URI: p1\nLeaving guests on ${uri} URI running (ON_SHUTDOWN=leave).\n`);
    assert.equal(await d.domstate('p1'), 'running (booted)');
    assert.equal(existsSync(state), false);
  });

  await step('a bad setting is refused with the file, the line and the reason; nothing is touched', async () => {
    writeFileSync(config, `URIS=${uri}\n\nON_SHUTDOWN=hibernate\n`);
    const r = await guests('stop');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `vireo-guests: ${config}:3: ON_SHUTDOWN must be suspend, shutdown, leave (not 'hibernate')\n`);
    assert.equal(await d.domstate('p1'), 'running (booted)');
    const u = await guests('pause');
    assert.equal(u.code, 2);
    assert.match(u.stderr, /^vireo-guests: unknown action 'pause'\nUsage: vireo-guests/);
  });

  await step('an unreachable connection is an error and the other connections are still handled', async () => {
    const gone = `vireo+unix:///system?socket=${path.join(scratch, 'none.sock')}`;
    writeFileSync(config, `URIS="${gone} ${uri}"\nON_SHUTDOWN=suspend\n`);
    const r = await guests('stop');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Unable to connect to ${gone.replace(/[?+]/g, '\\$&')} URI: failed to connect to the hypervisor`));
    assert.match(r.stdout, /Suspending p1: done\n$/);
    assert.equal(await d.domstate('p1'), 'shut off (saved)');
    const s = await guests('start');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(await d.domstate('p1'), 'running (restored)');
  });
});
