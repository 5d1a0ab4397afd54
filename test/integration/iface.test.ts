// Host interfaces (iface-*) through a real vireod and the CLI, inside network namespaces
// (netns.ts: the host namespace has `uplink` 198.51.100.1/24 with the default route via
// 198.51.100.2 in the outside namespace, and `vguest0`, a spare device that is down). The story
// runs in order: iface-bridge moves the host's address and default route onto br0, a guest on br0
// reaches the outside namespace, iface-unbridge gives them back; configs, starts, failures
// half-way and transactions follow, across vireod restarts.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/util/proc.js';
import { BOOT, guestXml, TestDaemon, waitFor } from './harness.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

interface Addr { family: string; local: string; prefixlen: number; scope: string }
interface Link { ifname: string; address: string; master?: string; flags: string[]; addr_info: Addr[] }

async function link(name: string): Promise<Link | undefined> {
  const r = await run('ip', ['-json', 'addr', 'show', 'dev', name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Link[])[0] : undefined;
}

const globalAddrs = (l: Link | undefined): string[] => (l?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);

async function defaultRoute(): Promise<string> {
  return (await run('ip', ['-4', 'route', 'show', 'default'])).stdout.trim();
}

function validates(xml: string): void {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', '/usr/share/libvirt/schemas/interface.rng', '-'], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, `${xml}\n${r.stderr}`);
}

/** Whether this kernel makes VLAN devices (8021q): probed on a throw-away one. */
function kernelHasVlans(): boolean {
  const made = spawnSync('ip', ['link', 'add', 'link', 'uplink', 'name', 'probe.9', 'type', 'vlan', 'id', '9']).status === 0;
  if (made) spawnSync('ip', ['link', 'del', 'probe.9']);
  return made;
}

netnsSuite(import.meta.url, (t: Topology) => {
  describe('host interfaces in a real vireod', () => {
    const d = new TestDaemon();
    let uplinkMac = '';
    let dnsmasq: ChildProcess | undefined;
    const vireo = (...args: string[]): ReturnType<TestDaemon['vireo']> => d.vireo(args);
    const file = (name: string, text: string): string => {
      const f = path.join(t.tmp, name);
      writeFileSync(f, text);
      return f;
    };
    const ok = async (...args: string[]): Promise<string> => {
      const r = await d.vireo(args);
      assert.equal(r.code, 0, `vireo ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const pingOutside = async (): Promise<void> => {
      const r = await run('busybox', ['ping', '-c', '1', '-W', '10', t.outsideAddr]);
      assert.equal(r.code, 0, `ping ${t.outsideAddr}: ${r.stdout}${r.stderr}`);
    };

    before(async () => {
      uplinkMac = (await link('uplink'))!.address;
      await d.start();
    });
    after(async () => {
      dnsmasq?.kill('SIGTERM');
      await d.cleanup();
    });

    test('iface-list, iface-mac, iface-name and iface-dumpxml show the namespace\'s devices', async () => {
      const active = await ok('iface-list');
      assert.match(active, new RegExp(`^ uplink +active +${uplinkMac}$`, 'm'));
      assert.doesNotMatch(active, /vguest0/, 'a device that is down is not active');
      assert.match(await ok('iface-list', '--inactive'), /^ vguest0 +inactive +[0-9a-f:]{17}$/m);
      assert.match(await ok('iface-list', '--all'), /^ Name +State +MAC Address\n-+\n/);
      assert.equal(await ok('iface-mac', 'uplink'), `${uplinkMac}\n\n`);
      assert.equal(await ok('iface-name', uplinkMac), 'uplink\n\n');
      assert.equal(await ok('iface-name', uplinkMac.toUpperCase()), 'uplink\n\n');
      const xml = await ok('iface-dumpxml', 'uplink');
      validates(xml);
      assert.match(xml, /^<interface type='ethernet' name='uplink'>\n  <mtu size='1500'\/>\n  <protocol family='ipv4'>\n    <ip address='198\.51\.100\.1' prefix='24'\/>\n    <route gateway='198\.51\.100\.2'\/>\n  <\/protocol>\n/);
      assert.match(xml, new RegExp(`<link speed='\\d+' state='up'/>\\n  <mac address='${uplinkMac}'/>\\n</interface>\\n\\n$`));

      let r = await vireo('iface-mac', 'nosuch');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "error: failed to get interface 'nosuch'\nerror: Interface not found: couldn't find interface named 'nosuch'\n");
      r = await vireo('iface-name', '00:11:22:33:44:55');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "error: failed to get interface '00:11:22:33:44:55'\nerror: Interface not found: couldn't find interface with MAC address '00:11:22:33:44:55'\n");
      r = await vireo('iface-start', 'nosuch');
      assert.equal(r.stderr, "error: failed to get interface 'nosuch'\nerror: Interface not found: couldn't find interface named 'nosuch'\n");
    });

    test('iface-bridge uplink br0 moves the address and the default route onto br0; the outside still answers', async () => {
      assert.equal(await ok('iface-bridge', 'uplink', 'br0', '--no-stp'), 'Created bridge br0 with attached device uplink\nBridge interface br0 started\n\n');
      const br = await link('br0');
      assert.deepEqual(globalAddrs(br), ['198.51.100.1/24']);
      assert.equal(br?.address, uplinkMac, 'the bridge keeps the NIC\'s MAC');
      const up = await link('uplink');
      assert.equal(up?.master, 'br0');
      assert.deepEqual(globalAddrs(up), []);
      assert.equal(await defaultRoute(), 'default via 198.51.100.2 dev br0');
      await pingOutside();

      const xml = await ok('iface-dumpxml', 'br0');
      validates(xml);
      assert.match(xml, new RegExp(`<bridge stp='off' delay='0'>\\n    <interface type='ethernet' name='uplink'>\\n      <link speed='\\d+' state='up'/>\\n      <mac address='${uplinkMac}'/>\\n    </interface>\\n  </bridge>`));
      const config = await ok('iface-dumpxml', 'br0', '--inactive');
      assert.equal(config, `<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <mtu size='1500'/>
  <protocol family='ipv4'>
    <ip address='198.51.100.1' prefix='24'/>
    <route gateway='198.51.100.2'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='uplink'>
      <mac address='${uplinkMac}'/>
    </interface>
  </bridge>
</interface>

`);
      const list = await ok('iface-list');
      assert.match(list, new RegExp(`^ br0 +active +${uplinkMac}$`, 'm'));
      assert.doesNotMatch(list, /uplink/, 'a bridge port is listed inside its bridge only');
      assert.equal(await ok('iface-name', uplinkMac), 'br0\n\n');
    });

    test('bridging a NIC that is a bridge port, or a bridge, is refused and makes nothing', async () => {
      let r = await vireo('iface-bridge', 'uplink', 'br1');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "error: Failed to define new bridge interface br1\nerror: Requested operation is not valid: interface 'uplink' is already attached to 'br0'\n");
      r = await vireo('iface-bridge', 'br0', 'br1');
      assert.equal(r.stderr, 'error: Existing device br0 is already a bridge\n');
      r = await vireo('iface-bridge', 'vguest0', 'br0');
      assert.equal(r.stderr, 'error: Network device br0 already exists\n');
      assert.equal(await link('br1'), undefined);
      assert.equal(existsSync(path.join(d.root, 'etc', 'interfaces', 'br1.xml')), false);
    });

    test('a guest on <source bridge=br0> reaches the outside namespace through it', async () => {
      // A DHCP server in the outside namespace: the guest's lease comes through br0 and uplink.
      dnsmasq = spawn('ip', ['netns', 'exec', t.outside, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root',
        '--bind-interfaces', '--interface=eth0', '--dhcp-range=198.51.100.50,198.51.100.99,255.255.255.0', '--dhcp-option=3,198.51.100.2',
        `--dhcp-leasefile=${path.join(t.tmp, 'outside.leases')}`, '--pid-file='], { stdio: 'ignore' });
      const nic = `\n    <interface type='bridge'><mac address='52:54:00:5e:11:01'/><source bridge='br0'/><model type='virtio'/></interface>`;
      await ok('define', file('bg.xml', guestXml('bg', { extraDevices: nic })));
      await ok('start', 'bg');
      const lease = /\r\nvireo-guest: eth0 52:54:00:5e:11:01 (198\.51\.100\.\d+)\/24 via 198\.51\.100\.2\r\n/;
      let log = '';
      await waitFor(async () => lease.test((log = (await d.vireo(['console-log', 'bg'])).stdout)), BOOT, 'the guest\'s lease from the outside namespace');
      const addr = lease.exec(log)![1]!;
      const ping = await nsExec(t.outside, ['busybox', 'ping', '-c', '1', '-W', '10', addr]);
      assert.equal(ping.code, 0, `ping ${addr} from outside: ${ping.stdout}${ping.stderr}`);
      await ok('destroy', 'bg');
      await ok('undefine', 'bg');
    });

    test('a vireod restart keeps the bridge up and its config', async () => {
      await d.stop();
      await d.start();
      assert.match(await ok('iface-list'), new RegExp(`^ br0 +active +${uplinkMac}$`, 'm'));
      assert.match(await ok('iface-dumpxml', 'br0', '--inactive'), /<start mode='onboot'\/>/);
      await pingOutside();
    });

    test('iface-unbridge br0 gives the address and the default route back to uplink', async () => {
      assert.equal(await ok('iface-unbridge', 'br0'), 'Device uplink un-attached from bridge br0\nInterface uplink started\n\n');
      assert.equal(await link('br0'), undefined);
      assert.deepEqual(globalAddrs(await link('uplink')), ['198.51.100.1/24']);
      assert.equal((await link('uplink'))?.master, undefined);
      assert.equal(await defaultRoute(), 'default via 198.51.100.2 dev uplink');
      await pingOutside();
      assert.match(await ok('iface-dumpxml', 'uplink', '--inactive'), /^<interface type='ethernet' name='uplink'>\n  <start mode='onboot'\/>\n  <mtu size='1500'\/>\n  <protocol family='ipv4'>\n    <ip address='198\.51\.100\.1' prefix='24'\/>/);
      assert.equal(existsSync(path.join(d.root, 'etc', 'interfaces', 'br0.xml')), false);
    });

    const bridgeXml = (name: string, extra = ''): string => `<interface type='bridge' name='${name}'>
  <protocol family='ipv4'><ip address='10.5.0.1' prefix='24'/>${extra}</protocol>
  <bridge stp='on' delay='2'><interface type='ethernet' name='vguest0'/></bridge>
</interface>
`;

    test('iface-define, iface-start, iface-destroy and iface-undefine of a bridge', async () => {
      assert.equal(await ok('iface-define', file('br5.xml', bridgeXml('br5'))), `Interface br5 defined from ${path.join(t.tmp, 'br5.xml')}\n\n`);
      assert.match(await ok('iface-list', '--inactive'), /^ br5 +inactive +$/m);
      assert.equal(await ok('iface-start', 'br5'), 'Interface br5 started\n\n');
      assert.equal((await link('vguest0'))?.master, 'br5');
      assert.deepEqual(globalAddrs(await link('br5')), ['10.5.0.1/24']);
      assert.match(await ok('iface-dumpxml', 'br5'), /<bridge stp='on' delay='2'>/);
      let r = await vireo('iface-start', 'br5');
      assert.equal(r.stderr, "error: Failed to start interface br5\nerror: Requested operation is not valid: interface 'br5' is already active\n");
      assert.equal(await ok('iface-destroy', 'br5'), 'Interface br5 destroyed\n\n');
      assert.equal(await link('br5'), undefined);
      assert.equal((await link('vguest0'))?.master, undefined);
      r = await vireo('iface-destroy', 'br5');
      assert.equal(r.stderr, "error: Failed to destroy interface br5\nerror: Requested operation is not valid: interface 'br5' is not active\n");
      assert.equal(await ok('iface-undefine', 'br5'), 'Interface br5 undefined\n\n');
      assert.equal((await vireo('iface-mac', 'br5')).code, 1);
    });

    test('a start that fails half-way leaves nothing behind', async () => {
      // The gateway is on no subnet of the bridge: the last step fails after the bridge is made,
      // vguest0 is attached and the address is set.
      await ok('iface-define', file('br6.xml', bridgeXml('br6', "<route gateway='10.99.0.1'/>")));
      const r = await vireo('iface-start', 'br6');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: Failed to start interface br6\nerror: operation failed: cannot add route default via 10\.99\.0\.1 on br6: Error: Nexthop has invalid gateway\.\n$/);
      assert.equal(await link('br6'), undefined);
      assert.equal((await link('vguest0'))?.master, undefined);
      assert.doesNotMatch((await run('ip', ['route'])).stdout, /10\.5\.0\.0|br6/);
      await ok('iface-undefine', 'br6');
    });

    const vlans = kernelHasVlans();
    const vlanXml = `<interface type='vlan' name='uplink.7'>
  <start mode='none'/>
  <protocol family='ipv4'><ip address='10.7.0.1' prefix='24'/></protocol>
  <vlan tag='7'><interface name='uplink'/></vlan>
</interface>
`;
    test('a VLAN: define, start, destroy, undefine', { skip: !vlans && 'this kernel has no 802.1Q VLAN devices (8021q)' }, async () => {
      await ok('iface-define', file('vlan.xml', vlanXml));
      await ok('iface-start', 'uplink.7');
      assert.deepEqual(globalAddrs(await link('uplink.7')), ['10.7.0.1/24']);
      assert.match(await ok('iface-dumpxml', 'uplink.7'), /<vlan tag='7'>\n    <interface name='uplink'\/>/);
      await ok('iface-destroy', 'uplink.7');
      assert.equal(await link('uplink.7'), undefined);
      await ok('iface-undefine', 'uplink.7');
    });

    test('a VLAN on a kernel without 8021q: defined, its start refused with the reason', { skip: vlans && 'this kernel has VLAN devices' }, async () => {
      await ok('iface-define', file('vlan.xml', vlanXml));
      assert.equal(await ok('iface-dumpxml', 'uplink.7', '--inactive'), `<interface type='vlan' name='uplink.7'>
  <start mode='none'/>
  <protocol family='ipv4'>
    <ip address='10.7.0.1' prefix='24'/>
  </protocol>
  <vlan tag='7'>
    <interface name='uplink'/>
  </vlan>
</interface>

`);
      const r = await vireo('iface-start', 'uplink.7');
      assert.equal(r.stderr, 'error: Failed to start interface uplink.7\nerror: cannot create vlan device uplink.7: this kernel has no vlan devices (module 8021q)\n');
      assert.equal(await link('uplink.7'), undefined);
      await ok('iface-undefine', 'uplink.7');
    });

    test('iface-begin, then changes and a vireod restart; iface-rollback restores the configs and the live state', async () => {
      const spare = `<interface type='ethernet' name='vguest0'>\n  <start mode='none'/>\n  <mtu size='1400'/>\n</interface>\n`;
      await ok('iface-define', file('spare.xml', spare));
      let r = await vireo('iface-commit');
      assert.equal(r.stderr, 'error: Failed to commit network config change transaction\nerror: operation failed: failed to commit transaction: no transaction is open (iface-begin opens one)\n');
      assert.equal(await ok('iface-begin'), 'Network config change transaction started\n\n');
      // The bridge takes vguest0: its own config goes, as netcf rewrites a member's ifcfg.
      await ok('iface-define', file('br7.xml', bridgeXml('br7')));
      await ok('iface-start', 'br7');
      assert.equal(existsSync(path.join(d.root, 'etc', 'interfaces', 'vguest0.xml')), false);
      await d.stop();
      await d.start();
      r = await vireo('iface-begin');
      assert.equal(r.stderr, 'error: Failed to begin network config change transaction\nerror: operation failed: failed to begin transaction: a transaction is already open (iface-commit or iface-rollback ends it)\n');
      assert.equal(await ok('iface-rollback'), 'Network config change transaction rolled back\n\n');
      assert.equal(await link('br7'), undefined);
      assert.equal((await link('vguest0'))?.master, undefined);
      assert.equal(await ok('iface-dumpxml', 'vguest0', '--inactive'), `${spare}\n`);
      assert.equal((await vireo('iface-dumpxml', 'br7', '--inactive')).code, 1);
      r = await vireo('iface-rollback');
      assert.match(r.stderr, /failed to rollback transaction: no transaction is open/);
      assert.equal(await ok('iface-begin'), 'Network config change transaction started\n\n');
      assert.equal(await ok('iface-commit'), 'Network config change transaction committed\n\n');
      await ok('iface-undefine', 'vguest0');
    });
  });
});
