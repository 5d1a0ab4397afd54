// Bridges and taps of the network driver, made for real inside a network namespace (netns.ts).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, test, afterEach } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { addAddress, createBridge, deleteBridge, findRouteConflict, linkExists, setBridgeIpv6, setLinkUp } from '../../src/network/bridge.js';
import { parseSubnet } from '../../src/network/ip.js';
import { run } from '../../src/util/proc.js';
import { attachToBridge, createTap, deleteTap, detachFromBridge, linkState, setLinkState } from '../../src/network/tap.js';
import { netnsSuite, nsExec } from './netns.js';

async function ipJson(args: string[]): Promise<Record<string, unknown>[]> {
  const r = await run('ip', ['-json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}
const details = async (dev: string): Promise<Record<string, unknown>> => (await ipJson(['-details', 'link', 'show', 'dev', dev]))[0]!;
const bridgeData = async (dev: string): Promise<Record<string, unknown>> => ((await details(dev)).linkinfo as { info_data: Record<string, unknown> }).info_data;
const isCode = (code: string, re: RegExp) => (e: unknown): boolean => e instanceof VireoError && e.code === code && re.test(e.message);

netnsSuite(import.meta.url, (t) => {
  const made: string[] = [];
  afterEach(async () => {
    for (const d of made.splice(0)) await run('ip', ['link', 'del', 'dev', d]);
  });

  describe('bridges', () => {
    test('a bridge gets its MAC, MTU, STP (the kernel raises a 0 s delay to 2 s while STP is on) and addresses, and goes away', async () => {
      made.push('vbr0');
      await createBridge({ name: 'vbr0', mac: '52:54:00:12:34:56', mtu: 9000, stp: true, delay: 0 });
      await setBridgeIpv6('vbr0', true);
      await addAddress('vbr0', '10.20.0.1', 24);
      await addAddress('vbr0', 'fd00:20::1', 64);
      await setLinkUp('vbr0', true);
      const d = await details('vbr0');
      assert.equal(d.address, '52:54:00:12:34:56');
      assert.equal(d.mtu, 9000);
      assert.ok((d.flags as string[]).includes('UP'));
      const data = await bridgeData('vbr0');
      assert.equal(data.stp_state, 1);
      assert.equal(data.forward_delay, 200);
      const addrs = ((await ipJson(['addr', 'show', 'dev', 'vbr0']))[0]!.addr_info as { local: string; prefixlen: number; broadcast?: string; tentative?: boolean }[])
        .filter((a) => !a.local.startsWith('fe80'));
      assert.deepEqual(addrs.map((a) => [a.local, a.prefixlen, a.broadcast]), [['10.20.0.1', 24, '10.20.0.255'], ['fd00:20::1', 64, undefined]]);
      assert.equal(addrs[1]!.tentative, undefined, 'IPv6 address skips DAD');
      assert.equal(readFileSync('/proc/sys/net/ipv6/conf/vbr0/accept_ra', 'utf8').trim(), '0');
      await deleteBridge('vbr0');
      assert.equal(await linkExists('vbr0'), false);
      await deleteBridge('vbr0'); // gone already: no error
    });

    test('STP off keeps the delay given; a network without IPv6 has IPv6 off on its bridge', async () => {
      made.push('vbr1');
      await createBridge({ name: 'vbr1', stp: false, delay: 3 });
      await setBridgeIpv6('vbr1', false);
      const data = await bridgeData('vbr1');
      assert.equal(data.stp_state, 0);
      assert.equal(data.forward_delay, 300);
      assert.equal(readFileSync('/proc/sys/net/ipv6/conf/vbr1/disable_ipv6', 'utf8').trim(), '1');
    });

    test('a name in use is refused, and so is removing a device that is no bridge', async () => {
      made.push('vbr2');
      await createBridge({ name: 'vbr2' });
      await assert.rejects(createBridge({ name: 'vbr2' }), isCode('OPERATION_INVALID', /bridge name 'vbr2' is already in use/));
      await assert.rejects(createBridge({ name: t.guestPeer }), isCode('OPERATION_INVALID', /already in use/));
      await assert.rejects(deleteBridge(t.guestPeer), isCode('OPERATION_INVALID', /'vguest0' is not a bridge/));
      await assert.rejects(createBridge({ name: 'vbr3', mtu: 20 }), isCode('INVALID_ARG', /MTU 20 is out of range/));
      assert.equal(await linkExists('vbr3'), false);
    });

    test('a subnet already routed here is found with the route and its device; the default route is no conflict', async () => {
      made.push('vbr4');
      await createBridge({ name: 'vbr4' });
      await addAddress('vbr4', '10.30.0.1', 24);
      await setLinkUp('vbr4', true);
      assert.deepEqual(await findRouteConflict([parseSubnet('10.30.0.0/24')!]), { subnet: '10.30.0.0/24', route: '10.30.0.0/24', dev: 'vbr4' });
      assert.deepEqual(await findRouteConflict([parseSubnet('10.31.0.0/24')!, parseSubnet('10.30.0.128/25')!]), { subnet: '10.30.0.128/25', route: '10.30.0.0/24', dev: 'vbr4' });
      assert.deepEqual(await findRouteConflict([parseSubnet('198.51.0.0/16')!]), { subnet: '198.51.0.0/16', route: '198.51.100.0/24', dev: 'uplink' });
      assert.equal(await findRouteConflict([parseSubnet('10.31.0.0/24')!, parseSubnet('fd00:31::/64')!]), undefined);
    });
  });

  describe('taps', () => {
    test('taps are named vnetN with the lowest free N, owned by the given user, and removed', async () => {
      const a = await createTap({ user: 'nobody', group: 'nogroup' });
      const b = await createTap();
      made.push(a, b);
      assert.deepEqual([a, b], ['vnet0', 'vnet1']);
      const tun = ((await details(a)).linkinfo as { info_data: Record<string, unknown> }).info_data;
      assert.deepEqual([tun.type, tun.persist, tun.user, tun.group], ['tap', true, 'nobody', 'nogroup']);
      await deleteTap(a);
      assert.equal(await linkExists(a), false);
      assert.equal(await createTap(), 'vnet0');
      await deleteTap('vnet0');
      await deleteTap('vnet0'); // gone already: no error
      await assert.rejects(deleteTap(t.guestPeer), isCode('OPERATION_INVALID', /'vguest0' is not a tap/));
    });

    test('a tap on a bridge takes its MTU and the MAC given; a target name in use is refused', async () => {
      made.push('vbr5', 'mytap0');
      await createBridge({ name: 'vbr5', mtu: 9000 });
      const tap = await createTap({ name: 'mytap0', bridge: 'vbr5', mac: 'fe:54:00:00:00:01' });
      const s = await linkState(tap);
      assert.deepEqual([s?.name, s?.master, s?.mtu, s?.mac, s?.up], ['mytap0', 'vbr5', 9000, 'fe:54:00:00:00:01', true]);
      await assert.rejects(createTap({ name: 'mytap0' }), isCode('OPERATION_INVALID', /'mytap0' already exists/));
      await assert.rejects(createTap({ bridge: 'nosuchbr' }), isCode('OPERATION_INVALID', /bridge 'nosuchbr' does not exist/));
      assert.equal(await linkExists('vnet0'), false, 'the tap made for a missing bridge was removed again');
      await setLinkState(tap, false);
      assert.equal((await linkState(tap))?.up, false);
      await setLinkState(tap, true);
      assert.equal((await linkState(tap))?.up, true);
      assert.equal(await linkState('nosuchdev'), undefined);
    });

    test('any device attaches to a bridge with its MTU, counts the traffic it carries, and detaches', async () => {
      made.push('vbr6');
      await createBridge({ name: 'vbr6', mtu: 1400, stp: false });
      await addAddress('vbr6', '10.40.0.1', 24);
      await setLinkUp('vbr6', true);
      await attachToBridge(t.guestPeer, 'vbr6');
      await setLinkUp(t.guestPeer, true);
      const before = (await linkState(t.guestPeer))!;
      assert.deepEqual([before.master, before.mtu], ['vbr6', 1400]);
      await nsExec(t.guest, ['ip', 'addr', 'add', '10.40.0.2/24', 'dev', t.guestIf]);
      try {
        const ping = await nsExec(t.guest, ['busybox', 'ping', '-c', '1', '-W', '5', '10.40.0.1']);
        assert.equal(ping.code, 0, ping.stdout + ping.stderr);
        const after = (await linkState(t.guestPeer))!;
        assert.ok(after.stats!.rxPackets > before.stats!.rxPackets, 'the host end received the guest\'s packets');
        assert.ok(after.stats!.txBytes > before.stats!.txBytes);
      } finally {
        await nsExec(t.guest, ['ip', 'addr', 'flush', 'dev', t.guestIf]);
        await detachFromBridge(t.guestPeer);
      }
      assert.equal((await linkState(t.guestPeer))?.master, undefined);
    });
  });
});
