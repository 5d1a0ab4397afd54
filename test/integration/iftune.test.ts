// A NIC's bandwidth limits end to end, inside a network namespace (netns.ts): a guest on a NAT
// network starts with <bandwidth> on its NIC, and its tap really carries them: inbound an htb
// class at the configured rate, which delays what the host sends the guest (tc's overlimits
// count it); outbound an ingress limit that drops what the guest sends too fast (its counter).
// domiftune reads and changes them live; a hot-plugged NIC gets its own; they go with the tap.
// No timing is asserted: only what tc and nft count and show.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/util/proc.js';
import { BOOT, guestXml, scenario, TestDaemon, waitFor } from './harness.js';
import { netnsSuite } from './netns.js';

const GW = '10.86.0.1';
const MAC = '52:54:00:7d:00:01';
const MAC2 = '52:54:00:7d:00:02';
const USER_MAC = '52:54:00:7d:00:03';
const NAT = `<network><name>bw</name><forward mode='nat'/><bridge name='bwbr0'/>
  <ip address='${GW}' netmask='255.255.255.0'><dhcp><range start='10.86.0.10' end='10.86.0.99'/></dhcp></ip></network>`;
// 20 kB/s to the guest; 10 kB/s from it with a 4 KiB bucket, less than TCP's first flight.
const BW = "<bandwidth><inbound average='20' peak='40'/><outbound average='10' burst='4'/></bandwidth>";
const NICS = `
    <interface type='network'><mac address='${MAC}'/><source network='bw'/><model type='virtio'/>${BW}</interface>
    <interface type='user'><mac address='${USER_MAC}'/><model type='virtio'/>${BW}</interface>
    <controller type='pci' model='pcie-root-port'/><controller type='pci' model='pcie-root-port'/>`;

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The root qdisc of `dev` with its counters (tc -j -s). */
async function rootQdisc(dev: string): Promise<{ kind: string; bytes: number; overlimits: number } | undefined> {
  const list = JSON.parse(await sh('tc', ['-j', '-s', 'qdisc', 'show', 'dev', dev])) as Array<{ kind: string; root?: boolean; bytes: number; overlimits: number }>;
  return list.find((q) => q.root === true);
}

/** The dropped-packet counter of `dev`'s policing chain; undefined when it has none. */
async function policed(dev: string): Promise<number | undefined> {
  const r = await run('nft', ['-j', 'list', 'chain', 'netdev', 'vireo_bw', `tap_${dev}`]);
  if (r.code !== 0) return undefined;
  const items = (JSON.parse(r.stdout) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> }).nftables;
  const counter = items.flatMap((i) => i.rule?.expr ?? []).find((e) => e.counter !== undefined)?.counter;
  return counter?.packets;
}

