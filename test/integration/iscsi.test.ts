// Guests on pool volumes, and iSCSI storage QEMU reaches itself, end to end through the CLI with
// a real vireod, a real iSCSI target (tgtd on 127.0.0.1, started and stopped here: tgt.ts) and
// the test guest under TCG: an iscsi-direct pool lists the target's LUNs, a guest with a volume
// disk on a LUN (and one on a dir pool's qcow2 volume) boots, sees and writes both disks, and the
// data is read back through the target by another initiator and by a second vireod's guest.
// Refusals: an inactive pool, a missing volume, the target down, CHAP without secrets — each a
// clear error with no QEMU left behind.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { VireoClient } from '../../src/client/client.js';
import { BOOT, TestDaemon, guestXml, scenario, waitFor } from './harness.js';
import { TgtTarget } from './tgt.js';

const MiB = 1024 * 1024;
const INITIATOR = 'iqn.2026-01.org.vireo.test:vireod';

/** The first bytes of an image, read by qemu-img (through the iSCSI target for an iscsi:// URL). */
function head(image: string, format: 'raw' | 'qcow2', out: string): string {
  execFileSync('qemu-img', ['dd', '-f', format, '-O', 'raw', `if=${image}`, `of=${out}`, 'bs=512', 'count=1'], { encoding: 'utf8' });
  return execFileSync('head', ['-c', '32', out], { encoding: 'latin1' });
}

