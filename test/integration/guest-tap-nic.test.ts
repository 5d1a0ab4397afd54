// A guest on a tap NIC, end to end without vireo's network layer: inside a network namespace
// (netns.ts) the test makes a bridge with an address and a DHCP server (dnsmasq), and a tap
// on it that the guest uses as <interface type='ethernet'><target dev='vtest0' managed='no'/>.
// vireod runs inside the namespace too (this file re-runs itself there). The test guest asks
// for a lease on every NIC and reports it on its console (scripts/guest/init).
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/util/proc.js';
import { BOOT, guestXml, SOON, TestDaemon, waitFor } from './harness.js';
import { VireoClient } from '../../src/client/client.js';
import { netnsSuite } from './netns.js';

const BRIDGE = 'vtbr0';
const HOST_ADDR = '10.88.0.1';
const MAC0 = '52:54:00:7a:90:01';
const MAC1 = '52:54:00:7a:90:02';

async function ip(args: string[]): Promise<void> {
  const r = await run('ip', args);
  assert.equal(r.code, 0, `ip ${args.join(' ')}: ${r.stderr}`);
}

netnsSuite(import.meta.url, (t) => {
  describe('a guest on a tap the test made (type ethernet, managed=no)', () => {
    const d = new TestDaemon();
    let client: VireoClient;
    let dnsmasq: ChildProcess | undefined;
    let dnsmasqOut = '';

    before(async () => {
      await ip(['link', 'add', BRIDGE, 'type', 'bridge']);
      await ip(['addr', 'add', `${HOST_ADDR}/24`, 'dev', BRIDGE]);
      await ip(['link', 'set', BRIDGE, 'up']);
      // vtest0 on the bridge (DHCP answers there); vtest1 alone, where nobody answers.
      for (const tap of ['vtest0', 'vtest1']) await ip(['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      await ip(['link', 'set', 'vtest0', 'master', BRIDGE, 'up']);
      await ip(['link', 'set', 'vtest1', 'up']);
      // A DHCP server only (port=0: no DNS), naming the guest as a libvirt network's <host> would.
      dnsmasq = spawn('dnsmasq', [
        '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root', '--bind-interfaces',
        `--interface=${BRIDGE}`, '--except-interface=lo', '--dhcp-range=10.88.0.10,10.88.0.99,255.255.255.0',
        `--dhcp-host=${MAC0},tapguest`, `--dhcp-leasefile=${path.join(t.tmp, 'guest-tap.leases')}`, '--pid-file=',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      dnsmasq.stdout?.on('data', (b: Buffer) => (dnsmasqOut += b.toString()));
      dnsmasq.stderr?.on('data', (b: Buffer) => (dnsmasqOut += b.toString()));
      await d.start();
      client = VireoClient.open(d.uri);
    });
    after(async () => {
      client.close();
      await d.cleanup();
      dnsmasq?.kill('SIGTERM');
      // The namespaces (and anything left in them) go with the outer run's tear-down.
    });

    const consoleLog = async (): Promise<string> => (await d.vireo(['console-log', 'tg'])).stdout;

    test('the guest gets a lease on the tap, says so on its console, takes its name, and answers from the host side', async () => {
      const nics = `
    <interface type='ethernet'><mac address='${MAC0}'/><target dev='vtest0' managed='no'/><model type='virtio'/></interface>
    <interface type='ethernet'><mac address='${MAC1}'/><target dev='vtest1' managed='no'/><model type='virtio'/></interface>`;
      const f = path.join(d.root, 'tg.xml');
      writeFileSync(f, guestXml('tg', { extraDevices: nics }));
      assert.equal((await d.vireo(['define', f])).code, 0);
      const started = await d.vireo(['start', 'tg']);
      assert.equal(started.code, 0, started.stderr);
      assert.match((await d.vireo(['dumpxml', 'tg'])).stdout, /<target dev='vtest0' managed='no'\/>/);

      const lease = new RegExp(`\\r\\nvireo-guest: eth0 ${MAC0} (10\\.88\\.0\\.\\d+)/24 via ${HOST_ADDR.replace(/\./g, '\\.')}\\r\\n`);
      let log = '';
      await waitFor(async () => lease.test((log = await consoleLog())), BOOT, `the guest's lease on eth0 (dnsmasq: ${dnsmasqOut})`);
      assert.match(log, new RegExp(`\\r\\nvireo-guest: eth0 added ${MAC0}\\r\\n`));
      const addr = lease.exec(log)?.[1] as string;
      // The lease dnsmasq recorded is the one the guest reports.
      await waitFor(() => readFileSync(path.join(t.tmp, 'guest-tap.leases'), { encoding: 'utf8', flag: 'a+' }).includes(`${MAC0} ${addr} tapguest`), SOON, 'the lease in dnsmasq\'s lease file');

      // The second NIC's tap reaches nobody: the guest gives up its first round and says so.
      await waitFor(async () => (await consoleLog()).includes('\r\nvireo-guest: eth1 no lease\r\n'), BOOT, 'eth1 to report no lease');
      assert.match(await consoleLog(), new RegExp(`\\r\\nvireo-guest: eth1 added ${MAC1}\\r\\n`));

      // Traffic flows both ways through the bridge: the host namespace pings the guest.
      const ping = await run('busybox', ['ping', '-c', '1', '-W', '10', addr]);
      assert.equal(ping.code, 0, `ping ${addr}: ${ping.stdout}${ping.stderr}`);

      // The hostname dnsmasq sent is the guest's now.
      await d.waitShell('tg');
      const s = await client.attachConsole('tg');
      try {
        s.write('echo "host=$(hostname)"\r');
        await waitFor(async () => (await consoleLog()).includes('host=tapguest'), SOON, 'the guest to print its hostname');
      } finally {
        s.destroy();
      }
    });

    test('a tap the user made (managed=no) outlives the guest', async () => {
      assert.equal((await d.vireo(['destroy', 'tg'])).code, 0);
      const r = await run('ip', ['-json', 'link', 'show', 'dev', 'vtest0']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as Array<{ master?: string }>)[0]?.master, BRIDGE);
    });
  });
});
