// vol-upload and vol-download end to end through the CLI with a real vireod: the same bytes
// back (compiled CLI and Node), --offset/--length, --sparse keeping holes, a raw volume of some
// MiB, an upload cut off half-way by a client that drops its connection (the volume is marked
// incomplete until uploaded again), and virsh's errors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, ftruncateSync, openSync, readFileSync, statSync, writeSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { TestDaemon, scenario, waitFor } from './harness.js';

const MIB = 1024 * 1024;
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('vol-upload and vol-download', () => {
  const d = new TestDaemon();
  let dir: string;
  let work: string;
  const ok = async (args: string[], env?: NodeJS.ProcessEnv): Promise<string> => {
    const r = await d.vireo(args, env === undefined ? {} : { env: { ...process.env, VIREO_DEFAULT_URI: '', ...env } });
    assert.equal(r.code, 0, `vireo ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const failing = d.failing;
  const file = (name: string): string => path.join(work, name);

  before(async () => {
    await d.start();
    dir = path.join(d.root, 'p');
    work = path.join(d.root, 'work');
    await ok(['pool-define-as', 'p', 'dir', '--target', dir]);
    await ok(['pool-build', 'p']);
    await ok(['pool-start', 'p']);
    mkdirSync(work);
  });
  after(() => d.cleanup());

  test('bytes in, the same bytes out', async (t) => {
    const step = scenario(t);

    await step('a 5 MiB file of random data into an 8 MiB raw volume and back (compiled CLI, then Node)', async () => {
      await ok(['vol-create-as', 'p', 'a.raw', '8M']);
      writeFileSync(file('rand'), randomBytes(5 * MIB));
      assert.equal(await ok(['vol-upload', 'a.raw', file('rand'), '--pool', 'p']), '\n');
      assert.equal(sha(path.join(dir, 'a.raw')).length, 64);
      await ok(['vol-download', '--vol', 'a.raw', '--file', file('back'), '--pool', 'p', '--length', String(5 * MIB)]);
      assert.equal(sha(file('back')), sha(file('rand')));
      await ok(['vol-download', 'a.raw', file('back-node'), '--pool', 'p', '--length', String(5 * MIB)], { VIREO_CLI_RUNTIME: 'node' });
      assert.equal(sha(file('back-node')), sha(file('rand')));
      // The volume's file keeps its size: an upload writes into it, it does not truncate it.
      assert.equal(statSync(path.join(dir, 'a.raw')).size, 8 * MIB);
    });

    await step('--offset and --length', async () => {
      writeFileSync(file('one'), randomBytes(MIB));
      await ok(['vol-upload', 'a.raw', file('one'), '--pool', 'p', '--offset', String(6 * MIB)], { VIREO_CLI_RUNTIME: 'node' });
      await ok(['vol-download', 'a.raw', file('part'), '--pool', 'p', '--offset', String(6 * MIB), '--length', String(MIB)]);
      assert.equal(sha(file('part')), sha(file('one')));
      // What lies before the offset is untouched.
      await ok(['vol-download', 'a.raw', file('head'), '--pool', 'p', '--length', String(5 * MIB)]);
      assert.equal(sha(file('head')), sha(file('rand')));
      // A --length as large as the file is enough; a smaller one is virsh's refusal, nothing sent.
      await ok(['vol-upload', 'a.raw', file('one'), '--pool', 'p', '--length', String(MIB)]);
      assert.equal(await failing('vol-upload', 'a.raw', file('rand'), '--pool', 'p', '--length', '100'),
        'error: cannot send data to volume a.raw\nerror: cannot write to stream: No space left on device\n');
    });

    await step('--sparse keeps holes both ways', async () => {
      // 16 MiB with 1 MiB of data at 4 MiB and 256 KiB at 10 MiB: holes elsewhere.
      const fd = openSync(file('sparse'), 'w');
      ftruncateSync(fd, 16 * MIB);
      writeSync(fd, randomBytes(MIB), 0, MIB, 4 * MIB);
      writeSync(fd, randomBytes(256 * 1024), 0, 256 * 1024, 10 * MIB);
      closeSync(fd);
      const srcBlocks = statSync(file('sparse')).blocks;
      await ok(['vol-create-as', 'p', 's.raw', '16M', '--allocation', '0']);
      await ok(['vol-upload', 's.raw', file('sparse'), '--pool', 'p', '--sparse']);
      assert.equal(statSync(path.join(dir, 's.raw')).blocks, srcBlocks);
      assert.equal(sha(path.join(dir, 's.raw')), sha(file('sparse')));
      await ok(['vol-download', 's.raw', file('sparse-back'), '--pool', 'p', '--sparse']);
      assert.equal(statSync(file('sparse-back')).blocks, srcBlocks);
      assert.equal(sha(file('sparse-back')), sha(file('sparse')));
      await ok(['vol-download', 's.raw', file('sparse-node'), '--pool', 'p', '--sparse'], { VIREO_CLI_RUNTIME: 'node' });
      assert.equal(statSync(file('sparse-node')).blocks, srcBlocks);
      // A sparse upload over data punches the holes: the full volume becomes as sparse as the file.
      await ok(['vol-create-as', 'p', 'full.raw', '16M']);
      assert.equal(statSync(path.join(dir, 'full.raw')).blocks * 512, 16 * MIB);
      await ok(['vol-upload', 'full.raw', file('sparse'), '--pool', 'p', '--sparse']);
      assert.equal(statSync(path.join(dir, 'full.raw')).blocks, srcBlocks);
      assert.equal(sha(path.join(dir, 'full.raw')), sha(file('sparse')));
    });

    await step('a raw volume of 64 MiB', async () => {
      await ok(['vol-create-as', 'p', 'big.raw', '64M']);
      writeFileSync(file('big'), randomBytes(64 * MIB));
      await ok(['vol-upload', 'big.raw', file('big'), '--pool', 'p']);
      await ok(['vol-download', 'big.raw', file('big-back'), '--pool', 'p']);
      assert.equal(sha(file('big-back')), sha(file('big')));
    });
  });

  test('an upload cut off half-way marks the volume incomplete until uploaded again whole', async (t) => {
    const step = scenario(t);
    await ok(['vol-create-as', 'p', 'cut.raw', '4M']);

    await step('a client sends 1 MiB of a 4 MiB upload and drops the connection', async () => {
      const sock = net.connect(d.socket);
      await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
      sock.write(`POST /v1/pools/p/volumes/cut.raw/upload HTTP/1.1\r\nhost: vireod\r\ncontent-type: application/octet-stream\r\ncontent-length: ${4 * MIB}\r\n\r\n`);
      await new Promise<void>((resolve) => sock.write(randomBytes(MIB), () => resolve()));
      sock.destroy();
      await waitFor(async () => (await ok(['vol-info', 'cut.raw', '--pool', 'p'])).includes('Incomplete:'), 10_000, 'the volume to be marked incomplete');
      const info = await ok(['vol-info', 'cut.raw', '--pool', 'p']);
      assert.match(info, /^Incomplete: {5}an upload at offset 0 was cut off after \d+ bytes \(/m);
    });

    await step('vol-download and vol-clone refuse it, with the reason', async () => {
      const err = await failing('vol-download', 'cut.raw', file('cut-back'), '--pool', 'p');
      assert.match(err, /^error: cannot download from volume cut\.raw\nerror: Requested operation is not valid: cannot download volume 'cut\.raw': an upload at offset 0 was cut off after \d+ bytes/);
      assert.equal(existsSync(file('cut-back')), false, 'a failed download leaves no file');
      assert.match(await failing('vol-clone', 'cut.raw', 'cut2.raw', '--pool', 'p'), /cannot copy volume 'cut\.raw'/);
    });

    await step('the mark survives a daemon restart', async () => {
      await d.stop('SIGTERM');
      await d.start();
      assert.match(await ok(['vol-info', 'cut.raw', '--pool', 'p']), /^Incomplete:/m);
    });

    await step('a whole upload clears it', async () => {
      writeFileSync(file('four'), randomBytes(4 * MIB));
      await ok(['vol-upload', 'cut.raw', file('four'), '--pool', 'p']);
      assert.doesNotMatch(await ok(['vol-info', 'cut.raw', '--pool', 'p']), /Incomplete/);
      await ok(['vol-download', 'cut.raw', file('cut-back'), '--pool', 'p']);
      assert.equal(sha(file('cut-back')), sha(file('four')));
    });
  });

  test("virsh's errors", async () => {
    writeFileSync(file('small'), randomBytes(1000));
    assert.equal(await failing('vol-upload', 'nov', file('small'), '--pool', 'p'),
      "error: failed to get vol 'nov'\nerror: Storage volume not found: no storage vol with matching path 'nov'\n");
    assert.equal(await failing('vol-download', 'nov', file('x')),
      "error: failed to get vol 'nov', specifying --pool might help\nerror: Storage volume not found: no storage vol with matching path 'nov'\n");
    assert.equal(await failing('vol-upload', 'a.raw', file('missing'), '--pool', 'p'), `error: cannot read ${file('missing')}\n`);
    assert.equal(await failing('vol-upload', 'a.raw', file('small'), '--pool', 'p', '--offset', String(9 * MIB)),
      `error: cannot upload to volume a.raw\nerror: invalid argument: offset ${9 * MIB} is beyond the end of volume 'a.raw' (${8 * MIB} bytes)\n`);
    // Refused while the client still has most of a large file to send: the daemon's reply, not a broken pipe.
    const fd = openSync(file('large'), 'w');
    ftruncateSync(fd, 64 * MIB);
    closeSync(fd);
    for (const env of [{}, { VIREO_CLI_RUNTIME: 'node' }]) {
      const r = await d.vireo(['vol-upload', 'a.raw', file('large'), '--pool', 'p', '--offset', String(9 * MIB)], { env: { ...process.env, ...env } });
      assert.equal(r.stderr, `error: cannot upload to volume a.raw\nerror: invalid argument: offset ${9 * MIB} is beyond the end of volume 'a.raw' (${8 * MIB} bytes)\n`);
    }
    assert.equal(await failing('vol-upload', 'a.raw', file('small'), '--pool', 'p', '--offset', '1M'),
      "error: Numeric value '1M' for <offset> option is malformed or out of range\n");
    assert.equal(await failing('vol-download', 'a.raw', '/nonexistent/x', '--pool', 'p'), 'error: cannot create /nonexistent/x\n');
  });
});
