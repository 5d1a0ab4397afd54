// The firewall rules of each forward mode, judged by traffic: a "guest" namespace on the bridge
// talks to a server in the "outside" namespace across the host's uplink (netns.ts).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { addAddress, createBridge, deleteBridge, enableForwarding, setLinkUp } from '../../src/network/bridge.js';
import { addFirewall, firewallScript, hasFirewall, listChains, nftApply, removeFirewall } from '../../src/network/firewall.js';
import { attachToBridge } from '../../src/network/tap.js';
import type { ForwardMode, NetworkSpec } from '../../src/network/types.js';
import { run } from '../../src/util/proc.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

const GUEST = '10.60.0.2';
const spec = (mode: ForwardMode, bridge = 'fb0'): NetworkSpec => ({ name: `fw-${mode}`, bridge: { name: bridge }, forward: { mode }, ips: [{ address: '10.60.0.1', prefix: 24 }] });

const SERVER = `const net = require('net');
const s = net.createServer((c) => { console.log('from ' + c.remoteAddress); c.end('hello\\n'); });
s.listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
const CLIENT = `const net = require('net');
const c = net.connect(Number(process.argv[2]), process.argv[1]);
c.setTimeout(10000, () => { console.log('error TIMEOUT'); process.exit(0); });
c.on('data', (d) => { console.log('ok ' + String(d).trim()); c.destroy(); });
c.on('error', (e) => console.log('error ' + e.code));`;

/** A TCP server in a namespace; `from` lists the peer address of every connection it took. */
async function server(ns: string, host: string, port: number): Promise<{ from: string[]; close: () => Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, host, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const from: string[] = [];
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`server in ${ns} exited with ${c}`)));
    lines.on('line', (l) => (l === 'listening' ? resolve() : from.push(l.replace(/^from (::ffff:)?/, ''))));
  });
  return { from, close: () => new Promise((res) => { child.once('close', () => res()); child.stdin.end(); }) };
}

/** Connect from a namespace: 'ok hello' or 'error CODE'. */
async function connect(ns: string, host: string, port: number): Promise<string> {
  return (await nsExec(ns, [process.execPath, '-e', CLIENT, host, String(port)])).stdout.trim();
}

async function nftRuleset(): Promise<string> {
  return (await run('nft', ['list', 'ruleset'])).stdout;
}

netnsSuite(import.meta.url, (t: Topology) => {
  let outside: Awaited<ReturnType<typeof server>>;

  beforeEach(async () => {
    await createBridge({ name: 'fb0', stp: false });
    await addAddress('fb0', '10.60.0.1', 24);
    await setLinkUp('fb0', true);
    await attachToBridge(t.guestPeer, 'fb0');
    await setLinkUp(t.guestPeer, true);
    await nsExec(t.guest, ['ip', 'addr', 'add', `${GUEST}/24`, 'dev', t.guestIf]);
    await nsExec(t.guest, ['ip', 'route', 'add', 'default', 'via', '10.60.0.1']);
    await enableForwarding('ipv4');
    outside = await server(t.outside, t.outsideAddr, 8080);
  });
  afterEach(async () => {
    await outside.close();
    await removeFirewall('fb0');
    await nsExec(t.outside, ['ip', 'route', 'flush', '10.60.0.0/24']);
    await nsExec(t.guest, ['ip', 'addr', 'flush', 'dev', t.guestIf]);
    await deleteBridge('fb0');
    assert.equal(await nftRuleset(), '', 'no rule is left behind');
  });

  describe('traffic', () => {
    test('nat: the guest reaches the outside, which sees the uplink\'s address; nothing new comes in', async () => {
      await addFirewall(spec('nat'));
      assert.equal(await connect(t.guest, t.outsideAddr, 8080), 'ok hello');
      assert.deepEqual(outside.from, [t.uplinkAddr], 'masqueraded to the uplink address');
      // Even with a route to the guests, the outside cannot open a connection to them.
      await nsExec(t.outside, ['ip', 'route', 'add', '10.60.0.0/24', 'via', t.uplinkAddr]);
      const inGuest = await server(t.guest, GUEST, 9090);
      try {
        assert.equal(await connect(t.outside, GUEST, 9090), 'error ECONNREFUSED');
        assert.deepEqual(inGuest.from, []);
      } finally {
        await inGuest.close();
      }
    });

    test('route: both ways, with the guest\'s own address', async () => {
      await addFirewall(spec('route'));
      await nsExec(t.outside, ['ip', 'route', 'add', '10.60.0.0/24', 'via', t.uplinkAddr]);
      assert.equal(await connect(t.guest, t.outsideAddr, 8080), 'ok hello');
      assert.deepEqual(outside.from, [GUEST]);
      const inGuest = await server(t.guest, GUEST, 9090);
      try {
        assert.equal(await connect(t.outside, GUEST, 9090), 'ok hello');
        assert.deepEqual(inGuest.from, [t.outsideAddr]);
      } finally {
        await inGuest.close();
      }
    });

    test('isolated: a guest routing through the bridge anyway cannot get out (it could without the rules), but reaches the host', async () => {
      await nsExec(t.outside, ['ip', 'route', 'add', '10.60.0.0/24', 'via', t.uplinkAddr]);
      assert.equal(await connect(t.guest, t.outsideAddr, 8080), 'ok hello', 'without rules, forwarding would carry it');
      await addFirewall(spec('isolated'));
      assert.equal(await connect(t.guest, t.outsideAddr, 8080), 'error ECONNREFUSED');
      assert.deepEqual(outside.from, [GUEST], 'only the connection made before the rules');
      const onHost = net.createServer((c) => c.end('hello\n'));
      await new Promise<void>((res) => onHost.listen(7070, '10.60.0.1', res));
      try {
        assert.equal(await connect(t.guest, '10.60.0.1', 7070), 'ok hello');
      } finally {
        onHost.close();
      }
    });
  });

  describe('exactness', () => {
    test('rules of one network come and go whole, and nothing vireo did not write is touched', async () => {
      await nftApply('add table inet other\nadd chain inet other c { type filter hook forward priority 10; policy accept; }\nadd rule inet other c iifname "fb0" counter\n', 'add foreign rules');
      const foreign = await nftRuleset();
      await addFirewall(spec('nat'));
      const one = await nftRuleset();
      await addFirewall(spec('route', 'fb1'));
      assert.deepEqual((await listChains()).sort(), ['fwd-fb0', 'fwd-fb1', 'in-fb0', 'in-fb1', 'nat-fb0', 'out-fb0', 'out-fb1']);
      await addFirewall(spec('route', 'fb1')); // again: replaced, not doubled
      assert.equal((await nftRuleset()).match(/chain fwd-fb1/g)?.length, 1);
      await removeFirewall('fb1');
      assert.equal(await nftRuleset(), one);
      assert.equal(await hasFirewall('fb0'), true);
      await removeFirewall('fb0');
      assert.equal(await hasFirewall('fb0'), false);
      assert.equal(await nftRuleset(), foreign, 'vireo\'s table is gone, the foreign one intact');
      await nftApply('delete table inet other\n', 'remove foreign rules');
      await removeFirewall('fb0'); // nothing left: no error
    });

    test('a transaction that fails half-way leaves no rule', async () => {
      await assert.rejects(nftApply(firewallScript(spec('nat')) + 'add rule inet vireo no-such-chain accept\n', 'install rules'),
        (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_FAILED' && /^operation failed: cannot install rules: /.test(e.message));
      assert.equal(await nftRuleset(), '');
    });
  });
});
