// Read-only access enforced by the daemon (issue 7, defect 9): vireod serves run/vireod-ro.sock
// beside run/vireod.sock, whose connections can only read; `vireo -r` uses it; the sockets'
// group and modes are vireod flags, and bad values are refused at start naming the flag.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROUTES } from '../../src/api/routes.js';
import { VireoClient } from '../../src/client/client.js';
import type { DomainEvent } from '../../src/api/types.js';
import { REPO, TestDaemon, guestXml, runCli, waitFor } from './harness.js';

interface Reply { status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }

function call(socket: string, method: string, target: string, body?: unknown, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: socket, method, path: target, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Reply['json'] }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** An upgrade request: the status line the daemon answers with. */
function upgrade(socket: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: target, headers: { connection: 'upgrade', upgrade: 'vireo-console' } });
    req.on('upgrade', (res, s) => {
      s.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const DENIED = (id: string): Reply['json']['error'] => ({ code: 'OPERATION_DENIED', message: `operation forbidden: read only access prevents ${id}` });

describe('the read-only socket', () => {
  const d = new TestDaemon();
  const ro = (): string => path.join(d.root, 'run', 'vireod-ro.sock');
  before(async () => {
    await d.start();
    const f = path.join(d.root, 'r1.xml');
    writeFileSync(f, guestXml('r1'));
    assert.equal((await d.vireo(['define', f])).code, 0);
    assert.equal((await d.vireo(['start', '--paused', 'r1'])).code, 0);
  });
  after(() => d.cleanup());

  test('is served beside the read-write socket, 0666; the read-write one stays 0600', () => {
    assert.equal(statSync(ro()).mode & 0o777, 0o666);
    assert.equal(statSync(d.socket).mode & 0o777, 0o600);
  });

  test('reads work: domains, XML, host facts, domxml-to-native', async () => {
    assert.equal((await call(ro(), 'GET', '/v1/domains')).status, 200);
    assert.equal((await call(ro(), 'GET', '/v1/domains/r1/xml')).status, 200);
    assert.equal((await call(ro(), 'GET', '/v1/host/nodeinfo')).status, 200);
    assert.equal((await call(ro(), 'GET', '/v1/interfaces')).status, 200);
    assert.equal((await call(ro(), 'POST', '/v1/domxml-to-native', { format: 'qemu-argv', domain: 'r1' })).status, 200, 'a POST that changes nothing');
    assert.equal((await call(ro(), 'POST', '/v1/domain-stats', { domains: ['r1'] })).status, 200, 'domstats: a POST that changes nothing');
  });

  test('every route declared as a change is refused with 403, and nothing changes', async () => {
    const writes = ROUTES.filter((r) => r.access === 'write' && r.shape !== 'upgrade');
    assert.deepEqual(writes.map((r) => r.id).sort(), ['domain.addIothread', 'domain.attachDevice', 'domain.autostart', 'domain.blockResize', 'domain.blockThreshold',
      'domain.create', 'domain.define', 'domain.delIothread', 'domain.destroy', 'domain.detachDevice', 'domain.dump', 'domain.jobAbort', 'domain.managedSave',
      'domain.managedSaveDefine', 'domain.managedSaveRemove', 'domain.pinIothread', 'domain.reboot', 'domain.rename', 'domain.reset', 'domain.restore', 'domain.resume',
      'domain.save', 'domain.screenshot', 'domain.setDescription', 'domain.setIfTune', 'domain.setIoTune', 'domain.setIothread', 'domain.setLink', 'domain.setMaxMemory',
      'domain.setMemory', 'domain.setMemoryStatsPeriod', 'domain.setMetadata', 'domain.setTuning', 'domain.setVcpus', 'domain.shutdown', 'domain.start',
      'domain.suspend', 'domain.undefine', 'domain.updateDevice', 'host.setMemoryParameters', 'interface.begin', 'interface.bridge', 'interface.commit',
      'interface.define', 'interface.destroy', 'interface.rollback', 'interface.start', 'interface.unbridge', 'interface.undefine', 'network.autostart',
      'network.create', 'network.define', 'network.destroy', 'network.start', 'network.undefine', 'network.update', 'pool.autostart', 'pool.build', 'pool.create',
      'pool.define', 'pool.delete', 'pool.destroy', 'pool.findSources', 'pool.refresh', 'pool.start', 'pool.undefine', 'saveImage.define', 'snapshot.create',
      'snapshot.delete', 'snapshot.revert', 'snapshot.setCurrent', 'volume.create', 'volume.createFrom', 'volume.delete', 'volume.resize', 'volume.upload',
      'volume.wipe']);
    for (const r of writes) {
      const reply = await call(ro(), r.method, r.path.replace('{ref}', 'r1').replace('{vol}', 'v1'), r.method === 'POST' ? {} : undefined);
      assert.equal(reply.status, 403, `${r.method} ${r.path}`);
      assert.deepEqual({ code: reply.json.error?.code, message: reply.json.error?.message }, DENIED(r.id), `${r.method} ${r.path}`);
    }
    assert.equal(await d.domstate('r1'), 'paused (user)');
    assert.equal((await d.vireo(['list', '--all', '--name'])).stdout, 'r1\n\n');
  });

  test('secrets need the read-write socket: XML and devices with security-info', async () => {
    const r = await call(ro(), 'GET', '/v1/domains/r1/xml?security-info=1');
    assert.equal(r.status, 403);
    assert.equal(r.json.error?.message, 'operation forbidden: read only access prevents domain.xml with security-info');
    assert.equal((await call(ro(), 'GET', '/v1/domains/r1/devices?security-info=1')).status, 403);
    assert.equal((await call(d.socket, 'GET', '/v1/domains/r1/xml?security-info=1')).status, 200);
  });

  test('the console: read-only attach works, interactive attach is refused', async () => {
    assert.equal(await upgrade(ro(), '/v1/domains/r1/console/attach?readonly=1'), 101);
    assert.equal(await upgrade(ro(), '/v1/domains/r1/console/attach'), 403);
  });

  test('the event stream works read-only', async () => {
    const roClient = VireoClient.open(d.uri, { readOnly: true });
    const events: DomainEvent[] = [];
    const stop = await roClient.events((e) => events.push(e));
    try {
      assert.equal((await d.vireo(['resume', 'r1'])).code, 0);
      await waitFor(() => events.some((e) => e.domain.name === 'r1' && e.event === 'Resumed'), 10_000, 'the Resumed event');
    } finally {
      stop();
      roClient.close();
    }
  });

  test('vireo -r uses the read-only socket: an unprivileged user can list with it', async () => {
    chmodSync(d.root, 0o755); // the test root is 0700; the daemon's run/ is searchable by all
    const home = mkdtempSync(path.join(tmpdir(), 'vireo-nobody-'));
    chmodSync(home, 0o777);
    try {
      for (const runtime of ['compiled', 'node']) {
        const env = { ...process.env, HOME: home, VIREO_DEFAULT_URI: '', ...(runtime === 'node' ? { VIREO_CLI_RUNTIME: 'node' } : {}) };
        const r = await runCli(['-c', d.uri, '-r', 'list', '--all', '--name'], { env, asNobody: true });
        assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: 'r1\n\n', stderr: '' }, runtime);
      }
      const denied = await runCli(['-c', d.uri, '-r', 'dumpxml', '--security-info', 'r1'], { env: { ...process.env, HOME: home, VIREO_DEFAULT_URI: '' }, asNobody: true });
      assert.equal(denied.stderr, 'error: operation forbidden: read only access prevents domain.xml with security-info\n');
    } finally {
      chmodSync(d.root, 0o700);
      rmSync(home, { recursive: true, force: true });
    }
  });
});

