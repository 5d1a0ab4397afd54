// Internal snapshots of a RUNNING guest end to end: a real vireod, the real CLI, the tiny guest
// under TCG on a qcow2 disk. Markers in the guest's tmpfs (its memory) and its uptime show that a
// revert brings memory back, not only disks; `vireo event` shows the lifecycle events libvirt emits.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO, TestDaemon, guestXml, scenario, waitFor, SOON } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'vireo-snaplive-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const uptime = (out: string): number => Number(/^(\d+\.\d+) /m.exec(out)?.[1] ?? NaN);

test('snapshots of a running guest: create, revert (memory and disks), delete', { timeout: 900_000 }, async (t) => {
  const d = new TestDaemon();
  t.after(() => d.cleanup());
  await d.start();
  const step = scenario(t);
  const qcow = path.join(scratch, 'disk.qcow2');
  let up1 = 0;

  await step('a running guest on a qcow2 disk, a marker in its memory', async () => {
    const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow, '64M'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const xml = path.join(scratch, 'g.xml');
    writeFileSync(xml, guestXml('sl', { extraDevices: `\n    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${qcow}'/><target dev='vda' bus='virtio'/></disk>` }));
    await d.ok('define', xml);
    await d.ok('start', 'sl');
    up1 = uptime(await d.guestRun('sl', 'echo vireo-before > /tmp/before; cat /proc/uptime'));
    assert.ok(up1 > 0);
  });

  await step('snapshot-create-as of the running guest: state running, memory internal, the live XML inside; it runs on', async () => {
    assert.equal(await d.ok('snapshot-create-as', 'sl', 's1', '--description', 'live one'), 'Domain snapshot s1 created\n');
    assert.equal(await d.domstate('sl'), 'running (unpaused)');
    const xml = await d.ok('snapshot-dumpxml', 'sl', 's1');
    assert.match(xml, /^<domainsnapshot>\n  <name>s1<\/name>\n  <description>live one<\/description>\n  <state>running<\/state>\n  <creationTime>\d+<\/creationTime>\n  <memory snapshot='internal'\/>\n  <disks>\n    <disk name='vda' snapshot='internal'\/>\n  <\/disks>\n  <domain type='qemu' id='\d+'>\n/);
    assert.match(await d.ok('snapshot-info', 'sl', 's1'), /^State: {10}running$/m);
    const info = spawnSync('qemu-img', ['snapshot', '-U', '-l', qcow], { encoding: 'utf8' });
    assert.match(info.stdout, /\s+s1\s+/);
    // A vmstate was saved with it: not a disk-only snapshot.
    assert.doesNotMatch(info.stdout, /\ss1\s+0 B\s/);
  });

  await step('snapshot-revert of the running guest: the marker written after is gone, the one before is back, uptime goes on from the snapshot; Suspended/Resumed Snapshot', async () => {
    const out1 = await d.guestRun('sl', 'echo vireo-after > /tmp/after; cat /proc/uptime');
    const up2 = uptime(out1);
    assert.ok(up2 > up1);
    const ev = spawn(path.join(REPO, 'bin', 'vireo'), ['-c', d.uri, '-d', '1', 'event', '--domain', 'sl', '--event', 'lifecycle', '--loop'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    ev.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    ev.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => ev.once('close', (code) => resolve(code)));
    try {
      await waitFor(() => err.includes('listening for events'), SOON, 'vireo event to listen');
      assert.equal(await d.ok('snapshot-revert', 'sl', 's1'), 'Domain snapshot s1 reverted\n\n');
      await waitFor(() => out.includes('Resumed Snapshot'), SOON, 'the Resumed event');
    } finally {
      ev.kill('SIGINT');
    }
    assert.equal(await exited, 0);
    assert.equal(out, "event 'lifecycle' for domain 'sl': Suspended Snapshot\nevent 'lifecycle' for domain 'sl': Resumed Snapshot\nevent loop interrupted\nevents received: 2\n\n");
    assert.equal(await d.domstate('sl'), 'running (from snapshot)');
    const back = await d.guestRun('sl', 'cat /tmp/before; ls /tmp/after; cat /proc/uptime', SOON, { restored: true });
    assert.match(back, /^vireo-before$/m);
    assert.match(back, /No such file or directory/);
    // The guest's clock goes on from the snapshot's, not from a boot (how far it went back depends
    // on how fast this machine is, so only the lower bound is asserted; the markers show the rest).
    assert.ok(uptime(back) >= up1, `uptime ${uptime(back)} after the revert, ${up1} at the snapshot`);
    assert.match(await d.ok('snapshot-current', 'sl', '--name'), /^s1\n/);
  });

  await step('a second snapshot, then snapshot-delete of both on the running guest removes them from the disk', async () => {
    assert.equal(await d.ok('snapshot-create-as', 'sl', 's2'), 'Domain snapshot s2 created\n');
    assert.match(await d.ok('snapshot-dumpxml', 'sl', 's2'), /<parent>\n    <name>s1<\/name>\n  <\/parent>/);
    assert.equal(await d.ok('snapshot-delete', 'sl', 's2'), 'Domain snapshot s2 deleted\n\n');
    assert.equal(await d.ok('snapshot-delete', 'sl', 's1'), 'Domain snapshot s1 deleted\n\n');
    const info = spawnSync('qemu-img', ['snapshot', '-U', '-l', qcow], { encoding: 'utf8' });
    assert.doesNotMatch(info.stdout, /\ss[12]\s/);
    assert.equal(await d.ok('snapshot-list', 'sl', '--name'), '\n');
    // The save of s2 paused and resumed the guest.
    assert.equal(await d.domstate('sl'), 'running (unpaused)');
  });

  await step('a running-state snapshot cannot revert a shut-off guest (refused by name); the guest ends cleanly', async () => {
    await d.ok('snapshot-create-as', 'sl', 's3');
    await d.ok('destroy', 'sl');
    assert.match(await d.failing('snapshot-revert', 'sl', 's3'), /taken while it was running, is not supported yet/);
    await d.ok('snapshot-delete', 'sl', 's3');
    assert.deepEqual(d.qemuPids(), []);
  });
});
