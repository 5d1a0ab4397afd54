/**
 * Network namespaces for the network benchmark, and two watchers inside them: the STP state of a
 * guest's tap port (`bridge monitor`) and the DHCP exchange (sniff-dhcp.py). Plain Node ESM.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killPids, must, now, onCleanup, run, sleep, which } from './common.mjs';

// Network namespaces: one per manager, set up alike. A veth pair with both ends inside stands in
// for the uplink, so that the namespace has a default route as a host does, and nothing leaves.

export async function makeNetns(name) {
  await must('ip', ['netns', 'add', name]);
  onCleanup(() => removeNetns(name));
  const ipn = (...a) => must('ip', ['-n', name, ...a]);
  await ipn('link', 'set', 'lo', 'up');
  await ipn('link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplinkp');
  await ipn('addr', 'add', '198.51.100.1/24', 'dev', 'uplink');
  await ipn('link', 'set', 'uplink', 'up');
  await ipn('link', 'set', 'uplinkp', 'up');
  await ipn('route', 'add', 'default', 'via', '198.51.100.2');
}

/** Kill whatever still runs in the namespace (dnsmasq, QEMU, daemons), then delete it. */
export async function removeNetns(name) {
  for (let k = 0; k < 50; k++) {
    const pids = (await run('ip', ['netns', 'pids', name])).stdout.split('\n').filter((p) => p !== '').map(Number);
    if (pids.length === 0) break;
    killPids(pids);
    await sleep(20);
  }
  const r = await run('ip', ['netns', 'del', name]);
  if (r.code !== 0) process.stderr.write(`cleanup: ip netns del ${name}: ${r.stderr.trim()}\n`);
}

/**
 * `bridge monitor link` in the namespace, for the whole benchmark: the first time in a run that
 * the guest's tap port reaches each STP state, by this process's clock. `live` turns true at its
 * first line (net-start's bridge), so a run never counts on a monitor that was not yet listening.
 */
export function bridgeMonitor(ns) {
  const m = { live: false, since: Infinity, states: {} };
  const p = spawn('bridge', ['-n', ns, 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
  onCleanup(() => p.kill('SIGKILL'));
  let buf = '';
  p.stdout.setEncoding('utf8').on('data', (d) => {
    const t = now();
    m.live = true;
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const s = /^\d+: vnet\d+[:@].* state (\w+)/.exec(line);
      if (s !== null && t >= m.since) m.states[s[1]] ??= t - m.since;
    }
  });
  m.reset = (t0) => {
    m.since = t0;
    m.states = {};
  };
  return m;
}

/**
 * bench/sniff-dhcp.py in the namespace, for one guest start: when the guest first sends each
 * DHCP message (on its tap), when the first one gets through the bridge (STP holds a new port's
 * frames back), when the host first ARPs for an address (dnsmasq pings an address before it
 * offers it, and the ping waits for ARP), and when OFFER and ACK leave. Resolves once it listens;
 * undefined without python3.
 */
export async function sniffer(ns, bridge, mac, subnet) {
  const py = which('python3');
  if (py === undefined) return undefined;
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sniff-dhcp.py');
  const p = spawn('ip', ['netns', 'exec', ns, py, '-u', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const gone = new Promise((r) => p.once('close', r));
  const stop = async () => {
    p.kill('SIGKILL');
    await gone;
  };
  onCleanup(stop);
  const sn = { since: Infinity, at: {}, sent: 0, held: undefined, stop };
  let buf = '';
  let ready;
  const listening = new Promise((r) => (ready = r));
  p.stdout.setEncoding('utf8').on('data', (d) => {
    const t = now() - sn.since; // -Infinity until the guest's start: those lines are not counted
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'ready') ready(true);
      if (!(t >= 0)) continue;
      const [dev, dir, kind, ...rest] = line.split(' ');
      const who = rest.join(' ');
      if (kind === 'DISCOVER' && who === mac && dir === 'in' && dev.startsWith('vnet')) {
        sn.sent++;
        sn.at.sent ??= t;
      } else if (kind === 'DISCOVER' && who === mac && dir === 'in' && dev === bridge) {
        // Every DISCOVER the guest sent before this one was dropped by the bridge.
        sn.held ??= sn.sent - 1;
        sn.at.discover ??= t;
      } else if ((kind === 'OFFER' || kind === 'ACK') && who === mac && dir === 'out' && dev === bridge) {
        sn.at[kind.toLowerCase()] ??= t;
      } else if (kind === 'ARP' && dev === bridge && who.endsWith(` tell ${subnet}.1`)) {
        sn.at.ping ??= t;
      }
    }
  });
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const ok = await Promise.race([listening, gone.then(() => false)]);
  if (!ok) throw new Error(`sniff-dhcp.py in ${ns} failed: ${err.trim()}`);
  return sn;
}
