// IPv6 on virtual networks, end to end inside network namespaces (netns.ts): a dual-stack NAT
// network gives the test guest an IPv4 lease and an IPv6 address by router advertisement
// (SLAAC); the guest and the host reach each other over IPv6, and the guest reaches the outside
// routed (libvirt masquerades IPv6 only with <nat ipv6='yes'/>), seen there by its own address. A
// network with an IPv6 DHCP range leases an address to a DHCPv6 client, shown by net-dhcp-leases.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/util/proc.js';
import { VireoClient } from '../../src/client/client.js';
import { BOOT, SOON, TestDaemon, guestXml, waitFor } from './harness.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

const DHCP6_CLIENT = fileURLToPath(new URL('./dhcp6-client.js', import.meta.url));

/** The SLAAC (EUI-64) address of `mac` in the /64 `prefix` (e.g. "fd00:150::"). */
function eui64(prefix: string, mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0]! ^= 0x02;
  const w = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | 0xff, (0xfe << 8) | b[3]!, (b[4]! << 8) | b[5]!];
  return prefix + w.map((x) => x.toString(16)).join(':');
}

netnsSuite(import.meta.url, (topo: Topology) => {
  describe('IPv6 on virtual networks', () => {
    const d = new TestDaemon();
    const ok = async (args: string[]): Promise<string> => {
      const r = await d.vireo(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const file = (name: string, text: string): string => {
      const f = path.join(d.root, name);
      writeFileSync(f, text);
      return f;
    };
    before(() => d.start());
    after(() => d.cleanup());

    test('a dual-stack NAT network: SLAAC in the guest, IPv6 between guest and host, routed to the outside', async () => {
      await ok(['net-define', file('v6net.xml', `<network>
  <name>v6net</name>
  <forward mode='nat'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.150.2' end='192.168.150.254'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00:150::1' prefix='64'/>
</network>
`)]);
      await ok(['net-start', 'v6net']);
      // An <ip> without children is printed open and closed, as libvirt 9.0 prints it.
      assert.match(await ok(['net-dumpxml', 'v6net']), /\n {2}<ip family='ipv6' address='fd00:150::1' prefix='64'>\n {2}<\/ip>\n/);
      // The uplink gets IPv6 too; the outside routes the network's prefix back through the host.
      assert.equal((await run('ip', ['-6', 'addr', 'add', 'fd00:ff::1/64', 'dev', 'uplink', 'nodad'])).code, 0);
      assert.equal((await nsExec(topo.outside, ['ip', '-6', 'addr', 'add', 'fd00:ff::2/64', 'dev', 'eth0', 'nodad'])).code, 0);
      assert.equal((await nsExec(topo.outside, ['ip', '-6', 'route', 'add', 'fd00:150::/64', 'via', 'fd00:ff::1'])).code, 0);

      const mac = '52:54:00:6e:06:01';
      await ok(['define', file('g6.xml', guestXml('g6', { extraDevices: `\n    <interface type='network'><mac address='${mac}'/><source network='v6net'/><model type='virtio'/></interface>` }))]);
      await ok(['start', 'g6']);
      await waitFor(async () => (await d.vireo(['console-log', 'g6'])).stdout.includes(`vireo-guest: eth0 ${mac} 192.168.150.`), BOOT, 'the IPv4 lease');
      const addr = eui64('fd00:150::', mac);
      // dnsmasq advertises the prefix (ra-only: no DHCPv6 range), so the guest's kernel forms its address itself.
      await waitFor(async () => (await run('busybox', ['ping', '-6', '-c1', '-W1', addr])).code === 0, BOOT, `the guest to answer on ${addr}`);

      const client = VireoClient.open(d.uri);
      const status = async (mark: string, cmd: string): Promise<string> => {
        await d.waitShell('g6');
        const con = await client.attachConsole('g6');
        try {
          con.write(`${cmd}; echo ${mark}-$?\r`);
          const seen = new RegExp(`${mark}-(\\d+)\\r?\\n`);
          await waitFor(async () => seen.test((await d.vireo(['console-log', 'g6'])).stdout), BOOT, `'${cmd}' on g6`);
          return seen.exec((await d.vireo(['console-log', 'g6'])).stdout)![1]!;
        } finally {
          con.destroy();
        }
      };
      const server = nsExec(topo.outside, [process.execPath, '-e',
        "require('net').createServer((s) => { console.log(s.remoteAddress); s.end('hello\\n'); process.exit(0); }).listen(8086, '::', () => console.log('listening'))"], { timeoutMs: BOOT });
      try {
        await waitFor(async () => (await nsExec(topo.outside, ['ss', '-ltn'])).stdout.includes(':8086'), SOON, 'the outside server to listen');
        assert.equal(await status('GW6', 'ping -6 -c1 -W5 fd00:150::1 >/dev/null 2>&1'), '0', 'the guest reaches the bridge over IPv6');
        assert.equal(await status('OUT6', 'nc fd00:ff::2 8086 </dev/null >/dev/null 2>&1'), '0', 'the guest reaches the outside over IPv6');
        const seen = await server;
        assert.equal(seen.stdout.split('\n').filter((l) => l !== '' && l !== 'listening').join(), addr, 'routed, not masqueraded');
      } finally {
        client.close();
      }
      await ok(['destroy', 'g6']);
      await ok(['net-destroy', 'v6net']);
    });

    test('an IPv6 DHCP range: a DHCPv6 client gets an address from it, and net-dhcp-leases shows the lease', async () => {
      await ok(['net-define', file('d6net.xml', `<network>
  <name>d6net</name>
  <bridge name='virbr61'/>
  <ip family='ipv6' address='fd00:151::1' prefix='64'>
    <dhcp><range start='fd00:151::100' end='fd00:151::1ff'/></dhcp>
  </ip>
</network>
`)]);
      await ok(['net-start', 'd6net']);
      // The guest namespace's veth stands in for a guest NIC on the network's bridge.
      assert.equal((await run('ip', ['link', 'set', topo.guestPeer, 'master', 'virbr61', 'up'])).code, 0);
      const mac = '52:54:00:6e:06:02';
      const got = await nsExec(topo.guest, [process.execPath, DHCP6_CLIENT, topo.guestIf, mac, 'host6'], { timeoutMs: SOON });
      assert.equal(got.code, 0, got.stderr);
      const ip = got.stdout.trim();
      assert.match(ip, /^fd00:151::1[0-9a-f]{2}$/);
      const leases = await ok(['net-dhcp-leases', 'd6net']);
      assert.match(leases, new RegExp(`${mac}\\s+ipv6\\s+${ip}/64\\s+host6\\s+00:03:00:01:52:54:00:6e:06:02\n`), leases);
      assert.match(await ok(['net-dhcp-leases', 'd6net', '--mac', mac]), new RegExp(`${ip}/64`));
      await ok(['net-destroy', 'd6net']);
    });
  });
});
