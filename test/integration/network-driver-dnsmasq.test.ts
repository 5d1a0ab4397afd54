// dnsmasq per network, for real inside network namespaces: DHCP to a client in the guest
// namespace, DNS names, leases, reload, restart after a kill (leases kept), reconnect, failures.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { addAddress, createBridge, deleteBridge, setLinkUp } from '../../src/network/bridge.js';
import { Dnsmasq, type DnsmasqEvent } from '../../src/network/dnsmasq.js';
import { attachToBridge } from '../../src/network/tap.js';
import type { NetworkSpec } from '../../src/network/types.js';
import { signalPid, waitGone } from '../../src/util/proc.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

const GUEST_MAC = '52:54:00:00:50:01';

function spec(over: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    name: 'dn', bridge: { name: 'dbr0', stp: false }, forward: { mode: 'nat' },
    // Local only: dnsmasq answers the domain itself instead of asking the host's resolver.
    domain: { name: 'dn.test', localOnly: true },
    dns: { hosts: [{ ip: '10.50.0.99', hostnames: ['printer'] }] },
    ips: [{ address: '10.50.0.1', prefix: 24, dhcpRanges: [{ start: '10.50.0.100', end: '10.50.0.150' }] }],
    ...over,
  };
}

/** Ask for a lease from the guest namespace with busybox udhcpc; returns the address offered. */
async function dhcp(t: Topology, hostname: string): Promise<string> {
  const r = await nsExec(t.guest, ['busybox', 'udhcpc', '-i', t.guestIf, '-f', '-q', '-n', '-t', '5', '-T', '2', '-s', '/bin/true', '-x', `hostname:${hostname}`]);
  const m = /lease of ([0-9.]+) obtained/.exec(r.stdout + r.stderr);
  assert.ok(m, `no lease: ${r.stdout}${r.stderr}`);
  return m[1]!;
}

