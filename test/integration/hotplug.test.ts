// NIC hot-plug end to end, inside a network namespace (netns.ts): a running guest on a NAT
// network gets a NIC through attach-interface and attach-device (the guest sees it and gets a
// lease), keeps it over a vireod restart, has its link and network changed by update-device,
// and loses it again through detach-interface and detach-device (the guest sees it go, the tap
// goes). --config changes only the stored definition; refusals leave no tap behind; a detach
// the guest does not answer at once completes when it does.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { QmpClient } from '../../src/qemu/qmp/client.js';
import { run } from '../../src/util/proc.js';
import type { DomainEvent } from '../../src/api/types.js';
import { VireoClient } from '../../src/client/client.js';
import { BOOT, guestXml, scenario, SOON, TestDaemon, waitFor } from './harness.js';
import { netnsSuite } from './netns.js';

const natXml = (name: string, n: number): string => `<network><name>${name}</name><forward mode='nat'/><bridge name='hpbr${n}'/>
  <ip address='10.7${n}.0.1' netmask='255.255.255.0'><dhcp><range start='10.7${n}.0.10' end='10.7${n}.0.99'/></dhcp></ip></network>`;
const M1 = '52:54:00:7b:00:01';
const M2 = '52:54:00:7b:00:02';
const M3 = '52:54:00:7b:00:03';
const nicXml = (mac: string, network: string, extra = ''): string =>
  `<interface type='network'><mac address='${mac}'/><source network='${network}'/><model type='virtio'/>${extra}</interface>\n`;
// Four spare root ports, as virt-install adds: two NICs can be hot-plugged, a third cannot.
const PORTS = "\n    <controller type='pci' model='pcie-root-port'/>".repeat(4);

/** The guest-side taps (tun devices) in this namespace, with the bridge each is on. */
async function taps(): Promise<Map<string, string | undefined>> {
  const r = await run('ip', ['-json', '-details', 'link', 'show', 'type', 'tun']);
  assert.equal(r.code, 0, r.stderr);
  return new Map((JSON.parse(r.stdout || '[]') as Array<{ ifname: string; master?: string }>).map((l) => [l.ifname, l.master]));
}