describe('guests on pool volumes; iscsi-direct pools', () => {
  const d = new TestDaemon();
  const tgt = new TgtTarget();
  const ok = d.ok;
  const failing = d.failing;
  const lunUrl = (): string => `iscsi://127.0.0.1:${tgt.port}/${tgt.iqn}/1`;
  const sanXml = (initiator: string): string => `<pool type='iscsi-direct'>
  <name>san</name>
  <source>
    <host name='127.0.0.1' port='${tgt.port}'/>
    <device path='${tgt.iqn}'/>
    <initiator><iqn name='${initiator}'/></initiator>
  </source>
</pool>`;

  before(async () => {
    await tgt.start([32 * MiB]);
    await d.start();
  });
  after(async () => {
    await d.cleanup();
    await tgt.cleanup();
  });

  test('an iscsi-direct pool, a guest on its LUN and on a dir pool qcow2 volume, and the refusals', async (t) => {
    const step = scenario(t);
    const file = (name: string, text: string): string => {
      const f = path.join(d.root, name);
      writeFileSync(f, text);
      return f;
    };

    await step('find-storage-pool-sources-as: the portal offers the target, printed as libvirt 9.0 prints it', async () => {
      assert.equal(await ok('find-storage-pool-sources-as', 'iscsi-direct', '127.0.0.1', String(tgt.port), '--initiator', INITIATOR), `<sources>
  <source>
    <host name='127.0.0.1' port='${tgt.port}'/>
    <device path='${tgt.iqn}'/>
    <initiator>
      <iqn name='${INITIATOR}'/>
    </initiator>
  </source>
</sources>

`);
    });

    await step('pool-define and pool-start an iscsi-direct pool; vol-list shows the LUNs with their capacity', async () => {
      await ok('pool-define', file('san.xml', sanXml(INITIATOR)));
      await ok('pool-start', 'san');
      const key = (lun: number): string => `ip-127.0.0.1:${tgt.port}-iscsi-${tgt.iqn}-lun-${lun}`;
      // LUN 0 is tgt's controller LUN: a volume without a size, as libvirt lists it.
      const list = (await ok('vol-list', 'san', '--details')).split('\n').map((l) => l.trim().split(/\s{2,}/));
      assert.deepEqual(list.slice(2, 4), [
        ['unit:0:0:0', key(0), 'network', '0.00 B', '0.00 B'],
        ['unit:0:0:1', key(1), 'network', '32.00 MiB', '32.00 MiB'],
      ]);
      assert.match(await ok('vol-info', '--pool', 'san', 'unit:0:0:1', '--bytes'), /Capacity:\s+33554432 bytes/);
      // Laid out as libvirt 9.0's vol-dumpxml and pool-dumpxml of the same target (libvirt-ref).
      assert.equal(await ok('vol-dumpxml', '--pool', 'san', 'unit:0:0:1'), `<volume type='network'>
  <name>unit:0:0:1</name>
  <key>${key(1)}</key>
  <capacity unit='bytes'>33554432</capacity>
  <allocation unit='bytes'>33554432</allocation>
  <target>
    <path>${key(1)}</path>
  </target>
</volume>

`);
      assert.match(await ok('pool-dumpxml', 'san'), new RegExp(`<pool type='iscsi-direct'>
  <name>san</name>
  <uuid>[-0-9a-f]{36}</uuid>
  <capacity unit='bytes'>33554432</capacity>
  <allocation unit='bytes'>33554432</allocation>
  <available unit='bytes'>0</available>
  <source>
    <host name='127\\.0\\.0\\.1' port='${tgt.port}'/>
    <device path='${tgt.iqn.replace(/\./g, '\\.')}'/>
    <initiator>
      <iqn name='${INITIATOR.replace(/\./g, '\\.')}'/>
    </initiator>
  </source>
</pool>
`));
      const info = JSON.parse(await ok('pool-info', 'san', '--json')) as { capacity: number; allocation: number; available: number };
      assert.deepEqual([info.capacity, info.allocation, info.available], [32 * MiB, 32 * MiB, 0]);
      assert.match(await failing('vol-create-as', 'san', 'new', '1M'), /this function is not supported by the connection driver: storage pool does not support volume creation/);
      // A target the portal does not offer this initiator (unknown, or not allowed): named, and no pool is left.
      const missing = file('missing.xml', sanXml(INITIATOR).replace('<name>san</name>', '<name>missing</name>').replace(tgt.iqn, `${tgt.iqn}-missing`));
      assert.match(await failing('pool-create', missing), new RegExp(`has no target '${tgt.iqn.replace(/\./g, '\\.')}-missing' for initiator`));
      assert.doesNotMatch(await ok('pool-list', '--all', '--name'), /missing/);
    });

    await step('a dir pool with a qcow2 volume', async () => {
      mkdirSync(path.join(d.root, 'images'));
      await ok('pool-define-as', 'local', 'dir', '--target', path.join(d.root, 'images'));
      await ok('pool-start', 'local');
      await ok('vol-create-as', 'local', 'g.qcow2', '16M', '--format', 'qcow2');
    });

    const disks = `
    <disk type='volume' device='disk'>
      <source pool='san' volume='unit:0:0:1'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='local' volume='g.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>`;

    await step('a guest with both volume disks boots, QEMU logs in to the target itself, and the guest sees the disks', async () => {
      await ok('define', file('g1.xml', guestXml('g1', { extraDevices: disks })));
      await ok('start', 'g1');
      await d.waitConsole('g1', 'vireo-guest: disks: vda vdb');
      const pid = d.qemuPids()[0];
      assert.ok(pid !== undefined);
      const cmdline = execFileSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' }).split('\0');
      const iscsiNode = `{"driver":"iscsi","portal":"127.0.0.1:${tgt.port}","target":"${tgt.iqn}","lun":1,"transport":"tcp","initiator-name":"${INITIATOR}","node-name":"vireo-1-storage","auto-read-only":true,"discard":"unmap"}`;
      assert.ok(cmdline.includes(iscsiNode), cmdline.join(' '));
      // domxml-to-native looks the volumes up as a start does (as libvirt's).
      assert.ok((await ok('domxml-to-native', 'qemu-argv', '--domain', 'g1')).includes(`'${iscsiNode}'`));
      // As libvirt: the live XML names pool and volume (raw when no type was given), domblklist the volume.
      const live = await ok('dumpxml', 'g1');
      assert.match(live, /<driver name='qemu' type='raw'\/>\s*<source pool='san' volume='unit:0:0:1' index='1'\/>/);
      assert.match(await ok('dumpxml', '--inactive', 'g1'), /<driver name='qemu'\/>\s*<source pool='san' volume='unit:0:0:1'\/>/);
      assert.deepEqual((await ok('domblklist', 'g1', '--details')).split('\n').slice(2, 4).map((l) => l.trim().split(/\s+/)), [
        ['volume', 'disk', 'vda', 'unit:0:0:1'],
        ['volume', 'disk', 'vdb', 'g.qcow2'],
      ]);
    });

    await step('what the guest writes to both disks is there: read back through the target and from the qcow2 file', async () => {
      await d.waitShell('g1');
      const client = VireoClient.open(d.uri);
      const con = await client.attachConsole('g1');
      try {
        con.write('echo VIREO-ISCSI-LUN1 > /dev/vda; echo VIREO-QCOW2-VOL > /dev/vdb; sync; echo WROTE-$?\r');
        await waitFor(async () => /WROTE-0\r?\n/.test(await ok('console-log', 'g1')), BOOT, 'the guest to write its disks');
      } finally {
        con.destroy();
        client.close();
      }
      await ok('destroy', 'g1');
      assert.equal(head(lunUrl(), 'raw', path.join(d.root, 'lun.out')).split('\n')[0], 'VIREO-ISCSI-LUN1');
      assert.equal(head(path.join(d.root, 'images', 'g.qcow2'), 'qcow2', path.join(d.root, 'vol.out')).split('\n')[0], 'VIREO-QCOW2-VOL');
    });

    await step('shared storage: a second vireod with the same iscsi-direct pool runs a guest that reads what the first one wrote', async () => {
      const other = new TestDaemon();
      try {
        await other.start();
        const f = path.join(other.root, 'san.xml');
        writeFileSync(f, sanXml('iqn.2026-01.org.vireo.test:other'));
        assert.equal((await other.vireo(['pool-define', f])).code, 0);
        assert.equal((await other.vireo(['pool-start', 'san'])).code, 0);
        const g = path.join(other.root, 'reader.xml');
        writeFileSync(g, guestXml('reader', { extraDevices: "<disk type='volume'><source pool='san' volume='unit:0:0:1'/><target dev='vda'/><readonly/></disk>" }));
        assert.equal((await other.vireo(['define', g])).code, 0);
        const r = await other.vireo(['start', 'reader']);
        assert.equal(r.code, 0, r.stderr);
        await other.waitShell('reader');
        const client = VireoClient.open(other.uri);
        const con = await client.attachConsole('reader');
        try {
          con.write('echo READ-$(head -c 16 /dev/vda)\r');
          await waitFor(async () => (await other.vireo(['console-log', 'reader'])).stdout.includes('READ-VIREO-ISCSI-LUN1'), BOOT, 'the second guest to read the LUN');
        } finally {
          con.destroy();
          client.close();
        }
      } finally {
        await other.cleanup();
      }
    });

    await step('vol-wipe zeroes the LUN through the target', async () => {
      await ok('vol-wipe', '--pool', 'san', 'unit:0:0:1');
      assert.equal(head(lunUrl(), 'raw', path.join(d.root, 'lun.out')), '\0'.repeat(32));
    });

    await step("an inactive pool, a missing volume or pool, a source mode: the start stops with libvirt's errors; no QEMU is left", async () => {
      await ok('pool-destroy', 'local');
      assert.match(await failing('start', 'g1'), /unsupported configuration: storage pool 'local' containing volume 'g\.qcow2' is not active/);
      assert.deepEqual(d.qemuPids(), []);
      // Refused before anything ran: the state is the one the guest had (as libvirt's).
      assert.equal(await d.domstate('g1'), 'shut off (destroyed)');
      await ok('pool-start', 'local');
      await ok('define', file('g2.xml', guestXml('g2', { extraDevices: disks.replace('unit:0:0:1', 'unit:0:0:9') })));
      assert.match(await failing('start', 'g2'), /Storage volume not found: no storage vol with matching name 'unit:0:0:9'/);
      await ok('define', file('g2b.xml', guestXml('g2b', { extraDevices: disks.replace("pool='local'", "pool='nosuch'") })));
      assert.match(await failing('start', 'g2b'), /Storage pool not found: no storage pool with matching name 'nosuch'/);
      await ok('define', file('g2c.xml', guestXml('g2c', { extraDevices: disks.replace("volume='g.qcow2'", "volume='g.qcow2' mode='host'") })));
      assert.match(await failing('start', 'g2c'), /XML error: disk source mode is only valid when storage pool is of iscsi type \(pool 'local' is of type 'dir'\)/);
      assert.deepEqual(d.qemuPids(), []);
    });

    await step('the target down: the guest does not start, QEMU says why and is gone; pool-refresh names the portal and stops the pool, as libvirt', async () => {
      await tgt.stop();
      const err = await failing('start', 'g1');
      assert.match(err, /iSCSI: Failed to connect to LUN/, err);
      assert.deepEqual(d.qemuPids(), []);
      assert.equal(await d.domstate('g1'), 'shut off (failed)');
      assert.match(await failing('pool-refresh', 'san'), new RegExp(`cannot reach iSCSI portal 127\\.0\\.0\\.1:${tgt.port} of pool 'san'`));
      assert.match(await ok('pool-list', '--all'), / san +inactive /);
    });

    await step('the target back: the same guest starts again, and a restarted vireod finds guest and pools as they were', async () => {
      await tgt.start([32 * MiB]);
      await ok('pool-start', 'san');
      await ok('start', 'g1');
      await d.waitConsole('g1', 'vireo-guest: disks: vda vdb');
      await d.stop();
      await d.start();
      assert.equal(await d.domstate('g1'), 'running (booted)');
      assert.match(await ok('pool-list', '--name'), /^local\s*\nsan\s*\n/);
      assert.match(await ok('vol-list', 'san'), /unit:0:0:1/);
      assert.match(await ok('dumpxml', 'g1'), /<source pool='san' volume='unit:0:0:1' index='1'\/>/);
      assert.match(await ok('domblklist', 'g1'), /vda\s+unit:0:0:1\n\s*vdb\s+g\.qcow2/);
      await ok('destroy', 'g1');
    });

    const network = (extra: string): string => `
    <disk type='network' device='disk'>
      <source protocol='iscsi' name='${tgt.iqn}/1'>
        <host name='127.0.0.1' port='${tgt.port}'/>
        <initiator><iqn name='${INITIATOR}:direct'/></initiator>${extra}
      </source>
      <target dev='vda' bus='virtio'/>
      <readonly/>
    </disk>`;

    await step('a guest with an iSCSI network disk (no pool) boots and sees it; CHAP auth is refused by name before QEMU runs', async () => {
      await ok('define', file('g4.xml', guestXml('g4', { extraDevices: network('') })));
      await ok('start', 'g4');
      await d.waitConsole('g4', 'vireo-guest: disks: vda');
      assert.deepEqual((await ok('domblklist', 'g4', '--details')).split('\n')[2]?.trim().split(/\s+/), ['network', 'disk', 'vda', `${tgt.iqn}/1`]);
      await ok('destroy', 'g4');
      await ok('define', file('g5.xml', guestXml('g5', { extraDevices: network("<auth username='u'><secret type='iscsi' usage='chap'/></auth>") })));
      assert.match(await failing('start', 'g5'), /unsupported configuration: disk vda: iSCSI CHAP authentication \(<auth username='u'>\) needs a secret driver/);
      assert.deepEqual(d.qemuPids(), []);
    });
  });
});
