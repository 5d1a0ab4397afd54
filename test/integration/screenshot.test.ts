// screenshot end to end: a real vireod, the real CLI, the tiny guest under TCG with a VGA display.
// The PNG the CLI writes has the display's size (the guest's text console: 720x400); a guest
// without a screen and a screen that does not exist are refused in libvirt's words.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, guestXml, scenario, runCli } from './harness.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'vireo-shot-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A PNG's signature checked, and its IHDR width and height. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

test('screenshot: a PNG of the guest display, written on the client side', { timeout: 600_000 }, async (t) => {
  const d = new TestDaemon();
  t.after(() => d.cleanup());
  await d.start();
  const step = scenario(t);

  await step('a guest with VNC and VGA, and one without a screen', async () => {
    const shown = path.join(scratch, 's.xml');
    writeFileSync(shown, guestXml('s', { extraDevices: "\n    <graphics type='vnc' autoport='yes'/>\n    <video><model type='vga'/></video>" }));
    await d.ok('create', shown);
    const bare = path.join(scratch, 'b.xml');
    writeFileSync(bare, guestXml('b'));
    await d.ok('create', bare);
    await d.waitShell('s');
  });

  await step('--file: the PNG has the display\'s size', async () => {
    const f = path.join(scratch, 'shot.png');
    assert.equal(await d.ok('screenshot', 's', '--file', f), `Screenshot saved to ${f}, with type of image/png\n`);
    assert.deepEqual(pngSize(readFileSync(f)), { width: 720, height: 400 });
  });

  await step('without --file: NAME-DATE-TIME.png in the current directory', async () => {
    const cwd = mkdtempSync(path.join(scratch, 'cwd-'));
    const r = await runCli(['-c', d.uri, 'screenshot', 's'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(cwd);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^s-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\.png$/);
    assert.equal(r.stdout, `Screenshot saved to ${files[0]!}, with type of image/png\n`);
    pngSize(readFileSync(path.join(cwd, files[0]!)));
  });

  await step('refusals in libvirt\'s words', async () => {
    assert.equal(await d.failing('screenshot', 's', '--screen', '3'),
      'error: could not take a screenshot of s\nerror: Requested operation is not valid: no such screen ID\n');
    assert.equal(await d.failing('screenshot', 'b'),
      'error: could not take a screenshot of b\nerror: Requested operation is not valid: no screens to take screenshot from\n');
    assert.deepEqual(readdirSync(scratch).filter((f) => f.startsWith('b-')), []);
  });
});