/** Start vireod with `args` and return its exit (it is expected to refuse them). */
function vireodExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(REPO, 'bin', 'vireod'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('socket group and modes', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'vireo-sockperm-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('bad values are refused at start, naming the flag', { timeout: 30_000 }, async () => {
    const cases: Array<[string[], string]> = [
      [['--socket-mode', '0999'], "vireod: --socket-mode: '0999' is not an octal permission mode such as 0660\n"],
      [['--ro-socket-mode', 'rw'], "vireod: --ro-socket-mode: 'rw' is not an octal permission mode such as 0660\n"],
      [['--socket-mode', '4755'], "vireod: --socket-mode: '4755' is not an octal permission mode such as 0660\n"],
      [['--socket-group', 'no-such-group'], "vireod: --socket-group: no group named 'no-such-group' in /etc/group\n"],
    ];
    for (const [args, stderr] of cases) {
      assert.deepEqual(await vireodExit(['--root', root, ...args]), { code: 2, stderr }, args.join(' '));
    }
  });

  test('a group and modes given are applied to both sockets', async () => {
    const d = new TestDaemon(mkdtempSync(path.join(tmpdir(), 'vireo-sockperm-')));
    try {
      await d.start(['--socket-group', 'nogroup', '--socket-mode', '0660', '--ro-socket-mode', '0640']);
      const rw = statSync(d.socket);
      const roSock = statSync(path.join(d.root, 'run', 'vireod-ro.sock'));
      assert.deepEqual([rw.mode & 0o777, rw.gid], [0o660, 65534]);
      assert.deepEqual([roSock.mode & 0o777, roSock.gid], [0o640, 65534]);
    } finally {
      await d.cleanup();
    }
  });
});
