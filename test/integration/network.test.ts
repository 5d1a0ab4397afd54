// Virtual networks through a real vireod, inside network namespaces (netns.ts): net-start builds
// the bridge, firewall and dnsmasq; a daemon restart leaves the network untouched and finds it
// again; net-destroy removes exactly what start made; refusals leave nothing behind.
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { getLink } from '../../src/network/iproute.js';
import { hasFirewall } from '../../src/network/firewall.js';
import { run } from '../../src/util/proc.js';
import { BOOT, TestDaemon, guestXml, waitFor } from './harness.js';
import { VireoClient } from '../../src/client/client.js';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { NetworkSummary } from '../../src/api/types.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

const natXml = (name: string, subnet: string, bridge?: string): string => `<network>
  <name>${name}</name>
  <forward mode='nat'/>${bridge === undefined ? '' : `\n  <bridge name='${bridge}'/>`}
  <ip address='${subnet}.1' netmask='255.255.255.0'>
    <dhcp><range start='${subnet}.2' end='${subnet}.254'/></dhcp>
  </ip>
</network>
`;

/** dnsmasq processes (pids) started for a network of this daemon. */
function dnsmasqPids(root: string, network: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.startsWith('dnsmasq') || cmd.includes('/dnsmasq\0') ? cmd.includes(root) && cmd.includes(`${network}.conf`) : false;
    } catch {
      return false;
    }
  }).map(Number);
}

/** A reply of the network routes: a NetworkSummary, an XML document or an error. */
interface Reply {
  status: number;
  json: Partial<NetworkSummary> & { xml?: string; error?: { code: string; message: string } };
}

