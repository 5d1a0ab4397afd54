// Storage pools and volumes end to end through the CLI with a real vireod: a dir pool with thin
// qcow2 volumes, backing chains and clones checked with qemu-img, real capacity and allocation,
// refusals that leave nothing behind, concurrent creates of one name, and a restart that keeps
// pools active.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, statfsSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, scenario } from './harness.js';

interface QemuImgInfo {
  format: string;
  'virtual-size': number;
  'backing-filename'?: string;
  'backing-filename-format'?: string;
}

const qemuImg = (file: string): QemuImgInfo => JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', file], { encoding: 'utf8' })) as QemuImgInfo;

describe('storage pools and volumes', () => {
  const d = new TestDaemon();
  let dir: string;
  const ok = d.ok;
  const failing = d.failing;
  const volInfo = async (vol: string): Promise<{ capacity: number; allocation: number; format: string; backing: string | null; path: string }> =>
    JSON.parse(await ok('vol-info', vol, '--pool', 'p', '--json')) as { capacity: number; allocation: number; format: string; backing: string | null; path: string };

  before(async () => {
    await d.start(['--default-pool', 'yes']);
    dir = path.join(d.root, 'p');
  });
  after(() => d.cleanup());

  test('a dir pool, thin qcow2 volumes, backing chains and clones', async (t) => {
    const step = scenario(t);

    await step('the default pool exists on a first start: built, active, autostart', async () => {
      assert.equal(await ok('pool-list', '--all', '--name'), `${'default'.padEnd(20)}\n\n`);
      const info = JSON.parse(await ok('pool-info', 'default', '--json')) as { active: boolean; autostart: boolean };
      assert.deepEqual([info.active, info.autostart], [true, true]);
      assert.ok(statSync(path.join(d.root, 'lib', 'images')).isDirectory());
    });

    await step('pool-define-as, pool-build, pool-start; sizes are the file system\'s', async () => {
      await ok('pool-define-as', 'p', 'dir', '--target', dir);
      await ok('pool-build', 'p');
      await ok('pool-start', 'p');
      const info = JSON.parse(await ok('pool-info', 'p', '--json')) as { capacity: number };
      const fsInfo = statfsSync(dir, { bigint: true });
      assert.equal(info.capacity, Number(fsInfo.blocks * fsInfo.bsize));
      assert.match(await ok('pool-dumpxml', 'p'), new RegExp(`<capacity unit='bytes'>${info.capacity}</capacity>`));
    });

    await step('a thin qcow2 uses almost nothing and says so', async () => {
      await ok('vol-create-as', 'p', 'base.qcow2', '1G', '--format', 'qcow2');
      const file = path.join(dir, 'base.qcow2');
      const img = qemuImg(file);
      assert.deepEqual([img.format, img['virtual-size']], ['qcow2', 1024 ** 3]);
      const v = await volInfo('base.qcow2');
      assert.equal(v.capacity, 1024 ** 3);
      assert.equal(v.allocation, statSync(file).blocks * 512);
      assert.ok(v.allocation < 1024 * 1024, `a thin qcow2 allocates ${v.allocation} bytes`);
      assert.equal((statSync(file).mode & 0o777).toString(8), '600');
    });

    await step('a raw volume is fully allocated, unless --allocation says less', async () => {
      await ok('vol-create-as', 'p', 'full.raw', '8M');
      await ok('vol-create-as', 'p', 'sparse.raw', '8M', '--allocation', '0');
      assert.equal(statSync(path.join(dir, 'full.raw')).blocks * 512, 8 * 1024 * 1024);
      assert.equal(statSync(path.join(dir, 'sparse.raw')).blocks, 0);
      assert.equal((await volInfo('full.raw')).allocation, 8 * 1024 * 1024);
    });

    await step('a linked clone: a qcow2 overlay on a backing volume', async () => {
      await ok('vol-create-as', 'p', 'top.qcow2', '2G', '--format', 'qcow2', '--backing-vol', 'base.qcow2');
      const img = qemuImg(path.join(dir, 'top.qcow2'));
      assert.equal(img['backing-filename'], path.join(dir, 'base.qcow2'));
      assert.equal(img['backing-filename-format'], 'qcow2');
      assert.equal(img['virtual-size'], 2 * 1024 ** 3);
      assert.equal((await volInfo('top.qcow2')).backing, path.join(dir, 'base.qcow2'));
      assert.match(await ok('vol-dumpxml', 'top.qcow2', '--pool', 'p'), /<backingStore>\n {4}<path>[^<]*base\.qcow2<\/path>\n {4}<format type='qcow2'\/>/);
    });

    await step('clones: a full copy stands alone (the backing chain is flattened)', async () => {
      await ok('vol-clone', 'top.qcow2', 'copy.qcow2', '--pool', 'p');
      const img = qemuImg(path.join(dir, 'copy.qcow2'));
      assert.deepEqual([img.format, img['virtual-size'], img['backing-filename']], ['qcow2', 2 * 1024 ** 3, undefined]);
      await ok('vol-clone', 'full.raw', 'full2.raw', '--pool', 'p');
      assert.equal(qemuImg(path.join(dir, 'full2.raw'))['virtual-size'], 8 * 1024 * 1024);
      // --prealloc-metadata: the qcow2 copy has all its metadata allocated, so the file spans the
      // whole virtual size (a plain copy is a few hundred KiB).
      await ok('vol-clone', 'top.qcow2', 'meta.qcow2', '--pool', 'p', '--prealloc-metadata');
      assert.ok(statSync(path.join(dir, 'meta.qcow2')).size >= 2 * 1024 ** 3);
      assert.ok(statSync(path.join(dir, 'copy.qcow2')).size < 2 * 1024 ** 3);
      await ok('vol-delete', 'meta.qcow2', '--pool', 'p');
    });

    await step('vol-clone --reflink: a reflink or nothing (the temp directory is on ext4 or tmpfs, which share no blocks)', async () => {
      const fsType = execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
      assert.ok(['ext2/ext3', 'tmpfs'].includes(fsType), `this step expects a file system without reflinks, not ${fsType}`);
      assert.equal(await failing('vol-clone', 'full.raw', 'ref.raw', '--pool', 'p', '--reflink'),
        `error: Failed to clone vol from full.raw\nerror: failed to clone files from '${path.join(dir, 'full.raw')}': Operation not supported\n`);
      assert.match(await failing('vol-clone', 'top.qcow2', 'ref.qcow2', '--pool', 'p', '--reflink'), /unsupported flags \(0x2\): --reflink clones raw volumes only/);
      assert.equal(existsSync(path.join(dir, 'ref.raw')) || existsSync(path.join(dir, 'ref.qcow2')), false);
    });

    await step('refusals leave nothing behind', async () => {
      const before = readdirSync(dir).sort();
      const free = (JSON.parse(await ok('pool-info', 'p', '--json')) as { available: number }).available;
      const tooBig = `${Math.ceil(free / 1024 ** 3) + 1}G`;
      assert.match(await failing('vol-create-as', 'p', 'huge.raw', tooBig), /error: Failed to create vol huge.raw\nerror: cannot allocate \d+ bytes in file '.*huge.raw': No space left on device\n/);
      assert.match(await failing('vol-create-as', 'p', 'huge.qcow2', tooBig, '--format', 'qcow2', '--prealloc-metadata'), /No space left on device/);
      assert.match(await failing('vol-create-as', 'p', 'a/b', '1M'), /volume name 'a\/b' cannot contain '\/'/);
      assert.match(await failing('vol-create-as', 'p', 'base.qcow2', '1M'), /storage volume 'base.qcow2' exists already/);
      assert.match(await failing('vol-create-as', 'p', 'r.raw', '1M', '--backing-vol', 'base.qcow2'), /backing storage not supported for raw volumes/);
      assert.deepEqual(readdirSync(dir).sort(), before);
      assert.match(await failing('pool-delete', 'p'), /storage pool 'p' is still active/);
    });

    await step('two creates of one name at once: one volume, one refusal', async () => {
      const [a, b] = await Promise.all([d.vireo(['vol-create-as', 'p', 'race.qcow2', '1G', '--format', 'qcow2']), d.vireo(['vol-create-as', 'p', 'race.qcow2', '1G', '--format', 'qcow2'])]);
      assert.deepEqual([a.code, b.code].sort(), [0, 1]);
      assert.match(a.stderr + b.stderr, /storage volume 'race.qcow2' exists already/);
      assert.equal(qemuImg(path.join(dir, 'race.qcow2')).format, 'qcow2');
    });

    await step('resize, wipe and delete', async () => {
      await ok('vol-resize', 'base.qcow2', '3G', '--pool', 'p');
      assert.equal(qemuImg(path.join(dir, 'base.qcow2'))['virtual-size'], 3 * 1024 ** 3);
      await ok('vol-resize', 'sparse.raw', '4M', '--pool', 'p', '--delta', '--allocate');
      assert.equal(statSync(path.join(dir, 'sparse.raw')).size, 12 * 1024 * 1024);
      assert.equal(statSync(path.join(dir, 'sparse.raw')).blocks * 512, 4 * 1024 * 1024);
      await ok('vol-wipe', 'full2.raw', '--pool', 'p');
      assert.equal(execFileSync('cmp', ['-n', String(8 * 1024 * 1024), path.join(dir, 'full2.raw'), '/dev/zero']).length, 0);
      // The pattern algorithms are scrub's: its signature ends the last pass.
      await ok('vol-wipe', 'full2.raw', '--pool', 'p', '--algorithm', 'nnsa');
      assert.equal(readFileSync(path.join(dir, 'full2.raw')).subarray(0, 12).toString('latin1'), '\x01\x02\x03SCRUBBED!');
      assert.equal(await failing('vol-wipe', 'full2.raw', '--pool', 'p', '--algorithm', 'trim'),
        "error: Failed to wipe vol full2.raw\nerror: argument unsupported: 'trim' algorithm not supported\n");
      assert.equal(await failing('vol-wipe', 'full2.raw', '--pool', 'p', '--algorithm', 'bogus'), "error: Unsupported algorithm 'bogus'\n");
      await ok('vol-delete', 'copy.qcow2', '--pool', 'p');
      assert.equal(existsSync(path.join(dir, 'copy.qcow2')), false);
      assert.doesNotMatch(await ok('vol-list', 'p'), /copy\.qcow2/);
    });

    await step('a restart keeps active pools active, with their volumes', async () => {
      await d.stop();
      await d.start();
      assert.match(await ok('pool-list'), /^ default +active +yes\n p +active +no\n/m);
      assert.match(await ok('vol-list', 'p'), /top\.qcow2/);
      assert.equal((await volInfo('top.qcow2')).backing, path.join(dir, 'base.qcow2'));
    });

    await step('a destroyed pool stays inactive across a restart; its volumes stay on disk', async () => {
      await ok('pool-destroy', 'p');
      await d.stop();
      await d.start();
      assert.match(await ok('pool-list', '--all'), / p +inactive +no\n/);
      assert.ok(existsSync(path.join(dir, 'top.qcow2')));
      assert.match(await failing('pool-delete', 'p'), /failed to remove pool '.*': Directory not empty/);
      assert.ok(existsSync(dir));
    });
  });

  test('a pool whose directory went away is stopped by pool-refresh, as libvirt does', async () => {
    const gone = path.join(d.root, 'gone');
    await ok('pool-create-as', 'gone', 'dir', '--target', gone, '--build');
    await ok('pool-define-as', 'gone2', 'dir', '--target', `${gone}2`);
    await ok('pool-build', 'gone2');
    await ok('pool-start', 'gone2');
    rmSync(gone, { recursive: true });
    rmSync(`${gone}2`, { recursive: true });
    assert.equal(await failing('pool-refresh', 'gone2'), `error: Failed to refresh pool gone2\nerror: cannot open directory '${gone}2': No such file or directory\n`);
    assert.match(await ok('pool-list', '--all'), / gone2 +inactive +no\n/);
    assert.match(await failing('pool-refresh', 'gone'), /cannot open directory/);
    assert.doesNotMatch(await ok('pool-list', '--all'), / gone /, 'a transient pool goes');
  });
});
