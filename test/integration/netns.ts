/**
 * Network namespaces for tests of the network driver. A test file calls `netnsSuite(import.meta.url,
 * body)`: run normally, it makes three namespaces, re-runs itself inside the "host" one and removes
 * everything afterwards (processes, namespaces, temp dir), whatever happened; run inside, it
 * registers the tests in `body`. No packet leaves the namespaces:
 *
 *   outside (eth0 198.51.100.2)  <-veth->  host (uplink 198.51.100.1, default route via .2)
 *   guest (eth0, no address)     <-veth->  host (vguest0: a guest NIC's stand-in, for a bridge)
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { strict as assert } from 'node:assert';

export interface Topology {
  host: string;
  outside: string;
  guest: string;
  /** The host's uplink address: what masqueraded traffic comes from. */
  uplinkAddr: string;
  outsideAddr: string;
  /** The guest end of the guest veth (in `guest`), and its host end (in `host`). */
  guestIf: string;
  guestPeer: string;
  /** A temp dir for the inner run; removed by the outer one. */
  tmp: string;
}

const ENV = 'VIREO_TEST_NETNS';

/** The topology when this process runs inside the host namespace, else undefined. */
export function topology(): Topology | undefined {
  const v = process.env[ENV];
  return v === undefined ? undefined : (JSON.parse(v) as Topology);
}

function sh(args: string[], check = true): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function setUp(id: string): Topology {
  const t: Topology = {
    host: `vireo-t-${id}-h`, outside: `vireo-t-${id}-o`, guest: `vireo-t-${id}-g`,
    uplinkAddr: '198.51.100.1', outsideAddr: '198.51.100.2', guestIf: 'eth0', guestPeer: 'vguest0',
    tmp: mkdtempSync(`${tmpdir()}/vireo-netns-`),
  };
  // dnsmasq runs as nobody and re-reads its hosts files from under here on SIGHUP.
  chmodSync(t.tmp, 0o755);
  for (const ns of [t.host, t.outside, t.guest]) {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  sh(['ip', '-n', t.host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', t.outside]);
  sh(['ip', '-n', t.host, 'addr', 'add', `${t.uplinkAddr}/24`, 'dev', 'uplink']);
  sh(['ip', '-n', t.host, 'link', 'set', 'uplink', 'up']);
  sh(['ip', '-n', t.host, 'route', 'add', 'default', 'via', t.outsideAddr]);
  sh(['ip', '-n', t.outside, 'addr', 'add', `${t.outsideAddr}/24`, 'dev', 'eth0']);
  sh(['ip', '-n', t.outside, 'link', 'set', 'eth0', 'up']);
  sh(['ip', '-n', t.host, 'link', 'add', t.guestPeer, 'type', 'veth', 'peer', 'name', t.guestIf, 'netns', t.guest]);
  sh(['ip', '-n', t.guest, 'link', 'set', t.guestIf, 'up']);
  return t;
}

function tearDown(t: Topology): void {
  for (const ns of [t.host, t.outside, t.guest]) {
    // Processes the run left in a namespace (dnsmasq, servers) would keep it alive after `del`.
    for (const pid of sh(['ip', 'netns', 'pids', ns], false).split('\n').filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch { /* already gone */ }
    }
    sh(['ip', 'netns', 'del', ns], false);
  }
  rmSync(t.tmp, { recursive: true, force: true });
}

/** Run `body`'s tests inside fresh namespaces (see the module comment). */
export function netnsSuite(fileUrl: string, body: (t: Topology) => void): void {
  const inner = topology();
  if (inner !== undefined) {
    body(inner);
    return;
  }
  test(`${fileURLToPath(fileUrl).split('/').pop()} inside network namespaces`, { timeout: 300_000 }, async () => {
    const t = setUp(`${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`);
    try {
      // Without the runner's NODE_TEST_CONTEXT the inner run reports in plain text, not to a runner.
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const child = spawn('ip', ['netns', 'exec', t.host, process.execPath, '--test-reporter=spec', fileURLToPath(fileUrl)], {
        env: { ...env, [ENV]: JSON.stringify(t) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const collect = (d: Buffer): void => {
        out += d.toString();
        process.stderr.write(d);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      // Ended before node:test's own time-out abandons this test (and its clean-up) for good.
      const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
      const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      clearTimeout(timer);
      assert.equal(code, 0, `the tests inside the namespace failed:\n${out}`);
    } finally {
      tearDown(t);
    }
  });
}

/** Run a command inside one of the topology's other namespaces (argument array, no shell). */
export function nsExec(ns: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
