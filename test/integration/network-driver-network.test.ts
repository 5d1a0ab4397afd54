// Whole networks inside network namespaces: start (bridge, addresses, firewall, dnsmasq), a guest
// stand-in getting a lease and reaching the outside masqueraded, stop, rollback of a start that
// fails late, refusals that leave nothing, and reconnect after a daemon restart.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { linkExists, setLinkUp } from '../../src/network/bridge.js';
import { dnsmasqPaths } from '../../src/network/dnsmasq-conf.js';
import { hasFirewall, listChains } from '../../src/network/firewall.js';
import { getLink } from '../../src/network/iproute.js';
import { networkLeases, reconnectNetwork, startNetwork, stopNetwork, type NetworkDriverOptions, type RunningNetwork } from '../../src/network/network.js';
import { attachToBridge } from '../../src/network/tap.js';
import type { ForwardMode, NetworkSpec } from '../../src/network/types.js';
import { run, signalPid, waitGone } from '../../src/util/proc.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

const spec = (mode: ForwardMode, over: Partial<NetworkSpec> = {}): NetworkSpec => ({
  name: `net-${mode}`, bridge: { name: 'nbr0', mac: '52:54:00:70:00:01' }, forward: { mode },
  domain: { name: 'lab.test', localOnly: true },
  ips: [{ address: '10.70.0.1', prefix: 24, dhcpRanges: [{ start: '10.70.0.10', end: '10.70.0.20' }] }],
  ...over,
});

