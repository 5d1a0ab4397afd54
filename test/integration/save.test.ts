// save / restore / managed save end to end: a real vireod, the real CLI, the tiny guest under TCG.
// The guest's memory (a file in its tmpfs) and its uptime show that a restore continues the guest
// rather than booting it; the faults leave the guest as it was and no image that looks valid.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, guestXml, scenario, waitFor, SOON } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'vireo-save-'));
const full = path.join(scratch, 'full');
after(() => {
  spawnSync('umount', [full]);
  rmSync(scratch, { recursive: true, force: true });
});

const uptime = (out: string): number => Number(/^(\d+\.\d+) /m.exec(out)?.[1] ?? NaN);

test('save, restore and managed save keep the guest going; faults leave it as it was', { timeout: 900_000 }, async (t) => {
  const d = new TestDaemon();
  t.after(() => d.cleanup());
  await d.start();
  const step = scenario(t);
  const xmlFile = path.join(scratch, 'g.xml');
  const image = path.join(scratch, 'g.save');
  let up1 = 0;

  await step('a running guest with a marker in its memory', async () => {
    writeFileSync(xmlFile, guestXml('g'));
    await d.ok('define', xmlFile);
    await d.ok('start', 'g');
    const out = await d.guestRun('g', 'echo vireo-marker-1 > /tmp/m; cat /proc/uptime');
    up1 = uptime(out);
    assert.ok(up1 > 0, out);
  });

  await step('save: the image is written, the guest is shut off (saved)', async () => {
    const r = await d.vireo(['save', 'g', image, '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `\nDomain 'g' saved to ${image}\n\n`);
    assert.match(r.stderr, /\rSave: \[100 %\]$/);
    assert.equal(await d.domstate('g'), 'shut off (saved)');
    assert.equal(readFileSync(image).subarray(0, 14).toString('latin1'), 'VireoSaveImage');
    assert.deepEqual(d.qemuPids(), []);
    assert.match(await d.ok('save-image-dumpxml', image), /<name>g<\/name>/);
  });

  await step('restore: the guest goes on where it was, not from a boot', async () => {
    assert.equal(await d.ok('restore', image), `Domain restored from ${image}\n\n`);
    assert.equal(await d.domstate('g'), 'running (restored)');
    const out = await d.guestRun('g', 'cat /tmp/m; cat /proc/uptime', SOON, { restored: true });
    assert.match(out, /^vireo-marker-1$/m);
    assert.ok(uptime(out) >= up1, `uptime ${uptime(out)} after restore, ${up1} before`);
  });

  await step('restore of a domain that runs is refused; the guest runs on', async () => {
    const err = await d.failing('restore', image);
    assert.match(err, /error: Failed to restore domain from .*\nerror: Requested operation is not valid: domain 'g' is already active/);
    assert.equal(await d.domstate('g'), 'running (restored)');
  });

  await step('restore of a truncated or a foreign file is refused before QEMU starts', async () => {
    const cut = path.join(scratch, 'cut.save');
    copyFileSync(image, cut);
    truncateSync(cut, statSync(cut).size - 4096);
    await d.ok('destroy', 'g');
    assert.match(await d.failing('restore', cut), /error: operation failed: save image '.*cut\.save' is truncated/);
    const foreign = path.join(scratch, 'foreign.save');
    writeFileSync(foreign, 'LibvirtQemudSave' + '\0'.repeat(5000));
    assert.match(await d.failing('restore', foreign), /error: operation failed: '.*foreign\.save' is not a vireo save image: unknown magic \(it is libvirt's save image format\)/);
    assert.equal(await d.domstate('g'), 'shut off (destroyed)');
    assert.deepEqual(d.qemuPids(), []);
  });

  await step('save with --paused, then restore: the guest stays paused', async () => {
    await d.ok('start', 'g'); // booted afresh: the marker goes back into its memory
    await d.guestRun('g', 'echo vireo-marker-1 > /tmp/m');
    await d.ok('save', 'g', image, '--paused');
    await d.ok('restore', image);
    assert.equal(await d.domstate('g'), 'paused (user)');
    await d.ok('resume', 'g');
    assert.equal(await d.domstate('g'), 'running (unpaused)');
  });

  await step('save into a missing directory fails; the guest runs on', async () => {
    const bad = path.join(scratch, 'no-such-dir', 'x.save');
    const err = await d.failing('save', 'g', bad);
    assert.match(err, /error: Failed to save domain 'g' to .*\nerror: Failed to create file '.*no-such-dir\/x\.save': No such file or directory/);
    assert.equal(await d.domstate('g'), 'running (unpaused)');
  });

  await step('save onto a full file system fails with ENOSPC; the guest runs on, no image is left', async () => {
    mkdirSync(full);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'vireo-save-test', full], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      // Dirty guest memory so the stream is far bigger than 2 MiB.
      await d.guestRun('g', 'dd if=/dev/urandom of=/tmp/big bs=1M count=8 2>/dev/null; echo ok', 120_000, { restored: true });
      const target = path.join(full, 'g.save');
      const err = await d.failing('save', 'g', target);
      assert.match(err, /No space left on device/);
      assert.equal(existsSync(target), false);
      assert.equal(await d.domstate('g'), 'running (unpaused)');
      assert.match(await d.guestRun('g', 'cat /tmp/m', SOON, { restored: true }), /^vireo-marker-1$/m);
    } finally {
      spawnSync('umount', [full]);
    }
  });

  await step('managedsave: dominfo and list show it, undefine refuses, start resumes across a vireod restart', async () => {
    assert.equal(await d.ok('managedsave', 'g'), "\nDomain 'g' state saved by libvirt\n\n");
    assert.match(await d.ok('dominfo', 'g'), /^Managed save: {3}yes$/m);
    assert.match(await d.ok('list', '--all', '--managed-save'), / g +saved\n/);
    assert.match(await d.ok('managedsave-dumpxml', 'g'), /<name>g<\/name>/);
    assert.match(await d.failing('undefine', 'g'), /error: Refusing to undefine while domain managed save image exists/);
    await d.stop();
    await d.start();
    assert.match(await d.ok('dominfo', 'g'), /^Managed save: {3}yes$/m);
    assert.equal(await d.ok('start', 'g'), "Domain 'g' started\n\n");
    assert.equal(await d.domstate('g'), 'running (restored)');
    assert.match(await d.guestRun('g', 'cat /tmp/m', SOON, { restored: true }), /^vireo-marker-1$/m);
    assert.match(await d.ok('dominfo', 'g'), /^Managed save: {3}no$/m);
  });

  await step('domjobabort half-way: the save stops, the guest runs on, no image is left', async () => {
    await d.stop();
    d.env = { VIREO_SAVE_MAX_BANDWIDTH: String(1 << 20) }; // 1 MiB/s: the job lasts long enough to abort
    await d.start();
    const target = path.join(scratch, 'aborted.save');
    const saving = d.vireo(['save', 'g', target]);
    await waitFor(async () => /Operation: +Save/.test((await d.vireo(['domjobinfo', 'g'])).stdout), SOON, 'the save job');
    await waitFor(async () => /Data processed:/.test((await d.vireo(['domjobinfo', 'g'])).stdout), SOON, 'save progress');
    await d.ok('domjobabort', 'g');
    const r = await saving;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /operation aborted/);
    assert.equal(existsSync(target), false);
    assert.equal(await d.domstate('g'), 'running (unpaused)');
    assert.match(await d.guestRun('g', 'cat /tmp/m', SOON, { restored: true }), /^vireo-marker-1$/m);
    await d.ok('managedsave', 'g');
    assert.match(await d.ok('undefine', 'g', '--managed-save'), /Domain 'g' has been undefined/);
    assert.deepEqual(d.qemuPids(), []);
  });
});
