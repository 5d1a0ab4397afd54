// The state-root lock follows the directory, not its inode number: a root removed while its
// daemon still runs must not lock out the next directory that gets the same inode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lockRoot } from '../../src/util/root-lock.js';

test('a directory made where a locked one was removed can be locked (inode reuse)', async (t) => {
  const base = mkdtempSync(path.join(tmpdir(), 'vireo-lock-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dir = path.join(base, 'root');
  mkdirSync(dir);
  const first = await lockRoot(dir, dir);
  t.after(() => first.release());
  await assert.rejects(lockRoot(dir, dir), /is in use by another vireod \(pid \d+\)/);
  const ino = statSync(dir).ino;
  rmSync(dir, { recursive: true });
  mkdirSync(dir);
  if (statSync(dir).birthtimeMs === 0 && statSync(dir).ino === ino) {
    t.skip(`${tmpdir()} records no birth time and reused the inode: the lock cannot tell the directories apart there`);
    return;
  }
  t.diagnostic(`inode ${statSync(dir).ino === ino ? 'reused' : 'not reused'}`);
  const second = await lockRoot(dir, dir);
  second.release();
});
