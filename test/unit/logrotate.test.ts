// Log rotation on real temp files: copy-then-truncate with a writer that keeps its O_APPEND
// descriptor (as QEMU does), backups shifted and capped, the tail of a file that grew far beyond
// the cap, reading the recent output back across a rotation, and the watcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, statSync, openSync, writeSync, closeSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LogRotator, limitsFromEnv, readLogTail, rotateIfNeeded, DEFAULT_LIMITS } from '../../src/util/logrotate.js';
import { ConsoleStream } from '../../src/qemu/console.js';
import { VireoError } from '../../src/api/errors.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-logrotate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const limits = { maxBytes: 1024, maxBackups: 3 };

test('a file under the cap is left alone; a missing file is no error', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.log');
  writeFileSync(f, 'x'.repeat(1024));
  assert.equal(await rotateIfNeeded(f, limits), false);
  assert.equal(readFileSync(f, 'utf8').length, 1024);
  assert.equal(existsSync(`${f}.1`), false);
  assert.equal(await rotateIfNeeded(path.join(dir, 'missing.log'), limits), false);
});

test('over the cap: the content moves to FILE.1, FILE is emptied, and an O_APPEND writer goes on at the new end', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.log');
  const fd = openSync(f, 'a'); // the writer's descriptor stays open across the rotation, as QEMU's does
  t.after(() => closeSync(fd));
  writeSync(fd, 'a'.repeat(1500));
  assert.equal(await rotateIfNeeded(f, limits), true);
  assert.equal(readFileSync(`${f}.1`, 'utf8'), 'a'.repeat(1024));
  assert.equal(statSync(f).size, 0);
  writeSync(fd, 'after\n');
  // Not a sparse file of the old size with the text at offset 1500: the write landed at 0.
  assert.equal(readFileSync(f, 'utf8'), 'after\n');
});

test('backups shift down and the oldest beyond max_backups goes', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.serial0.log');
  for (const c of ['a', 'b', 'c', 'd', 'e']) {
    appendFileSync(f, c.repeat(1100));
    assert.equal(await rotateIfNeeded(f, limits), true);
  }
  assert.equal(readFileSync(`${f}.1`, 'utf8'), 'e'.repeat(1024));
  assert.equal(readFileSync(`${f}.2`, 'utf8'), 'd'.repeat(1024));
  assert.equal(readFileSync(`${f}.3`, 'utf8'), 'c'.repeat(1024));
  assert.equal(existsSync(`${f}.4`), false);
  assert.equal(existsSync(`${f}.1.tmp`), false);
});

test('a file far beyond the cap (grown while vireod was down) keeps only its last max_size bytes', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.log');
  writeFileSync(f, 'old'.repeat(100_000) + 'N'.repeat(1000) + 'END');
  assert.equal(await rotateIfNeeded(f, limits), true);
  const kept = readFileSync(`${f}.1`, 'utf8');
  assert.equal(kept.length, 1024);
  assert.ok(kept.endsWith('N'.repeat(1000) + 'END'));
  assert.equal(statSync(f).size, 0);
});

test('max_backups 0 only truncates', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.log');
  writeFileSync(f, 'z'.repeat(2000));
  assert.equal(await rotateIfNeeded(f, { maxBytes: 1024, maxBackups: 0 }), true);
  assert.equal(statSync(f).size, 0);
  assert.equal(existsSync(`${f}.1`), false);
});

test('the recent output of a just-rotated log comes from FILE.1 and on', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.serial0.log');
  writeFileSync(`${f}.2`, 'two-');
  writeFileSync(`${f}.1`, 'one-');
  writeFileSync(f, 'now');
  assert.equal((await readLogTail(f, 100)).toString(), 'two-one-now');
  assert.equal((await readLogTail(f, 6)).toString(), 'ne-now');
  assert.equal((await readLogTail(f, 3)).toString(), 'now');
  rmSync(f);
  assert.equal((await readLogTail(f, 100)).toString(), 'two-one-', 'FILE itself may be missing');
  assert.equal((await readLogTail(path.join(dir, 'none.log'), 100)).length, 0);
});

test('a console refilled after a restart gets the output from before a truncation', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.serial0.log');
  writeFileSync(f, 'boot messages\nvireo-guest: ready\n');
  appendFileSync(f, 'x'.repeat(2000));
  await rotateIfNeeded(f, limits);
  appendFileSync(f, 'latest line\n');
  const c = new ConsoleStream(path.join(dir, 'unused.sock'));
  await c.prefillFrom(f);
  const text = c.recent().toString();
  assert.ok(text.endsWith('x'.repeat(1012) + 'latest line\n'), text.slice(-40));
  c.close();
});

test('the rotator cuts a file down when watched, then whenever it passes the cap, until unwatched', async (t) => {
  const dir = tempDir(t);
  const f = path.join(dir, 'g.log');
  const s = path.join(dir, 'g.serial0.log');
  writeFileSync(f, 'q'.repeat(5000));
  const r = new LogRotator({ maxBytes: 1024, maxBackups: 2, intervalMs: 20 });
  t.after(() => r.close());
  await r.watch('g', [f, s]);
  assert.equal(statSync(f).size, 0, 'rotated at once when watched');
  assert.deepEqual([...r.watched().keys()], ['g']);
  appendFileSync(s, 's'.repeat(3000));
  // The timer notices: wait for the rotation itself (the backup appearing), no fixed sleep.
  // (backup written, then the file truncated: wait for both, the copy lands before the cut)
  for (let i = 0; !existsSync(`${s}.1`) || statSync(s).size > 1024; i++) {
    assert.ok(i < 500, 'the timer never rotated the serial log');
    await new Promise((res) => setTimeout(res, 10));
  }
  assert.ok(statSync(s).size <= 1024);
  r.unwatch('g');
  // A pass the timer started before unwatch may still be rotating; the next one must leave g alone.
  await r.check();
  appendFileSync(f, 'q'.repeat(5000));
  await r.check();
  assert.equal(statSync(f).size, 5000, 'an unwatched file is left alone');
});

test('limits come from VIREO_LOG_MAX_BYTES and VIREO_LOG_MAX_BACKUPS, defaulting to virtlogd\'s', () => {
  assert.deepEqual(limitsFromEnv({}), DEFAULT_LIMITS);
  assert.deepEqual(DEFAULT_LIMITS, { maxBytes: 2 * 1024 * 1024, maxBackups: 3 });
  assert.deepEqual(limitsFromEnv({ VIREO_LOG_MAX_BYTES: '65536', VIREO_LOG_MAX_BACKUPS: '1' }), { maxBytes: 65536, maxBackups: 1 });
  assert.throws(() => limitsFromEnv({ VIREO_LOG_MAX_BYTES: '2M' }), (e: unknown) => e instanceof VireoError && e.code === 'INVALID_ARG' && /VIREO_LOG_MAX_BYTES must be an integer from 1024 to 268435456, not '2M'/.test(e.message));
});