netnsSuite(import.meta.url, (topo: Topology) => {
  describe('virtual networks in a real vireod', () => {
    const d = new TestDaemon();
    const api = async (method: string, path: string, body?: unknown): Promise<Reply> => (await d.api(method, path, body)) as Reply;
    before(() => d.start());
    after(() => d.cleanup());

    test('net-define fills libvirt defaults; net-start brings up bridge, firewall and dnsmasq; net-destroy removes them', async () => {
      let r = await api('POST', '/v1/networks', { xml: natXml('nat1', '192.168.100') });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.deepEqual(r.json, { name: 'nat1', uuid: r.json.uuid, active: false, persistent: true, autostart: false, bridge: 'virbr0' });
      r = await api('POST', '/v1/networks/nat1/start', {});
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.active, true);
      const br = await getLink('virbr0');
      assert.equal(br?.kind, 'bridge');
      assert.equal(await hasFirewall('virbr0'), true);
      assert.equal(dnsmasqPids(d.root, 'nat1').length, 1);
      const live = (await api('GET', '/v1/networks/nat1/xml')).json.xml as string;
      assert.match(live, /<nat>\s*<port start='1024' end='65535'\/>\s*<\/nat>/, 'the live XML shows the NAT port range');
      assert.equal((await api('POST', '/v1/networks/nat1/start', {})).status, 409, 'a second start is refused');

      r = await api('POST', '/v1/networks/nat1/destroy', {});
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(await getLink('virbr0'), undefined);
      assert.equal(await hasFirewall('virbr0'), false);
      assert.deepEqual(dnsmasqPids(d.root, 'nat1'), []);
    });

    test('a killed vireod leaves the network running; the next one finds it, with the same dnsmasq', async () => {
      let r: Reply;
      assert.equal((r = await api('POST', '/v1/networks/nat1/start', {})).status, 200, JSON.stringify(r.json));
      const [dnsmasq] = dnsmasqPids(d.root, 'nat1');
      await d.stop('SIGKILL');
      assert.equal((await getLink('virbr0'))?.kind, 'bridge');
      await d.start();
      r = await api('GET', '/v1/networks/nat1');
      assert.equal(r.json.active, true);
      assert.deepEqual(dnsmasqPids(d.root, 'nat1'), [dnsmasq]);
      // A dnsmasq that dies is noticed and started again.
      process.kill(dnsmasq!, 'SIGKILL');
      await waitFor(() => dnsmasqPids(d.root, 'nat1').some((p) => p !== dnsmasq), 30_000, 'vireod to start dnsmasq again');
      assert.match(d.stderr, /dnsmasq (died|restarted)/);
      assert.equal((r = await api('POST', '/v1/networks/nat1/destroy', {})).status, 200, JSON.stringify(r.json));
    });

    test('a subnet in use and a bridge name in use are refused, and nothing is left half-made', async () => {
      let r: Reply;
      assert.equal((r = await api('POST', '/v1/networks/nat1/start', {})).status, 200, JSON.stringify(r.json));
      assert.equal((r = await api('POST', '/v1/networks', { xml: natXml('clash', '192.168.100') })).status, 200, JSON.stringify(r.json));
      r = await api('POST', '/v1/networks/clash/start', {});
      assert.equal(r.status, 500);
      assert.match(r.json.error?.message ?? "", /Network is already in use by network 'nat1' \(192\.168\.100\.0\/24\)/);
      assert.equal(await getLink('virbr1'), undefined);
      assert.deepEqual(dnsmasqPids(d.root, 'clash'), []);
      // Another network's bridge is refused at define, as libvirt does.
      r = await api('POST', '/v1/networks', { xml: natXml('samebr', '192.168.101', 'virbr0') });
      assert.equal(r.status, 409);
      assert.equal(r.json.error?.message, "Requested operation is not valid: bridge name 'virbr0' already in use.");
      // A host interface of that name is found at start.
      assert.equal((await run('ip', ['link', 'add', 'taken0', 'type', 'veth', 'peer', 'name', 'taken1'])).code, 0);
      assert.equal((r = await api('POST', '/v1/networks', { xml: natXml('hostbr', '192.168.103', 'taken0') })).status, 200, JSON.stringify(r.json));
      r = await api('POST', '/v1/networks/hostbr/start', {});
      assert.equal(r.status, 409, JSON.stringify(r.json));
      assert.match(r.json.error?.message ?? "", /bridge name 'taken0' is already in use/);
      assert.equal((await getLink('taken0'))?.kind, 'veth', 'the interface that was there is left alone');
      assert.equal(await hasFirewall('taken0'), false);
      assert.deepEqual(dnsmasqPids(d.root, 'hostbr'), []);
      await run('ip', ['link', 'del', 'taken0']);
      assert.equal((r = await api('POST', '/v1/networks/nat1/destroy', {})).status, 200, JSON.stringify(r.json));
      for (const n of ['clash', 'hostbr']) assert.equal((r = await api('DELETE', `/v1/networks/${n}`)).status, 200, JSON.stringify(r.json));
    });

    test('net-undefine of an active network leaves it running, transient, until net-destroy', async () => {
      let r: Reply;
      assert.equal((r = await api('POST', '/v1/networks/nat1/start', {})).status, 200, JSON.stringify(r.json));
      r = await api('DELETE', '/v1/networks/nat1');
      assert.equal(r.status, 200);
      r = await api('GET', '/v1/networks/nat1');
      assert.deepEqual({ active: r.json.active, persistent: r.json.persistent }, { active: true, persistent: false });
      assert.equal((await getLink('virbr0'))?.kind, 'bridge');
      assert.equal((r = await api('POST', '/v1/networks/nat1/destroy', {})).status, 200, JSON.stringify(r.json));
      assert.equal((r = await api('GET', '/v1/networks/nat1')).status, 404, JSON.stringify(r.json));
      assert.equal(await getLink('virbr0'), undefined);
    });

    test('net-create starts a transient network; net-update of its DHCP hosts reaches dnsmasq', async () => {
      let r = await api('POST', '/v1/networks/create', { xml: natXml('tnet', '192.168.102') });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      r = await api('POST', '/v1/networks/tnet/update', { command: 'add', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:aa:bb:cc' name='g1' ip='192.168.102.50'/>", live: true });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const hostsFile = readdirSync(`${d.root}/lib/dnsmasq`).find((f) => f.startsWith('tnet') && f.endsWith('.hostsfile'));
      assert.ok(hostsFile !== undefined, 'dnsmasq has a hosts file for tnet');
      assert.match(readFileSync(`${d.root}/lib/dnsmasq/${hostsFile}`, 'utf8'), /52:54:00:aa:bb:cc,192\.168\.102\.50,g1/);
      assert.deepEqual((await api('GET', '/v1/networks/tnet/leases')).json, []);
      assert.equal((r = await api('POST', '/v1/networks/tnet/destroy', {})).status, 200, JSON.stringify(r.json));
      assert.equal((r = await api('GET', '/v1/networks/tnet')).status, 404, JSON.stringify(r.json));
      assert.deepEqual(readdirSync(`${d.root}/lib/dnsmasq`).filter((f) => f.startsWith('tnet')), [], "a transient network's dnsmasq files go with it, as libvirt's");
    });

    test('a guest on a NAT network gets a lease, shows its tap, and reaches the outside masqueraded as the uplink', async () => {
      let r: Reply;
      assert.equal((r = await api('POST', '/v1/networks', { xml: natXml('gnet', '192.168.110') })).status, 200, JSON.stringify(r.json));
      assert.equal((r = await api('POST', '/v1/networks/gnet/start', {})).status, 200, JSON.stringify(r.json));
      const mac = '52:54:00:6e:00:01';
      const nic = `\n    <interface type='network'><mac address='${mac}'/><source network='gnet'/><model type='virtio'/></interface>`;
      const f = path.join(d.root, 'g1.xml');
      writeFileSync(f, guestXml('g1', { extraDevices: nic }));
      assert.equal((await d.vireo(['define', f])).code, 0);
      const started = await d.vireo(['start', 'g1']);
      assert.equal(started.code, 0, started.stderr);
      const lease = new RegExp(`vireo-guest: eth0 ${mac} (192\\.168\\.110\\.\\d+)/24 via 192\\.168\\.110\\.1`);
      await waitFor(async () => lease.test((await d.vireo(['console-log', 'g1'])).stdout), BOOT, 'the guest to get a lease');
      const ip = lease.exec((await d.vireo(['console-log', 'g1'])).stdout)![1]!;
      assert.match((await d.vireo(['domiflist', 'g1'])).stdout, new RegExp(`vnet0\\s+network\\s+gnet\\s+virtio\\s+${mac}`));
      assert.equal((await getLink('vnet0'))?.master, 'virbr0', 'the tap is a port of the network\'s bridge');
      const leases = await d.vireo(['net-dhcp-leases', 'gnet', '--mac', mac]);
      assert.match(leases.stdout, new RegExp(`${mac}\\s+ipv4\\s+${ip.replace(/\./g, '\\.')}/24`));
      const addr = await d.vireo(['domifaddr', 'g1']);
      assert.equal(addr.stdout, ` Name       MAC address          Protocol     Address\n${'-'.repeat(79)}\n vnet0      ${mac}    ipv4         ${ip}/24\n\n`);
      assert.equal((await d.vireo(['domif-getlink', 'g1', 'vnet0'])).stdout, 'vnet0 up\n\n');
      assert.equal((await d.vireo(['domif-setlink', 'g1', mac, 'down'])).stdout, 'Device updated successfully\n\n');
      assert.equal((await d.vireo(['domif-getlink', 'g1', 'vnet0'])).stdout, 'vnet0 down\n\n');
      assert.match((await d.vireo(['dumpxml', 'g1'])).stdout, /<link state='down'\/>/);
      assert.equal((await d.vireo(['domif-setlink', 'g1', 'vnet0', 'up'])).code, 0);

      // A server outside sees the connection come from the host's uplink address.
      const server = nsExec(topo.outside, [process.execPath, '-e',
        "require('net').createServer((s) => { console.log(s.remoteAddress); s.end('hello\\n'); process.exit(0); }).listen(8080, () => console.log('listening'))"], { timeoutMs: BOOT });
      await waitFor(async () => (await nsExec(topo.outside, ['ss', '-ltn'])).stdout.includes(':8080'), 30_000, 'the outside server to listen');
      await d.waitShell('g1');
      const client = VireoClient.open(d.uri);
      const con = await client.attachConsole('g1');
      try {
        con.write(`nc ${topo.outsideAddr} 8080 </dev/null\r`);
        const seen = await server;
        assert.equal(seen.stdout.split('\n').filter((l) => l !== '' && l !== 'listening').join(), `::ffff:${topo.uplinkAddr}`);
      } finally {
        con.destroy();
        client.close();
      }
      assert.equal((await d.vireo(['destroy', 'g1'])).code, 0);
      assert.equal(await getLink('vnet0'), undefined, 'the tap goes with the guest');
      assert.equal((r = await api('POST', '/v1/networks/gnet/destroy', {})).status, 200, JSON.stringify(r.json));
    });

    test("the host daemon's first start defines libvirt's 'default' network, autostart, on the first free 192.168.N.0/24", async () => {
      // 192.168.122.0/24 is taken here, as on a host that already runs libvirt's default network.
      assert.equal((await run('ip', ['link', 'add', 'lv122', 'type', 'veth', 'peer', 'name', 'lv122p'])).code, 0);
      await run('ip', ['addr', 'add', '192.168.122.250/24', 'dev', 'lv122']);
      await run('ip', ['link', 'set', 'lv122', 'up']);
      const fresh = new TestDaemon();
      try {
        await fresh.start(['--default-network', 'yes']);
        const r = (await fresh.api('GET', '/v1/networks/default')) as Reply;
        assert.deepEqual({ active: r.json.active, persistent: r.json.persistent, autostart: r.json.autostart }, { active: true, persistent: true, autostart: true });
        const xml = ((await fresh.api('GET', '/v1/networks/default/xml')) as Reply).json.xml ?? '';
        assert.match(xml, /<ip address='192\.168\.124\.1' netmask='255\.255\.255\.0'>/);
        assert.match(xml, /<range start='192\.168\.124\.2' end='192\.168\.124\.254'\/>/);
        assert.equal((await fresh.api('POST', '/v1/networks/default/destroy', {})).status, 200);
        assert.equal((await fresh.api('DELETE', '/v1/networks/default')).status, 200);
        await fresh.stop();
        await fresh.start(['--default-network', 'yes']);
        assert.equal((await fresh.api('GET', '/v1/networks/default')).status, 404, 'an undefined default network stays undefined');
      } finally {
        await fresh.cleanup();
        await run('ip', ['link', 'del', 'lv122']);
      }
    });

    test('a guest on an inactive network or a missing host bridge does not start, and leaves no tap; a bridged guest joins the host bridge', async () => {
      let r: Reply;
      assert.equal((r = await api('POST', '/v1/networks', { xml: natXml('offnet', '192.168.120') })).status, 200, JSON.stringify(r.json));
      const define = async (name: string, nic: string): Promise<void> => {
        const f = path.join(d.root, `${name}.xml`);
        writeFileSync(f, guestXml(name, { extraDevices: `\n    ${nic}` }));
        assert.equal((await d.vireo(['define', f])).code, 0);
      };
      await define('g2', "<interface type='network'><source network='offnet'/><model type='virtio'/></interface>");
      let s = await d.vireo(['start', 'g2']);
      assert.equal(s.code, 1);
      assert.equal(s.stderr, "error: Failed to start domain 'g2'\nerror: Requested operation is not valid: network 'offnet' is not active\n");
      assert.equal(await getLink('vnet0'), undefined);

      await define('g3', "<interface type='bridge'><source bridge='hostbr0'/><model type='virtio'/></interface>");
      s = await d.vireo(['start', 'g3']);
      assert.equal(s.code, 1);
      assert.match(s.stderr, /error: operation failed: Cannot get interface MTU on 'hostbr0': No such device/);
      assert.equal(await getLink('vnet0'), undefined);
      assert.equal((await run('ip', ['link', 'add', 'hostbr0', 'type', 'bridge'])).code, 0);
      try {
        s = await d.vireo(['start', 'g3']);
        assert.equal(s.code, 0, s.stderr);
        assert.equal((await getLink('vnet0'))?.master, 'hostbr0');
        assert.match((await d.vireo(['domiflist', 'g3'])).stdout, /vnet0\s+bridge\s+hostbr0\s+virtio/);
        assert.equal((await d.vireo(['destroy', 'g3'])).code, 0);
        assert.equal(await getLink('vnet0'), undefined);
      } finally {
        await run('ip', ['link', 'del', 'hostbr0']);
      }
    });

    test('two guests reach each other by the names dnsmasq serves; an isolated network lets a guest reach the host but not the outside', async () => {
      let r: Reply;
      for (const [name, xml] of [['dnsnet', natXml('dnsnet', '192.168.130')],
        ['isonet', "<network><name>isonet</name><ip address='192.168.131.1' netmask='255.255.255.0'><dhcp><range start='192.168.131.2' end='192.168.131.254'/></dhcp></ip></network>"]] as const) {
        assert.equal((r = await api('POST', '/v1/networks', { xml })).status, 200, JSON.stringify(r.json));
        assert.equal((r = await api('POST', `/v1/networks/${name}/start`, {})).status, 200, JSON.stringify(r.json));
      }
      const guests = [['ga', 'dnsnet', '192\\.168\\.130'], ['gb', 'dnsnet', '192\\.168\\.130'], ['gi', 'isonet', '192\\.168\\.131']] as const;
      for (const [name, net] of guests) {
        const f = path.join(d.root, `${name}.xml`);
        writeFileSync(f, guestXml(name, { cmdline: `vireo.hostname=${name}`, extraDevices: `\n    <interface type='network'><source network='${net}'/><model type='virtio'/></interface>` }));
        assert.equal((await d.vireo(['define', f])).code, 0);
        const s = await d.vireo(['start', name]);
        assert.equal(s.code, 0, s.stderr);
      }
      for (const [name, , subnet] of guests) {
        await waitFor(async () => new RegExp(`vireo-guest: eth0 \\S+ ${subnet}\\.\\d+/24`).test((await d.vireo(['console-log', name])).stdout), BOOT, `${name}'s lease`);
      }
      // Type a command at a guest's shell; its exit status comes back as MARK-<status> on the console.
      const client = VireoClient.open(d.uri);
      const status = async (name: string, mark: string, cmd: string): Promise<string> => {
        await d.waitShell(name);
        const con = await client.attachConsole(name);
        try {
          con.write(`${cmd}; echo ${mark}-$?\r`);
          const seen = new RegExp(`${mark}-(\\d+)\\r?\\n`);
          await waitFor(async () => seen.test((await d.vireo(['console-log', name])).stdout), BOOT, `'${cmd}' on ${name}`);
          return seen.exec((await d.vireo(['console-log', name])).stdout)![1]!;
        } finally {
          con.destroy();
        }
      };
      try {
        assert.equal(await status('ga', 'BYNAME', 'ping -c1 -W5 gb >/dev/null 2>&1'), '0', 'ga reaches gb by its name');
        assert.equal(await status('gi', 'HOST', 'ping -c1 -W5 192.168.131.1 >/dev/null 2>&1'), '0', 'the isolated guest reaches the host');
        // Even routed through the bridge by hand, the outside stays out of reach: the firewall says no.
        assert.equal(await status('gi', 'OUT', `ip route add default via 192.168.131.1 2>/dev/null; ping -c1 -W3 ${topo.outsideAddr} >/dev/null 2>&1`), '1');
      } finally {
        client.close();
      }
      for (const [name] of guests) assert.equal((await d.vireo(['destroy', name])).code, 0);
      for (const name of ['dnsnet', 'isonet']) assert.equal((r = await api('POST', `/v1/networks/${name}/destroy`, {})).status, 200, JSON.stringify(r.json));
    });
  });
});
