// Faults found when vireod was tried as a hostile user would (issue "Daemon foundations"): each
// test failed before the daemon was restructured around a registry, durable starts and a job
// queue that destroy overtakes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, readFileSync, readdirSync, mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, guestXml, waitFor, READY_LINE } from './harness.js';

/** True once /proc shows the process gone (or only a zombie waiting for init). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) [ZX] /.test(stat);
  } catch {
    return true;
  }
}

describe('daemon foundations', () => {
  const d = new TestDaemon();
  const xmlFile = (name: string, xml: string): string => {
    const f = path.join(d.root, `${name}.xml`);
    writeFileSync(f, xml);
    return f;
  };
  before(() => d.start());
  after(() => d.cleanup());

  test('a vireod killed in the middle of a start leaves no orphan QEMU, and the next start runs one QEMU', async () => {
    // An emulator that, on its first real start (-S), records its pid and waits: vireod has
    // spawned it and is waiting for its monitor when the test kills vireod.
    const marker = path.join(d.root, 'slow.spawned');
    const fifo = path.join(d.root, 'slow.fifo');
    execFileSync('mkfifo', [fifo]);
    const wrapper = path.join(d.root, 'slow-emulator');
    writeFileSync(wrapper, `#!/bin/bash
if [[ " $* " == *" -S "* && ! -e '${marker}' ]]; then echo $$ > '${marker}'; read -t 60 <> '${fifo}'; fi
exec /usr/bin/qemu-system-x86_64 "$@"
`, { mode: 0o755 });
    assert.equal((await d.vireo(['define', xmlFile('slow', guestXml('slow', { extraDevices: `\n    <emulator>${wrapper}</emulator>` }))])).code, 0);
    const starting = d.vireo(['start', 'slow']);
    await waitFor(() => existsSync(marker) && readFileSync(marker, 'utf8').trim() !== '', 20_000, 'the emulator to be spawned');
    const spawned = Number(readFileSync(marker, 'utf8'));
    await d.stop('SIGKILL');
    assert.notEqual((await starting).code, 0, 'the start did not complete');

    await d.start();
    await waitFor(() => gone(spawned), 10_000, 'the half-started emulator to be ended');
    assert.equal(await d.domstate('slow'), 'shut off (daemon)');
    assert.deepEqual(d.qemuPids(), []);

    assert.equal((await d.vireo(['start', 'slow'])).code, 0);
    assert.equal(d.qemuPids().length, 1, 'exactly one QEMU runs the guest');
    await d.waitConsole('slow', READY_LINE);
    assert.equal((await d.vireo(['destroy', 'slow'])).code, 0);
    assert.deepEqual(d.qemuPids(), []);
  });

  test('ten concurrent defines of one name: exactly one succeeds, the others get DOMAIN_EXISTS', async () => {
    const f = xmlFile('dup', guestXml('dup')); // no UUID: each define would make a new one
    const results = await Promise.all(Array.from({ length: 10 }, () => d.vireo(['define', f])));
    assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => r.stderr).join(''));
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /error: operation failed: domain 'dup' already exists with uuid /);
    const names = async (): Promise<string[]> => (await d.vireo(['list', '--all', '--name'])).stdout.split('\n').filter((n) => n === 'dup');
    assert.deepEqual(await names(), ['dup']);
    await d.stop();
    await d.start();
    assert.deepEqual(await names(), ['dup'], 'and one after a restart');
    assert.equal((await d.vireo(['undefine', 'dup'])).code, 0);
  });

  test('define racing undefine leaves no zombie: listed exactly when its config is on disk, before and after a restart', async () => {
    const uuid = '5d1c6a1e-0f3b-4a8e-9e55-0c4c1b1f0a01';
    const config = path.join(d.root, 'etc', 'domains', 'race.xml');
    for (let round = 0; round < 8; round++) {
      assert.equal((await d.vireo(['define', xmlFile('race', guestXml('race', { uuid }))])).code, 0);
      const redefine = xmlFile('race2', guestXml('race', { uuid, title: `round ${round}` }));
      const [u, def] = await Promise.all([d.vireo(['undefine', 'race']), d.vireo(['define', redefine])]);
      assert.equal(u.code, 0, u.stderr);
      assert.equal(def.code, 0, def.stderr);
      const listed = (await d.vireo(['list', '--all', '--name'])).stdout.split('\n').includes('race');
      assert.equal(listed, existsSync(config), `round ${round}: listed=${listed} but config on disk=${existsSync(config)}`);
      await d.stop('SIGKILL');
      await d.start();
      const after = (await d.vireo(['list', '--all', '--name'])).stdout.split('\n').includes('race');
      assert.equal(after, listed, `round ${round}: the restart changed whether 'race' exists`);
      if (listed) assert.equal((await d.vireo(['undefine', 'race'])).code, 0);
    }
  });

  test('destroy overtakes a job stuck on a hung monitor and the job queued behind it; both fail naming destroy', async () => {
    assert.equal((await d.vireo(['define', xmlFile('hung', guestXml('hung'))])).code, 0);
    assert.equal((await d.vireo(['start', 'hung'])).code, 0);
    const [pid] = d.qemuPids();
    process.kill(pid!, 'SIGSTOP');
    try {
      const suspend = d.vireo(['suspend', 'hung']);
      await waitFor(async () => (await d.vireo(['domcontrol', 'hung'])).stdout.startsWith('occupied'), 10_000, 'suspend to be running');
      const reset = d.vireo(['reset', 'hung']);
      await waitFor(async () => ((await d.api('GET', '/v1/domains/hung/job')).json as { waiting: number }).waiting === 1, 10_000, 'reset to be queued');
      const destroy = await d.vireo(['destroy', 'hung']);
      assert.equal(destroy.code, 0, destroy.stderr);
      assert.equal(destroy.stdout, 'Domain \'hung\' destroyed\n\n');
      const [s, r] = await Promise.all([suspend, reset]);
      assert.equal(s.code, 1);
      assert.match(s.stderr, /operation aborted: job 'suspend' of domain 'hung' was cut short by destroy while it was running/);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /operation aborted: job 'reset' of domain 'hung' was cut short by destroy before it could run/);
      assert.equal(await d.domstate('hung'), 'shut off (destroyed)');
      assert.deepEqual(d.qemuPids(), []);
    } finally {
      if (!gone(pid!)) process.kill(pid!, 'SIGCONT');
    }
    assert.equal((await d.vireo(['start', 'hung'])).code, 0, 'the queue works again after destroy');
    assert.equal((await d.vireo(['destroy', 'hung'])).code, 0);
  });

  test('an unreadable status file is reported; vireod serves the other guests and leaves that QEMU alone', async () => {
    for (const n of ['sa', 'sb', 'sc']) {
      assert.equal((await d.vireo(['define', xmlFile(n, guestXml(n))])).code, 0);
      assert.equal((await d.vireo(['start', n])).code, 0);
    }
    const pids = d.qemuPids().sort();
    await d.stop('SIGKILL');
    const status = (n: string): string => path.join(d.root, 'run', 'domains', `${n}.json`);
    writeFileSync(status('sa'), '{"version": 1, "name": "sa", trunc');
    const sc = JSON.parse(readFileSync(status('sc'), 'utf8')) as Record<string, unknown>;
    writeFileSync(status('sc'), JSON.stringify({ ...sc, xml: '<domain><name>sc</name' }));
    await d.start();
    assert.equal(await d.domstate('sb'), 'running (booted)');
    assert.equal((await d.vireo(['suspend', 'sb'])).code, 0, 'the healthy guest is managed');
    for (const n of ['sa', 'sc']) {
      assert.equal(await d.domstate(n), 'no state (unknown)');
      const r = await d.vireo(['start', n]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`the status file '.*${n}\\.json' of domain '${n}' cannot be read .*vireod leaves its QEMU alone`));
    }
    assert.match(d.stderr, /status file .*sa\.json' of domain 'sa' cannot be read/);
    assert.deepEqual(d.qemuPids().sort(), pids, 'no QEMU was killed or added');
    assert.equal((await d.vireo(['destroy', 'sb'])).code, 0);
    // The stranded guests are the user's to end; the test ends them itself.
    await d.stop('SIGKILL');
    for (const pid of d.qemuPids()) process.kill(pid, 'SIGKILL');
    await waitFor(() => d.qemuPids().length === 0, 10_000, 'QEMU to exit');
    rmSync(status('sa'));
    rmSync(status('sc'));
    await d.start();
    assert.equal(await d.domstate('sa'), 'shut off (unknown)');
  });

  test('a 200-byte name defines and starts (socket paths do not grow with the name)', async () => {
    const name = `long-${'n'.repeat(195)}`;
    assert.equal(Buffer.byteLength(name), 200);
    assert.equal((await d.vireo(['define', xmlFile('long', guestXml(name))])).code, 0);
    const r = await d.vireo(['start', name]);
    assert.equal(r.code, 0, r.stderr);
    await d.waitConsole(name, READY_LINE);
    assert.equal((await d.vireo(['destroy', name])).code, 0);
    assert.equal((await d.vireo(['undefine', name])).code, 0);
  });
});

describe('a full disk', () => {
  // The daemon's config directory on a tiny tmpfs that the test fills up.
  const root = mkdtempSync(path.join(tmpdir(), 'vireo-test-'));
  const domains = path.join(root, 'etc', 'domains');
  const d = new TestDaemon(root);
  let mounted = false;
  before(async () => {
    mkdirSync(domains, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'vireo-test-full', domains]);
    mounted = true;
    await d.start();
  });
  after(async () => {
    await d.stop('SIGKILL');
    if (mounted) execFileSync('umount', [domains]);
    await d.cleanup();
  });

  test('define on a full disk fails with NO_SPACE, leaves no temporary file and defines nothing', async () => {
    const filler = path.join(domains, 'filler');
    let chunk = 0;
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(4096 * ++chunk));
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    writeFileSync(filler, Buffer.alloc(4096 * (chunk - 1)));
    const f = path.join(root, 'full.xml');
    writeFileSync(f, guestXml('full', { title: 'x'.repeat(8000) }));
    const r = await d.vireo(['define', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: cannot write '.*full\.xml': No space left on device/);
    assert.deepEqual(readdirSync(domains).filter((x) => x.endsWith('.tmp')), []);
    assert.equal((await d.vireo(['list', '--all', '--name'])).stdout.trim(), '');
    rmSync(filler);
    assert.equal((await d.vireo(['define', f])).code, 0, 'with space again it defines');
    assert.equal((await d.vireo(['list', '--all', '--name'])).stdout.trim(), 'full');
  });
});
