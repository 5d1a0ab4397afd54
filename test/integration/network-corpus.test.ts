// virt-install's `--network network=default --network bridge=br0` guest from the corpus
// (test/fixtures/virt-install/ubuntu20.04-network.xml), as virt-install wrote it, started inside
// network namespaces (netns.ts) on a fresh host daemon: its first NIC joins the 'default' network
// the daemon made and gets a lease from it, its second joins the host bridge br0 (made here as
// bridge-utils users make it, with the "LAN" behind it) and gets a lease from the LAN's own DHCP
// server. Its taps come and go with it.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getLink } from '../../src/network/iproute.js';
import { run } from '../../src/util/proc.js';
import { BOOT, TestDaemon, waitFor } from './harness.js';
import { bootable } from './corpus.js';
import { netnsSuite, nsExec, type Topology } from './netns.js';

netnsSuite(import.meta.url, (topo: Topology) => {
  describe("virt-install's network=default corpus guest", () => {
    const d = new TestDaemon();
    before(() => d.start(['--default-network', 'yes']));
    after(() => d.cleanup());

    test('starts with one NIC on the default network and one on a host bridge, gets a lease on each, and leaves no tap behind', async () => {
      // The host bridge with the LAN on it: the guest namespace's veth, and a DHCP server there.
      for (const args of [['link', 'add', 'br0', 'type', 'bridge'], ['link', 'set', 'br0', 'up'], ['link', 'set', topo.guestPeer, 'master', 'br0', 'up']]) {
        assert.equal((await run('ip', args)).code, 0, args.join(' '));
      }
      assert.equal((await nsExec(topo.guest, ['ip', 'addr', 'add', '203.0.113.1/24', 'dev', topo.guestIf])).code, 0);
      const lan = spawn('ip', ['netns', 'exec', topo.guest, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0',
        `--interface=${topo.guestIf}`, '--bind-interfaces', '--dhcp-range=203.0.113.10,203.0.113.20,255.255.255.0',
        `--dhcp-leasefile=${topo.tmp}/lan.leases`, '--pid-file=', '--user=root', '--group=root'], { stdio: 'ignore' });
      try {
        const f = path.join(d.root, 'u20.xml');
        writeFileSync(f, bootable('ubuntu20.04-network', 'u20', path.join(d.root, 'img'), 'vireo.hostname=u20'));
        assert.equal((await d.vireo(['define', f])).code, 0);
        const s = await d.vireo(['start', 'u20']);
        assert.equal(s.code, 0, s.stderr);
        const log = async (): Promise<string> => (await d.vireo(['console-log', 'u20'])).stdout;
        await waitFor(async () => /eth\d 52:54:00:c0:a9:0a 192\.168\.122\.\d+\/24 via 192\.168\.122\.1\r?\n/.test(await log()), BOOT, 'a lease from the default network');
        await waitFor(async () => /eth\d 52:54:00:c0:a9:0b 203\.0\.113\.\d+\/24 via 203\.0\.113\.1\r?\n/.test(await log()), BOOT, 'a lease from the LAN behind br0');
        const list = (await d.vireo(['domiflist', 'u20'])).stdout;
        assert.match(list, /vnet0\s+network\s+default\s+virtio\s+52:54:00:c0:a9:0a/);
        assert.match(list, /vnet1\s+bridge\s+br0\s+virtio\s+52:54:00:c0:a9:0b/);
        assert.equal((await getLink('vnet0'))?.master, 'virbr0');
        assert.equal((await getLink('vnet1'))?.master, 'br0');
        assert.match((await d.vireo(['net-dhcp-leases', 'default'])).stdout, /52:54:00:c0:a9:0a\s+ipv4\s+192\.168\.122\.\d+\/24\s+u20\s/);
        assert.equal((await d.vireo(['destroy', 'u20'])).code, 0);
        assert.equal(await getLink('vnet0'), undefined);
        assert.equal(await getLink('vnet1'), undefined);
      } finally {
        lan.kill();
        await run('ip', ['link', 'del', 'br0']);
      }
    });
  });
});
