// readSmallFile: the whole text of /proc, /sys and cgroupfs files (which report a size of 0) and of
// files longer than its first buffer, and fs.readFile's errors for what cannot be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readSmallFile } from '../../src/util/small-file.js';

test('a /proc file (size 0 to stat) is read whole, as fs.readFile reads it', async () => {
  const text = await readSmallFile('/proc/self/status');
  assert.match(text, /^Name:/);
  assert.match(text, /^VmRSS:/m);
  // mountinfo changes only when something is mounted: the two reads agree in practice
  assert.equal(await readSmallFile('/proc/self/mountinfo'), readFileSync('/proc/self/mountinfo', 'utf8'));
});

test('files longer than the first buffer, and multi-byte UTF-8 across its edges, come back whole', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-small-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const size of [0, 1, 3999, 4000, 4001, 16000, 70_000]) {
    const body = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2);
    writeFileSync(path.join(dir, String(size)), body);
    assert.equal(await readSmallFile(path.join(dir, String(size))), body, `${size} bytes`);
  }
});

test('what cannot be read fails with the errno fs.readFile gives', async () => {
  await assert.rejects(readSmallFile('/nonexistent/vireo'), { code: 'ENOENT' });
  await assert.rejects(readSmallFile('/proc'), { code: 'EISDIR' });
});