netnsSuite(import.meta.url, (t) => {
  describe('NIC hot-plug in a running guest', () => {
    const d = new TestDaemon();
    let client: VireoClient;
    const events: DomainEvent[] = [];
    let stopEvents: () => void = () => {};
    const file = (name: string, text: string): string => {
      const f = path.join(t.tmp, name);
      writeFileSync(f, text);
      return f;
    };
    const vireo = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => d.vireo(args);
    const ok = async (...args: string[]): Promise<string> => {
      const r = await vireo(...args);
      assert.equal(r.code, 0, `vireo ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const consoleLog = async (): Promise<string> => ok('console-log', 'hp');
    const iflist = async (...extra: string[]): Promise<string> => ok('domiflist', 'hp', ...extra);
    const listen = async (): Promise<void> => {
      client = VireoClient.open(d.uri);
      stopEvents = await client.events((e) => events.push(e));
    };

    before(async () => {
      await d.start();
      await listen();
      for (const [name, n] of [['hp1', 3], ['hp2', 4], ['hp3', 5]] as const) await ok('net-define', file(`${name}.xml`, natXml(name, n)));
      await ok('net-start', 'hp1');
      await ok('define', file('hp.xml', guestXml('hp', { extraDevices: PORTS })));
      await ok('start', 'hp');
      await d.waitShell('hp');
    });
    after(async () => {
      stopEvents();
      client.close();
      await d.cleanup();
    });

    test('attach, restart, update and detach a NIC', async (tt) => {
      const step = scenario(tt);
      let tap1 = '';

      await step('attach-interface --live: the guest sees the NIC and gets a lease; domiflist shows its tap', async () => {
        const out = await ok('attach-interface', 'hp', 'network', 'hp1', '--model', 'virtio', '--mac', M1, '--live');
        assert.equal(out, 'Interface attached successfully\n\n');
        await waitFor(async () => new RegExp(`vireo-guest: eth\\d+ ${M1} 10\\.73\\.0\\.\\d+/24 via 10\\.73\\.0\\.1\\r\\n`).test(await consoleLog()), BOOT, 'the lease on the new NIC');
        assert.match(await consoleLog(), new RegExp(`vireo-guest: eth\\d+ added ${M1}`));
        const row = new RegExp(`^ (vnet\\d+) +network +hp1 +virtio +${M1}$`, 'm').exec(await iflist());
        assert.ok(row !== null, await iflist());
        tap1 = row[1]!;
        assert.equal((await taps()).get(tap1), 'hpbr3', 'the tap is on the network\'s bridge');
        const xml = await ok('dumpxml', 'hp');
        assert.match(xml, new RegExp(`<mac address='${M1}'/>[\\s\\S]*?<alias name='net0'/>\\s*<address type='pci' domain='0x0000' bus='0x0[1-9]' slot='0x00' function='0x0'/>`));
        await waitFor(() => events.some((e) => e.type === 'device-added' && e.device === 'net0'), SOON, 'the device-added event');
        assert.doesNotMatch(await iflist('--inactive'), new RegExp(M1), '--live leaves the stored definition alone');
      });

      await step('a restarted vireod still lists the NIC (the status file records it)', async () => {
        stopEvents();
        client.close();
        await d.stop();
        await d.start();
        await listen();
        assert.match(await iflist(), new RegExp(`^ ${tap1} +network +hp1 +virtio +${M1}$`, 'm'));
      });

      await step('attach-device with an <interface> file; with every root port taken, a third NIC is refused and leaves no tap', async () => {
        assert.equal(await ok('attach-device', 'hp', file('m2.xml', nicXml(M2, 'hp1'))), 'Device attached successfully\n\n');
        await d.waitConsole('hp', `added ${M2}`);
        const before = await taps();
        const r = await vireo('attach-device', 'hp', file('m3.xml', nicXml(M3, 'hp1')), '--live');
        assert.equal(r.code, 1);
        assert.equal(r.stderr, 'error: Failed to attach device from ' + path.join(t.tmp, 'm3.xml') + '\nerror: unsupported configuration: No more available PCI slots\n');
        assert.deepEqual(await taps(), before);
        assert.doesNotMatch(await iflist(), new RegExp(M3));
      });

      await step('update-device takes the link down and up', async () => {
        assert.equal(await ok('update-device', 'hp', file('down.xml', nicXml(M2, 'hp1', "<link state='down'/>"))), 'Device updated successfully\n\n');
        assert.equal(await ok('domif-getlink', 'hp', M2), `${M2} down\n\n`);
        await ok('update-device', 'hp', file('up.xml', nicXml(M2, 'hp1')));
        assert.equal(await ok('domif-getlink', 'hp', M2), `${M2} up\n\n`);
      });

      await step('update-device moves the NIC to another network: refused while it is inactive, then its tap joins the new bridge', async () => {
        const tap2 = new RegExp(`^ (vnet\\d+) .*${M2}$`, 'm').exec(await iflist())?.[1] ?? '';
        let r = await vireo('update-device', 'hp', file('hp2.xml', nicXml(M2, 'hp2')));
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^error: Failed to update device from .*\nerror: Requested operation is not valid: network 'hp2' is not active\n$/);
        assert.equal((await taps()).get(tap2), 'hpbr3');
        await ok('net-start', 'hp2');
        await ok('update-device', 'hp', path.join(t.tmp, 'hp2.xml'));
        assert.equal((await taps()).get(tap2), 'hpbr4');
        assert.match(await iflist(), new RegExp(`^ ${tap2} +network +hp2 +virtio +${M2}$`, 'm'));
        r = await vireo('update-device', 'hp', file('e1000.xml', nicXml(M2, 'hp2').replace('virtio', 'e1000')));
        assert.equal(r.stderr.split('\n')[1], 'error: Operation not supported: cannot modify network device model from virtio to e1000');
      });

      await step("detach-interface needs --mac with two NICs, and refuses a MAC the guest does not have (virsh's words)", async () => {
        let r = await vireo('detach-interface', 'hp', 'network');
        assert.equal(r.stderr, 'error: Domain has 2 interfaces. Please specify which one to detach using --mac\nerror: Failed to detach interface\n');
        r = await vireo('detach-interface', 'hp', 'network', '--mac', '52:54:00:7b:00:99');
        assert.equal(r.stderr, 'error: No interface with MAC address 52:54:00:7b:00:99 was found\nerror: Failed to detach interface\n');
        assert.equal(r.code, 1);
      });

      await step('detach-interface --live: the guest sees the NIC go, its tap goes, domiflist drops it', async () => {
        assert.equal(await ok('detach-interface', 'hp', 'network', '--mac', M1, '--live'), 'Interface detached successfully\n\n');
        await waitFor(async () => /vireo-guest: eth\d+ gone/.test(await consoleLog()), SOON, 'the guest to see the NIC go');
        assert.equal((await taps()).has(tap1), false);
        assert.doesNotMatch(await iflist(), new RegExp(M1));
        await waitFor(() => events.some((e) => e.type === 'device-removed' && e.device === 'net0'), SOON, 'the device-removed event');
      });

      await step('a detach the paused guest cannot answer returns with the removal pending; it completes when the guest runs', async () => {
        await ok('suspend', 'hp');
        assert.equal(await ok('detach-device', 'hp', path.join(t.tmp, 'hp2.xml')), 'Device detached successfully\n\n');
        assert.match(await iflist(), new RegExp(M2), 'still there until the guest lets go');
        await ok('resume', 'hp');
        await waitFor(async () => !(await iflist()).includes(M2), SOON, 'the NIC to leave once the guest runs');
        assert.deepEqual([...(await taps()).keys()], []);
        await waitFor(() => events.some((e) => e.type === 'device-removed' && e.device === 'net1'), SOON, 'the device-removed event of net1');
      });

      await step('a removal the guest completes while vireod is down is found by the next vireod: the NIC and its tap go', async () => {
        await ok('attach-device', 'hp', path.join(t.tmp, 'm2.xml'));
        await d.waitConsole('hp', `added ${M2}`);
        await ok('suspend', 'hp');
        await ok('detach-device', 'hp', path.join(t.tmp, 'm2.xml'));
        const serial = path.join(d.root, 'log', 'hp.serial0.log');
        const gone = readFileSync(serial, 'utf8').split(' gone').length;
        stopEvents();
        client.close();
        await d.stop();
        // The guest runs again without vireod (as if resumed by hand) and lets the NIC go.
        const qmp = await QmpClient.connect(d.monitorOf('hp'));
        await qmp.execute('cont');
        qmp.close();
        await waitFor(() => readFileSync(serial, 'utf8').split(' gone').length > gone, SOON, 'the guest to let the NIC go');
        await d.start();
        await listen();
        await waitFor(async () => !(await iflist()).includes(M2), SOON, 'the restarted vireod to drop the NIC');
        assert.deepEqual([...(await taps()).keys()], []);
        assert.equal(await d.domstate('hp'), 'running (unpaused)');
      });

      await step('attach-interface --config changes only the stored definition (with an address, as define gives)', async () => {
        assert.equal(await ok('attach-interface', 'hp', 'network', 'hp1', '--mac', M3, '--model', 'virtio', '--config'), 'Interface attached successfully\n\n');
        assert.match(await ok('dumpxml', '--inactive', 'hp'), new RegExp(`<mac address='${M3}'/>[\\s\\S]*?<address type='pci'`));
        assert.doesNotMatch(await iflist(), new RegExp(M3));
        await ok('detach-interface', 'hp', 'network', '--mac', M3, '--config');
        assert.doesNotMatch(await iflist('--inactive'), new RegExp(M3));
      });

      await step('an inactive network or a bad MAC is refused and leaves no tap', async () => {
        let r = await vireo('attach-interface', 'hp', 'network', 'hp3', '--model', 'virtio', '--live');
        assert.equal(r.stderr, "error: Failed to attach interface\nerror: Requested operation is not valid: network 'hp3' is not active\n");
        r = await vireo('attach-interface', 'hp', 'network', 'hp1', '--mac', '52:54:00:zz:00:01', '--live');
        assert.match(r.stderr, /^error: Failed to attach interface\nerror: invalid MAC address '52:54:00:zz:00:01'/);
        assert.deepEqual([...(await taps()).keys()], []);
        assert.equal((await iflist()).split('\n').length, 4, 'no NIC left');
      });
    });
  });
});