/** dnsmasq processes of this namespace whose command line names `conf`. */
function dnsmasqsOf(conf: string): number[] {
  return readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--conf-file=${conf}`);
    } catch {
      return false;
    }
  }).map(Number);
}

netnsSuite(import.meta.url, (t) => {
  let dir: string;
  let n = 0;
  const events: DnsmasqEvent[] = [];
  const waiters: { kind: string; resolve: (e: DnsmasqEvent) => void }[] = [];
  const onEvent = (e: DnsmasqEvent): void => {
    events.push(e);
    for (const w of waiters.filter((x) => x.kind === e.kind)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  };
  // The driver's watch timer does not hold a process open (a daemon must be able to exit), so
  // the test keeps the event loop alive while it waits for an event.
  const next = (kind: DnsmasqEvent['kind']): Promise<DnsmasqEvent> => new Promise((resolve) => {
    const keep = setInterval(() => undefined, 1000);
    waiters.push({ kind, resolve: (e) => { clearInterval(keep); resolve(e); } });
  });
  const running: Dnsmasq[] = [];
  const start = async (s: NetworkSpec, extra: { binary?: string } = {}): Promise<Dnsmasq> => {
    const d = await Dnsmasq.start(s, { dir, onEvent, pollMs: 100, ...extra });
    running.push(d);
    return d;
  };

  beforeEach(async () => {
    dir = `${t.tmp}/dnsmasq-${n++}`;
    events.length = 0;
    await createBridge({ name: 'dbr0', stp: false });
    await addAddress('dbr0', '10.50.0.1', 24);
    await setLinkUp('dbr0', true);
    await attachToBridge(t.guestPeer, 'dbr0');
    await setLinkUp(t.guestPeer, true);
    await nsExec(t.guest, ['ip', 'link', 'set', 'dev', t.guestIf, 'address', GUEST_MAC]);
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
    await nsExec(t.guest, ['ip', 'addr', 'flush', 'dev', t.guestIf]);
    await deleteBridge('dbr0');
  });

  describe('serving', () => {
    test('a guest gets a lease from the range, the lease file shows it, and DNS answers the names given', async () => {
      const d = await start(spec());
      const ip = await dhcp(t, 'guest1');
      assert.match(ip, /^10\.50\.0\.(1[0-4][0-9]|150)$/);
      const leases = await d.leases();
      assert.equal(leases.length, 1);
      assert.deepEqual({ ...leases[0], expiryTime: undefined }, { family: 'ipv4', ip, mac: GUEST_MAC, hostname: 'guest1', clientId: leases[0]!.clientId, iaid: undefined, expiryTime: undefined });
      assert.ok(leases[0]!.expiryTime > Date.now() / 1000, 'the lease ends in the future');
      await nsExec(t.guest, ['ip', 'addr', 'add', `${ip}/24`, 'dev', t.guestIf]);
      const q = await nsExec(t.guest, ['busybox', 'nslookup', 'printer.dn.test', '10.50.0.1']);
      assert.match(q.stdout, /Address:? 10\.50\.0\.99/, q.stdout + q.stderr);
      const g = await nsExec(t.guest, ['busybox', 'nslookup', 'guest1.dn.test', '10.50.0.1']);
      assert.match(g.stdout, new RegExp(`Address:? ${ip.replace(/\./g, '\\.')}`), 'the guest is known by the name it sent');
    });

    test('a changed DHCP host is re-read on SIGHUP; any other change restarts dnsmasq; no change does nothing', async () => {
      const d = await start(spec());
      const pid = d.pid;
      const withHost = spec({ ips: [{ address: '10.50.0.1', prefix: 24, dhcpRanges: [{ start: '10.50.0.100', end: '10.50.0.150' }], dhcpHosts: [{ mac: GUEST_MAC, name: 'fixed', ip: '10.50.0.7' }] }] });
      assert.equal(await d.update(spec()), 'unchanged');
      assert.equal(await d.update(withHost), 'reloaded');
      assert.equal(d.pid, pid);
      assert.equal(await dhcp(t, 'fixed'), '10.50.0.7');
      assert.equal(await d.update({ ...withHost, dns: { hosts: [] } }), 'reloaded', 'DNS hosts are re-read too');
      assert.equal(await d.update({ ...withHost, domain: { name: 'other.test' } }), 'restarted');
      assert.notEqual(d.pid, pid);
      assert.deepEqual(dnsmasqsOf(d.paths.conf), [d.pid], 'the old dnsmasq is gone');
      assert.match(readFileSync(d.paths.conf, 'utf8'), /domain=other\.test/);
    });
  });

  describe('supervision', () => {
    test('killed, it is started again with an event, and keeps the leases it had', async () => {
      const d = await start(spec());
      const first = await dhcp(t, 'one');
      const died = next('died');
      const restarted = next('restarted');
      const old = d.pid;
      signalPid(old, 'SIGKILL');
      assert.deepEqual(await died, { kind: 'died', network: 'dn', pid: old });
      const r = await restarted;
      assert.equal(r.kind === 'restarted' && r.pid, d.pid);
      assert.notEqual(d.pid, old);
      // A second client after the restart: dnsmasq rewrites the lease file from what it holds, so
      // the first lease is still there only if the new dnsmasq read it back.
      await nsExec(t.guest, ['ip', 'link', 'set', 'dev', t.guestIf, 'address', '52:54:00:00:50:02']);
      const second = await dhcp(t, 'two');
      const leases = await d.leases();
      assert.deepEqual(leases.map((l) => [l.mac, l.ip, l.hostname]).sort(), [[GUEST_MAC, first, 'one'], ['52:54:00:00:50:02', second, 'two']]);
    });

    test('after a daemon restart the running dnsmasq is found again; once stopped it is not', async () => {
      const d = await start(spec());
      d.detach(); // what a daemon that exits does
      const again = await Dnsmasq.reconnect(spec(), { dir, onEvent });
      assert.ok(again);
      running.splice(running.indexOf(d), 1, again);
      assert.equal(again.pid, d.pid);
      await again.stop();
      assert.deepEqual(dnsmasqsOf(again.paths.conf), []);
      assert.equal(existsSync(again.paths.conf), false);
      assert.equal(await Dnsmasq.reconnect(spec(), { dir, onEvent }), undefined);
    });

    test('one found only by its files is stopped by them', async () => {
      const d = await start(spec());
      d.detach();
      running.splice(running.indexOf(d), 1);
      await Dnsmasq.stopByFiles('dn', dir);
      assert.equal(await waitGone(d.pid, 1000), true);
      assert.equal(existsSync(d.paths.conf), false);
    });

    test('one that cannot be started again is given up with the reason, after a few tries', async () => {
      const d = await start(spec());
      const gaveUp = next('gave-up');
      const blocker = net.createServer();
      signalPid(d.pid, 'SIGKILL');
      await waitGone(d.pid, 5000);
      await new Promise<void>((res) => blocker.listen(53, '0.0.0.0', res));
      try {
        const e = await gaveUp;
        assert.ok(e.kind === 'gave-up' && /dnsmasq failed to start for network dn: failed to create listening socket for 10\.50\.0\.1: Address already in use/.test(e.error.message), JSON.stringify(e));
        assert.equal(events.filter((x) => x.kind === 'restarted').length, 0);
      } finally {
        blocker.close();
      }
    });
  });

  describe('failures', () => {
    test('an address dnsmasq cannot bind fails the start with dnsmasq\'s reason and leaves nothing', async () => {
      const blocker = net.createServer();
      await new Promise<void>((res) => blocker.listen(53, '0.0.0.0', res));
      try {
        await assert.rejects(start(spec()), (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_FAILED'
          && e.message === 'operation failed: dnsmasq failed to start for network dn: failed to create listening socket for 10.50.0.1: Address already in use');
      } finally {
        blocker.close();
      }
      assert.deepEqual(readdirSync(dir).filter((f) => !f.endsWith('.leases')), []);
    });

    test('dnsmasq missing: NO_SUPPORT saying what to install', async () => {
      await assert.rejects(start(spec(), { binary: '/nonexistent/dnsmasq' }), (e: unknown) => e instanceof VireoError && e.code === 'NO_SUPPORT'
        && /network dn: \/nonexistent\/dnsmasq is not installed/.test(e.message) && /dnsmasq-base/.test(e.hint ?? ''));
    });
  });
});
