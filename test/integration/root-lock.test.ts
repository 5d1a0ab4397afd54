// One daemon per state root (issue 7, defect 8): a second vireod on the same root exits at once,
// naming the root and the holder's pid, before it reads state or reaches a guest; a daemon killed
// with SIGKILL leaves no lock behind.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO, TestDaemon, guestXml } from './harness.js';

/** Run a second vireod to its end; the test's timeout guards against one that keeps running. */
function vireod(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(REPO, 'bin', 'vireod'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The pid of the vireod serving `root`. */
function daemonPid(root: string): number {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('dist/src/server/main.js')) && cmd.includes(root)) return Number(p); // bin/vireod execs node on it
    } catch {
      // raced with an exit
    }
  }
  throw new Error(`no vireod for ${root}`);
}

describe('one daemon per root', () => {
  const d = new TestDaemon();
  before(async () => {
    await d.start();
    writeFileSync(path.join(d.root, 'locked.xml'), guestXml('locked'));
    assert.equal((await d.vireo(['define', path.join(d.root, 'locked.xml')])).code, 0);
  });
  after(() => d.cleanup());

  test('the pid file names the daemon', () => {
    assert.equal(readFileSync(path.join(d.root, 'run', 'vireod.pid'), 'utf8'), `${daemonPid(d.root)}\n`);
  });

  test('a second vireod on the same root, even on another socket, exits at once naming the root and the pid', { timeout: 30_000 }, async () => {
    const other = path.join(d.root, 'other.sock');
    const r = await vireod(['--root', d.root, '--socket', other]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `vireod: Requested operation is not valid: the state root ${d.root} is in use by another vireod (pid ${daemonPid(d.root)})\n`
      + 'vireod: hint: stop that daemon first, or give this one another --root\n');
    assert.equal(existsSync(other), false, 'it never served');
    assert.equal(readFileSync(path.join(d.root, 'run', 'vireod.pid'), 'utf8'), `${daemonPid(d.root)}\n`, 'the pid file is untouched');
    assert.equal((await d.vireo(['list', '--all', '--name'])).stdout, 'locked\n\n', 'the first daemon still serves');
  });

  test('the same root through a symlink is the same root', { timeout: 30_000 }, async () => {
    const link = `${d.root}-link`;
    symlinkSync(d.root, link);
    try {
      const r = await vireod(['--root', link, '--socket', path.join(d.root, 'other.sock')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^vireod: Requested operation is not valid: the state root ${link} is in use by another vireod \\(pid ${daemonPid(d.root)}\\)\n`));
    } finally {
      rmSync(link);
    }
  });

  test('a daemon killed with SIGKILL leaves no lock: the next one starts', async () => {
    await d.stop('SIGKILL');
    assert.equal(existsSync(path.join(d.root, 'run', 'vireod.pid')), true, 'a stale pid file is left behind');
    await d.start();
    assert.equal(readFileSync(path.join(d.root, 'run', 'vireod.pid'), 'utf8'), `${daemonPid(d.root)}\n`);
    assert.equal((await d.vireo(['list', '--all', '--name'])).stdout, 'locked\n\n');
  });
});
