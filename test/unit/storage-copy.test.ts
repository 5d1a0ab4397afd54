// vol-clone's file copies on the host's file system: the sparse copy keeps content and holes,
// and the reflink copy answers whether the file system shares blocks, as cp --reflink=always does.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { reflinkCopy, sparseCopy } from '../../src/storage/files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vireo-copy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 8 MiB: data, a hole, data, a run of written zeros, data. */
function source(): string {
  const file = path.join(dir, 'src.raw');
  const fd = openSync(file, 'w');
  const mib = 1024 * 1024;
  for (const at of [0, 2, 6]) writeSync(fd, Buffer.alloc(mib, at + 1), 0, mib, at * mib);
  writeSync(fd, Buffer.alloc(2 * mib), 0, 2 * mib, 4 * mib);
  writeSync(fd, Buffer.from('end'), 0, 3, 8 * mib - 3);
  closeSync(fd);
  return file;
}

test('sparseCopy: the same bytes, holes kept and zeros made holes, over an existing (claimed) file', async () => {
  const src = source();
  const dst = path.join(dir, 'dst.raw');
  writeFileSync(dst, '', { mode: 0o600 });
  await sparseCopy(src, dst);
  assert.ok(readFileSync(dst).equals(readFileSync(src)));
  assert.ok(statSync(dst).blocks * 512 < statSync(src).blocks * 512, 'the written zeros became holes');
  assert.ok(statSync(dst).blocks * 512 <= 4 * 1024 * 1024 + 4096);
});

test('sparseCopy: a missing source is STORAGE_FAILED naming both files', async () => {
  await assert.rejects(sparseCopy(path.join(dir, 'nope'), path.join(dir, 'x')), (e: Error & { code?: string }) => e.code === 'STORAGE_FAILED' && e.message.includes('nope'));
});

test('reflinkCopy: true with the same bytes where cp --reflink=always works here, else false and no file left', async () => {
  const src = source();
  const probe = spawnSync('cp', ['--reflink=always', src, path.join(dir, 'probe')]);
  const dst = path.join(dir, 'clone.raw');
  writeFileSync(dst, '', { mode: 0o600 });
  const ok = await reflinkCopy(src, dst);
  assert.equal(ok, probe.status === 0);
  if (ok) assert.ok(readFileSync(dst).equals(readFileSync(src)));
  else assert.equal(existsSync(dst), false);
});