/** dnsmasq processes of this namespace started for `conf`. */
function dnsmasqsOf(conf: string): number[] {
  return readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--conf-file=${conf}`);
    } catch {
      return false;
    }
  }).map(Number);
}

/** Wait until a bridge port forwards (STP holds a new port back for twice the forward delay). */
async function forwarding(dev: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const r = await run('ip', ['-json', '-details', 'link', 'show', 'dev', dev]);
    const state = (JSON.parse(r.stdout) as { linkinfo?: { info_slave_data?: { state?: string } } }[])[0]?.linkinfo?.info_slave_data?.state;
    if (state === 'forwarding') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail(`${dev} did not reach the forwarding state`);
}

netnsSuite(import.meta.url, (t: Topology) => {
  let opts: NetworkDriverOptions;
  let n = 0;
  let running: RunningNetwork | undefined;
  const script = `${t.tmp}/udhcpc.sh`;

  /** DHCP from the guest namespace: what the server offered (address, router, domain). */
  async function dhcp(): Promise<{ ip: string; router: string; domain: string }> {
    await setLinkUp(t.guestPeer, true);
    await forwarding(t.guestPeer);
    const r = await nsExec(t.guest, ['busybox', 'udhcpc', '-i', t.guestIf, '-f', '-q', '-n', '-t', '5', '-T', '2', '-s', script, '-x', 'hostname:vm1']);
    const m = /BOUND ip=(\S*) router=(\S*) domain=(\S*)/.exec(r.stdout);
    assert.ok(m, `no lease: ${r.stdout}${r.stderr}`);
    return { ip: m[1]!, router: m[2]!, domain: m[3]! };
  }

  async function nothingLeft(s: NetworkSpec): Promise<void> {
    assert.equal(await linkExists(s.bridge.name), false, 'no bridge');
    assert.deepEqual(await listChains(), [], 'no firewall chain');
    assert.equal((await run('nft', ['list', 'ruleset'])).stdout, '', 'no table');
    assert.deepEqual(dnsmasqsOf(dnsmasqPaths(opts.dnsmasqDir, s.name).conf), [], 'no dnsmasq');
    assert.equal(existsSync(dnsmasqPaths(opts.dnsmasqDir, s.name).conf), false, 'no dnsmasq conf');
  }

  beforeEach(() => {
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && echo "BOUND ip=$ip router=$router domain=$domain"\nexit 0\n');
    chmodSync(script, 0o755);
    opts = { dnsmasqDir: `${t.tmp}/dnsmasq-${n++}`, dnsmasqPollMs: 100 };
    running = undefined;
  });
  afterEach(async () => {
    if (running !== undefined) await stopNetwork(running.spec, opts, running);
    await nsExec(t.guest, ['ip', 'addr', 'flush', 'dev', t.guestIf]);
  });

  describe('running networks', () => {
    test('nat: a guest gets a lease with the bridge as router, reaches the outside as the uplink\'s address; stop leaves nothing', async () => {
      const s = spec('nat');
      running = await startNetwork(s, opts);
      assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
      const br = await getLink('nbr0');
      assert.deepEqual([br?.kind, br?.mac, br?.up], ['bridge', '52:54:00:70:00:01', true]);
      await attachToBridge(t.guestPeer, 'nbr0');
      const lease = await dhcp();
      assert.deepEqual([lease.router, lease.domain], ['10.70.0.1', 'lab.test']);
      assert.deepEqual((await networkLeases(s.name, opts)).map((l) => [l.ip, l.hostname]), [[lease.ip, 'vm1']]);
      await nsExec(t.guest, ['ip', 'addr', 'add', `${lease.ip}/24`, 'dev', t.guestIf]);
      await nsExec(t.guest, ['ip', 'route', 'add', 'default', 'via', lease.router]);
      const seen = await new Promise<string>((resolve, reject) => {
        const srv = spawn('ip', ['netns', 'exec', t.outside, process.execPath, '-e',
          `require('net').createServer((c) => { console.log(c.remoteAddress); c.end(); process.exit(0); }).listen(8080, '${t.outsideAddr}', () => console.log('listening'));`], { stdio: ['ignore', 'pipe', 'inherit'] });
        const lines = createInterface({ input: srv.stdout });
        lines.once('line', () => {
          lines.once('line', resolve);
          void nsExec(t.guest, [process.execPath, '-e', `require('net').connect(8080, '${t.outsideAddr}').on('error', (e) => { console.error(e.code); process.exit(1); });`]);
        });
        srv.once('exit', (c) => c !== 0 && reject(new Error(`server exited with ${c}`)));
      });
      assert.equal(seen, t.uplinkAddr);
      await stopNetwork(s, opts, running);
      running = undefined;
      await nothingLeft(s);
      assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1', 'forwarding stays on, as libvirt leaves it');
      assert.equal((await networkLeases(s.name, opts)).length, 1, 'the lease file outlives the network');
    });

    test('isolated beside open: DHCP offers no router on the isolated one; open has no rules but dnsmasq for DNS', async () => {
      running = await startNetwork(spec('isolated'), opts);
      const open = await startNetwork(spec('open', { bridge: { name: 'nbr1' }, ips: [{ address: '10.71.0.1', prefix: 24 }] }), opts);
      try {
        assert.deepEqual((await listChains()).sort(), ['fwd-nbr0', 'in-nbr0', 'out-nbr0']);
        assert.ok(open.dnsmasq !== undefined && dnsmasqsOf(open.dnsmasq.paths.conf).length === 1);
        await attachToBridge(t.guestPeer, 'nbr0');
        assert.equal((await dhcp()).router, '', 'two dnsmasqs side by side, each serving its bridge');
      } finally {
        await stopNetwork(open.spec, opts, open);
      }
    });

    test('dual stack: the IPv6 address on the bridge, IPv6 forwarding on, IPv6 rules, dnsmasq serving both', async () => {
      running = await startNetwork(spec('nat', { ips: [...spec('nat').ips, { address: 'fd00:70::1', prefix: 64, dhcpRanges: [{ start: 'fd00:70::100', end: 'fd00:70::1ff' }] }] }), opts);
      const addrs = (JSON.parse((await run('ip', ['-json', 'addr', 'show', 'dev', 'nbr0'])).stdout) as { addr_info: { local: string }[] }[])[0]!.addr_info.map((a) => a.local);
      assert.ok(addrs.includes('fd00:70::1') && addrs.includes('10.70.0.1'), addrs.join(' '));
      assert.equal(readFileSync('/proc/sys/net/ipv6/conf/all/forwarding', 'utf8').trim(), '1');
      assert.match((await run('nft', ['list', 'chain', 'inet', 'vireo', 'fwd-nbr0'])).stdout, /iifname "nbr0" ip6 saddr fd00:70::\/64 accept/);
      assert.deepEqual(dnsmasqsOf(running.dnsmasq!.paths.conf), [running.dnsmasq!.pid]);
      const conf = readFileSync(running.dnsmasq!.paths.conf, 'utf8').split('\n');
      assert.ok(conf.includes('dhcp-range=fd00:70::100,fd00:70::1ff,64') && conf.includes('enable-ra'));
    });
  });

  describe('failures', () => {
    test('a start whose late step fails (dnsmasq cannot bind its address) is rolled back: no bridge, rule or dnsmasq', async () => {
      const blocker = net.createServer();
      await new Promise<void>((res) => blocker.listen(53, '0.0.0.0', res));
      try {
        await assert.rejects(startNetwork(spec('nat'), opts), (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_FAILED'
          && e.message === 'operation failed: dnsmasq failed to start for network net-nat: failed to create listening socket for 10.70.0.1: Address already in use');
      } finally {
        blocker.close();
      }
      await nothingLeft(spec('nat'));
    });

    test('a bridge name or a subnet in use is refused before anything is made', async () => {
      await assert.rejects(startNetwork(spec('nat', { bridge: { name: t.guestPeer } }), opts),
        (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_INVALID' && e.message === "bridge name 'vguest0' is already in use");
      assert.equal((await getLink(t.guestPeer))?.kind, 'veth', 'the device in the way is untouched');
      await assert.rejects(startNetwork(spec('nat', { ips: [{ address: '198.51.100.77', prefix: 24 }] }), opts),
        (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_INVALID'
          && e.message === 'network net-nat (198.51.100.0/24) is already in use by interface uplink (route 198.51.100.0/24)');
      await nothingLeft(spec('nat'));
      await assert.rejects(startNetwork(spec('nat', { ips: [{ address: '10.70.0.1', prefix: 24, dhcpRanges: [{ start: '10.71.0.1', end: '10.71.0.9' }] }] }), opts),
        (e: unknown) => e instanceof VireoError && e.code === 'INVALID_ARG' && /does not lie within the network/.test(e.message));
      await nothingLeft(spec('nat'));
    });
  });

  describe('daemon restarts', () => {
    test('a running network is found again: same dnsmasq, flushed rules put back; a dead dnsmasq is started anew', async () => {
      const s = spec('nat');
      const first = await startNetwork(s, opts);
      running = first;
      first.dnsmasq!.detach(); // the daemon exits
      await run('nft', ['delete', 'table', 'inet', 'vireo']); // a host firewall reload meanwhile
      const again = await reconnectNetwork(s, opts);
      assert.ok(again?.dnsmasq);
      running = again;
      assert.equal(again.dnsmasq.pid, first.dnsmasq!.pid);
      assert.equal(await hasFirewall('nbr0'), true);
      again.dnsmasq.detach();
      signalPid(again.dnsmasq.pid, 'SIGKILL');
      await waitGone(again.dnsmasq.pid, 5000);
      const third = await reconnectNetwork(s, opts);
      running = third;
      assert.ok(third?.dnsmasq && third.dnsmasq.pid !== again.dnsmasq.pid);
      assert.deepEqual(dnsmasqsOf(third.dnsmasq.paths.conf), [third.dnsmasq.pid]);
      third.dnsmasq.detach();
      // Stopped without a handle, from the spec alone.
      await stopNetwork(s, opts);
      running = undefined;
      await nothingLeft(s);
      assert.equal(await reconnectNetwork(s, opts), undefined, 'a network whose bridge is gone is not running');
    });
  });
});
