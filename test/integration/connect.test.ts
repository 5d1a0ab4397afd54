// Connection URIs as libvirt users write them, and the per-user session daemon started on demand.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, runCli, waitFor, SOON } from './harness.js';

describe('connecting', () => {
  const d = new TestDaemon();
  before(() => d.start());
  after(() => d.cleanup());

  test('-c with a vireo+unix URI, and the qemu alias of it', async () => {
    assert.equal((await runCli(['-c', d.uri, 'uri'])).stdout, `${d.uri}\n\n`);
    const alias = `qemu+unix:///system?socket=${d.socket}`;
    const r = await runCli(['-c', alias, 'list', '--all']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('VIREO_DEFAULT_URI, then a qemu LIBVIRT_DEFAULT_URI', async () => {
    const env = { ...process.env, VIREO_DEFAULT_URI: d.uri };
    assert.equal((await runCli(['uri'], { env })).stdout, `${d.uri}\n\n`);
    const env2 = { ...process.env, VIREO_DEFAULT_URI: '', LIBVIRT_DEFAULT_URI: `qemu+unix:///system?socket=${d.socket}` };
    assert.equal((await runCli(['list', '--all', '--name'], { env: env2 })).code, 0);
  });

  test('the compiled CLI and the Node CLI print the same', async () => {
    const node = { ...process.env, VIREO_DEFAULT_URI: d.uri, VIREO_CLI_RUNTIME: 'node' };
    const compiled = { ...process.env, VIREO_DEFAULT_URI: d.uri };
    for (const cmd of [['uri'], ['list', '--all'], ['version'], ['dominfo', 'nosuch'], ['help', 'start']]) {
      assert.deepEqual(await runCli(cmd, { env: node }), await runCli(cmd, { env: compiled }), cmd.join(' '));
    }
  });

  test('a URI vireo cannot serve is refused by name', async () => {
    const r = await runCli(['-c', 'xen:///system', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /xen:\/\/\/system/);
  });
});

describe('vireo:///session', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'vireo-home-'));
  const env = { ...process.env, HOME: home, XDG_RUNTIME_DIR: path.join(home, 'xdg-run'), VIREO_DEFAULT_URI: '', LIBVIRT_DEFAULT_URI: '' };
  const sessionPids = (): number[] =>
    readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--session') && readFileSync(`/proc/${p}/environ`, 'utf8').includes(`HOME=${home}\0`);
      } catch {
        return false;
      }
    }).map(Number);
  after(async () => {
    for (const pid of sessionPids()) process.kill(pid, 'SIGTERM');
    await waitFor(() => sessionPids().length === 0, SOON, 'the session daemon to stop');
    rmSync(home, { recursive: true, force: true });
  });

  test('the first command starts the per-user daemon, with state under the XDG directories', async () => {
    assert.deepEqual(sessionPids(), []);
    const r = await runCli(['-c', 'vireo:///session', 'list', '--all'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sessionPids().length, 1);
    assert.equal((await runCli(['-c', 'vireo:///session', 'uri'], { env })).stdout, 'vireo:///session\n\n');
    assert.equal(sessionPids().length, 1, 'the second command reuses the daemon');
    assert.ok(readdirSync(path.join(home, 'xdg-run', 'vireo')).includes('vireod.sock'));
    assert.ok(readdirSync(path.join(home, '.config', 'vireo')).includes('domains'));
  });
});