netnsSuite(import.meta.url, (t) => {
  describe('NIC bandwidth limits (domiftune) on a running guest', () => {
    const d = new TestDaemon();
    const ok = async (...args: string[]): Promise<string> => {
      const r = await d.vireo(args);
      assert.equal(r.code, 0, `vireo ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const file = (name: string, text: string): string => {
      const f = path.join(t.tmp, name);
      writeFileSync(f, text);
      return f;
    };
    const tapOf = async (mac: string): Promise<string> => {
      const row = new RegExp(`^ (vnet\\d+) .*${mac}$`, 'm').exec(await ok('domiflist', 'bw'));
      assert.ok(row !== null, await ok('domiflist', 'bw'));
      return row[1]!;
    };
    let servers: net.Server[] = [];
    /** A TCP server on the network's gateway: `onConn` handles each connection. */
    const serve = async (port: number, onConn: (s: net.Socket) => void): Promise<void> => {
      const srv = net.createServer(onConn);
      servers.push(srv);
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, GW, resolve));
    };

    before(async () => {
      await d.start();
      await ok('net-define', file('bw-net.xml', NAT));
      await ok('net-start', 'bw');
      await ok('define', file('bw.xml', guestXml('bw', { extraDevices: NICS })));
      await ok('start', 'bw');
      const lease = new RegExp(`vireo-guest: eth\\d+ ${MAC} 10\\.86\\.0\\.\\d+/24`);
      await waitFor(async () => lease.test(await ok('console-log', 'bw')), BOOT, 'the guest\'s lease');
    });
    after(async () => {
      for (const s of servers) s.close();
      servers = [];
      await d.cleanup();
    });

    test('limits from the definition, measured; changed, refused and removed live; a hot-plugged NIC; gone with the taps', async (tt) => {
      const step = scenario(tt);
      let tap = '';

      await step('at start the tap has an htb class at the configured rate and a policing chain; domiftune lists the live limits', async () => {
        tap = await tapOf(MAC);
        assert.equal((await rootQdisc(tap))?.kind, 'htb');
        // tc prints rates in bits: 20 kB/s (tc's kbps: 1000 bytes) is 160 kbit, 40 is 320.
        assert.match(await sh('tc', ['class', 'show', 'dev', tap]), /^class htb 1:1 root .*rate 160Kbit ceil 320Kbit /m);
        assert.equal(await policed(tap), 0);
        assert.equal(await ok('domiftune', 'bw', tap), 'inbound.average: 20\ninbound.peak   : 40\ninbound.burst  : 0\ninbound.floor  : 0\n'
          + 'outbound.average: 10\noutbound.peak  : 0\noutbound.burst : 4\n\n');
      });

      await step('what the host sends the guest is held back by the class (tc counts overlimits), and all of it arrives', async () => {
        const size = 100_000;
        await serve(5001, (s) => s.end(Buffer.alloc(size, 0x61)));
        const before = (await rootQdisc(tap))!;
        const got = await d.guestRun('bw', `nc ${GW} 5001 | wc -c`, BOOT);
        assert.equal(got.trim(), String(size));
        const after = (await rootQdisc(tap))!;
        assert.ok(after.bytes - before.bytes >= size, `htb sent ${after.bytes - before.bytes} bytes`);
        assert.ok(after.overlimits > before.overlimits, `overlimits ${before.overlimits} -> ${after.overlimits}: the class never held a packet back`);
      });

      await step('what the guest sends faster than its outbound limit is dropped at the tap (TCP sends it again), and all of it arrives', async () => {
        const size = 30_000;
        let received = 0;
        // The server ends the connection once it has everything: busybox nc exits then.
        await serve(5002, (s) => s.on('data', (b: Buffer) => {
          received += b.length;
          if (received >= size) s.end();
        }));
        await d.guestRun('bw', `dd if=/dev/zero bs=1000 count=${size / 1000} 2>/dev/null | nc ${GW} 5002`, BOOT);
        await waitFor(() => received >= size, BOOT, 'the server to receive everything');
        assert.equal(received, size);
        assert.ok((await policed(tap) ?? 0) > 0, 'no packet was dropped by the policing chain');
      });

      await step('domiftune changes the live limits: a direction given is replaced whole, the other stays; --inbound 0 --outbound 0 removes them', async () => {
        assert.equal(await ok('domiftune', 'bw', tap, '--inbound', '200'), '\n');
        assert.match(await sh('tc', ['class', 'show', 'dev', tap]), /rate 1600Kbit ceil 1600Kbit /);
        assert.match(await ok('domiftune', 'bw', MAC), /^inbound.average: 200\ninbound.peak   : 0\n[\s\S]*outbound.average: 10\n/);
        assert.match(await ok('dumpxml', 'bw'), /<bandwidth>\n {8}<inbound average='200'\/>\n {8}<outbound average='10' burst='4'\/>\n/);
        assert.match(await ok('dumpxml', '--inactive', 'bw'), /<inbound average='20' peak='40'\/>/, 'the stored definition keeps its own');
        await ok('domiftune', 'bw', tap, '--inbound', '0', '--outbound', '0');
        assert.notEqual((await rootQdisc(tap))?.kind, 'htb');
        assert.equal(await policed(tap), undefined);
        assert.doesNotMatch(await ok('dumpxml', 'bw'), new RegExp(`${MAC}'/>\\s*<source network='bw'/>\\s*<bandwidth>`));
      });

      await step('update-device with another <bandwidth> changes the limits on the tap too', async () => {
        const upd = file('upd.xml', `<interface type='network'><mac address='${MAC}'/><source network='bw'/><model type='virtio'/><bandwidth><inbound average='30'/></bandwidth></interface>`);
        assert.equal(await ok('update-device', 'bw', upd, '--live'), 'Device updated successfully\n\n');
        assert.match(await sh('tc', ['class', 'show', 'dev', tap]), /rate 240Kbit ceil 240Kbit /);
        assert.equal(await policed(tap), undefined);
        assert.match(await ok('domiftune', 'bw', tap), /^inbound.average: 30\n[\s\S]*outbound.average: 0\n/);
      });

      await step("a floor, or a user-mode NIC, is refused live with libvirt's words", async () => {
        let r = await d.vireo(['domiftune', 'bw', tap, '--inbound', '10,0,0,5']);
        assert.equal(r.stderr, `error: Unable to set interface parameters\nerror: Operation not supported: Invalid use of 'floor' on interface with MAC address ${MAC} - network 'bw' has no inbound QoS set\n`);
        r = await d.vireo(['domiftune', 'bw', USER_MAC, '--inbound', '10']);
        assert.equal(r.stderr, "error: Unable to set interface parameters\nerror: unsupported configuration: setting bandwidth on interfaces of type 'user' is not implemented yet\n");
        assert.match(await ok('domiftune', 'bw', USER_MAC), /^inbound.average: 20\n/, 'listed as defined, as libvirt lists it');
      });

      let tap2 = '';
      await step('a hot-plugged NIC with <bandwidth> gets its limits on its tap; detached, its policing chain goes', async () => {
        await ok('attach-device', 'bw', file('nic2.xml', `<interface type='network'><mac address='${MAC2}'/><source network='bw'/><model type='virtio'/>${BW}</interface>`));
        tap2 = await tapOf(MAC2);
        assert.match(await sh('tc', ['class', 'show', 'dev', tap2]), /rate 160Kbit ceil 320Kbit /);
        assert.equal(await policed(tap2), 0);
        await ok('detach-device', 'bw', path.join(t.tmp, 'nic2.xml'));
        await waitFor(async () => !(await ok('domiflist', 'bw')).includes(MAC2), BOOT, 'the NIC to go');
        assert.equal(await policed(tap2), undefined);
      });

      await step('destroy: the limits go with the taps; the next start puts them on again', async () => {
        await ok('domiftune', 'bw', tap, '--outbound', '10,0,4');
        assert.equal(await policed(tap), 0);
        await ok('destroy', 'bw');
        assert.equal(await policed(tap), undefined, 'a chain left behind would police the next device of that name');
        await ok('start', 'bw');
        tap = await tapOf(MAC);
        assert.match(await sh('tc', ['class', 'show', 'dev', tap]), /rate 160Kbit ceil 320Kbit /);
        assert.equal(await policed(tap), 0);
        await ok('destroy', 'bw');
        assert.equal(await policed(tap), undefined);
      });

      await step("a definition with a floor is kept, but its start is refused in libvirt's words, leaving no tap", async () => {
        const fl = "<interface type='network'><mac address='52:54:00:7d:00:09'/><source network='bw'/><model type='virtio'/><bandwidth><inbound average='10' floor='5'/></bandwidth></interface>";
        await ok('define', file('fl.xml', guestXml('fl', { extraDevices: fl })));
        const r = await d.vireo(['start', 'fl']);
        assert.equal(r.stderr, "error: Failed to start domain 'fl'\nerror: Operation not supported: Invalid use of 'floor' on interface with MAC address 52:54:00:7d:00:09 - network 'bw' has no inbound QoS set\n");
        assert.equal((await sh('ip', ['-json', 'link', 'show', 'type', 'tun'])).trim(), '[]');
      });
    });
  });
});
