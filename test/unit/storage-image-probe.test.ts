// The native image probe against images qemu-img makes: for every qcow2 and raw image it must
// say what `qemu-img info` says (format, size, cluster size, backing file and format, compat),
// and leave every other format (and a qcow2 it cannot vouch for) to qemu-img.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { probeImage } from '../../src/storage/image-probe.js';
import { imageInfo } from '../../src/storage/qemu-img.js';
import { readVolume, scanVolumes } from '../../src/storage/scan.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vireo-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = ['--object', 'secret,id=s0,data=pw'];
/**
 * Make an image with qemu-img; its own words when it refuses (they are the test's failure).
 * A LUKS image's key slot is sized by a PBKDF benchmark that QEMU 7.2 gives up on ("Unable to
 * get accurate CPU usage") when its thread's CPU clock barely moves, as on a busy CI machine:
 * that, and only that, is tried again (the image is set-up, not what is tested).
 */
function img(name: string, args: string[]): string {
  const file = path.join(dir, name);
  const argv = ['create', '-q', ...args.slice(0, -1), file, args[args.length - 1] ?? '1M'];
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync('qemu-img', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      return file;
    } catch (e) {
      const err = e as { status?: number; signal?: string; stderr?: Buffer };
      const why = err.stderr?.toString().trim() ?? '';
      if (attempt < 5 && why.includes('Unable to get accurate CPU usage')) continue;
      throw new Error(`qemu-img ${argv.join(' ')}: exit ${err.status ?? err.signal}: ${why}`, { cause: e });
    }
  }
}
const probe = (file: string) => probeImage(file, statSync(file).size);

/** The probe's answer must equal qemu-img's on every fact the volume XML shows. */
async function sameAsQemuImg(file: string): Promise<NonNullable<Awaited<ReturnType<typeof probeImage>>>> {
  const mine = await probe(file);
  assert.ok(mine !== undefined, `${file}: the probe left it to qemu-img`);
  const ref = await imageInfo(file);
  // A raw volume's capacity is its file's size, as libvirt says; qemu-img rounds up to 512 bytes.
  if (ref.format === 'raw') ref.virtualSize = statSync(file).size;
  const resolve = (b: string | undefined) => (b === undefined ? undefined : path.resolve(path.dirname(file), b));
  assert.deepEqual(
    { format: mine.format, virtualSize: mine.virtualSize, clusterSize: mine.clusterSize, backing: resolve(mine.backingFile), backingFormat: mine.backingFormat },
    { format: ref.format, virtualSize: ref.virtualSize, clusterSize: ref.clusterSize, backing: resolve(ref.backingFile), backingFormat: ref.backingFormat },
    file,
  );
  if (mine.format === 'qcow2') assert.equal(mine.compat, ref.compat);
  return mine;
}

test('raw: empty, sparse, data, sizes not a multiple of 512 (the file size, as libvirt)', async () => {
  await sameAsQemuImg(img('empty.raw', ['-f', 'raw', '0']));
  await sameAsQemuImg(img('sparse.raw', ['-f', 'raw', '3G']));
  const data = path.join(dir, 'data.img');
  writeFileSync(data, Buffer.alloc(100_000, 0xa5));
  assert.equal((await sameAsQemuImg(data)).virtualSize, 100_000);
  const odd = path.join(dir, 'odd.bin'); // shorter than QEMU's 512-byte probe
  writeFileSync(odd, 'QF');
  await sameAsQemuImg(odd);
});

test('qcow2 version 2 (compat 0.10) and 3 (1.1), lazy refcounts, cluster sizes', async () => {
  const v2 = await sameAsQemuImg(img('v2.qcow2', ['-f', 'qcow2', '-o', 'compat=0.10', '10G']));
  assert.deepEqual([v2.version, v2.compat, v2.lazyRefcounts], [2, '0.10', undefined]);
  const v3 = await sameAsQemuImg(img('v3.qcow2', ['-f', 'qcow2', '-o', 'compat=1.1', '10G']));
  assert.deepEqual([v3.version, v3.compat, v3.lazyRefcounts], [3, '1.1', false]);
  const lazy = await sameAsQemuImg(img('lazy.qcow2', ['-f', 'qcow2', '-o', 'compat=1.1,lazy_refcounts=on', '1G']));
  assert.equal(lazy.lazyRefcounts, true);
  assert.equal((await sameAsQemuImg(img('c4k.qcow2', ['-f', 'qcow2', '-o', 'cluster_size=4096', '1G']))).clusterSize, 4096);
  assert.equal((await sameAsQemuImg(img('c2m.qcow2', ['-f', 'qcow2', '-o', 'cluster_size=2M', '1G']))).clusterSize, 2 * 1024 * 1024);
  await sameAsQemuImg(img('odd-size.qcow2', ['-f', 'qcow2', '1000001']));
});

test('qcow2 backing files: relative and absolute names, raw and qcow2 backing formats, v2 and v3', async () => {
  img('base.raw', ['-f', 'raw', '64M']);
  const rel = await sameAsQemuImg(img('over-rel.qcow2', ['-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', '64M']));
  assert.deepEqual([rel.backingFile, rel.backingFormat], ['base.raw', 'raw']);
  const abs = await sameAsQemuImg(img('over-abs.qcow2', ['-f', 'qcow2', '-o', 'compat=0.10', '-b', path.join(dir, 'v3.qcow2'), '-F', 'qcow2', '10G']));
  assert.deepEqual([abs.backingFile, abs.backingFormat], [path.join(dir, 'v3.qcow2'), 'qcow2']);
  await sameAsQemuImg(img('over-c4k.qcow2', ['-f', 'qcow2', '-o', 'cluster_size=4096', '-b', 'over-rel.qcow2', '-F', 'qcow2', '64M']));
});

test('qcow2 whose backing format extension is absent: a backing file and no format, as qemu-img says', async () => {
  const file = img('nofmt.qcow2', ['-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', '64M']);
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]), 104);
  assert.ok(at > 0, 'qemu-img wrote the backing format extension');
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0x12, 0x34, 0x56, 0x78]), 0, 4, at); // an extension type QEMU ignores
  closeSync(fd);
  const p = await sameAsQemuImg(file);
  assert.deepEqual([p.backingFile, p.backingFormat], ['base.raw', undefined]);
});

test('encrypted qcow2: read natively (format qcow2, encryption named); LUKS and other formats go to qemu-img', async () => {
  const enc = await sameAsQemuImg(img('enc.qcow2', [...SECRET, '-f', 'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10', '16M']));
  assert.equal(enc.encryption, 'luks');
  for (const [name, fmt] of [['l.luks', 'luks'], ['d.vmdk', 'vmdk'], ['d.vdi', 'vdi'], ['d.qed', 'qed'], ['d.vpc', 'vpc'], ['d.vhdx', 'vhdx'], ['d.qcow', 'qcow']] as const) {
    const file = img(name, [...(fmt === 'luks' ? SECRET : []), '-f', fmt, ...(fmt === 'luks' ? ['-o', 'key-secret=s0,iter-time=10'] : []), '16M']);
    assert.equal(await probe(file), undefined, `${fmt} is left to qemu-img`);
    assert.equal((await readVolume(file, name))?.target.format, fmt, `${fmt}: readVolume falls back to qemu-img`);
  }
});

test('a qcow2 header the probe cannot vouch for goes to qemu-img: truncated, unknown version, unknown incompatible feature', async () => {
  const good = readFileSync(path.join(dir, 'v3.qcow2'));
  const variant = (name: string, edit: (b: Buffer) => Buffer): string => {
    const file = path.join(dir, name);
    writeFileSync(file, edit(Buffer.from(good)));
    return file;
  };
  assert.equal(await probe(variant('short.qcow2', (b) => b.subarray(0, 60))), undefined);
  assert.equal(await probe(variant('v4.qcow2', (b) => (b.writeUInt32BE(4, 4), b))), undefined);
  assert.equal(await probe(variant('incompat.qcow2', (b) => (b.writeBigUInt64BE(1n << 40n, 72), b))), undefined);
});

test('an image qemu-img cannot open is still a volume: the format its magic names, its file size (the refresh goes on)', async () => {
  for (const name of ['short.qcow2', 'v4.qcow2', 'incompat.qcow2']) {
    const file = path.join(dir, name);
    assert.throws(() => execFileSync('qemu-img', ['info', file], { stdio: 'pipe' }), /Command failed/, `qemu-img opens ${name}`);
    const v = await readVolume(file, name);
    assert.deepEqual([v?.target.format, v?.capacity, v?.backingStore], ['qcow2', statSync(file).size, undefined], name);
  }
});

test('readVolume: a version 3 qcow2 shows compat 1.1 and its features as libvirt 9.0 does; version 2 neither', async () => {
  const v3 = await readVolume(path.join(dir, 'lazy.qcow2'), 'lazy.qcow2');
  assert.deepEqual([v3?.target.compat, v3?.target.lazyRefcounts, v3?.target.clusterSize], ['1.1', true, 65536]);
  const plain = await readVolume(path.join(dir, 'v3.qcow2'), 'v3.qcow2');
  assert.deepEqual([plain?.target.compat, plain?.target.lazyRefcounts], ['1.1', false]);
  const v2 = await readVolume(path.join(dir, 'over-abs.qcow2'), 'over-abs.qcow2');
  assert.deepEqual([v2?.target.compat, v2?.target.lazyRefcounts, v2?.capacity], [undefined, undefined, 10 * 1024 ** 3]);
  assert.deepEqual(v2?.backingStore?.path, path.join(dir, 'v3.qcow2'));
  assert.equal(await readVolume(path.join(dir, 'gone.qcow2'), 'gone.qcow2'), undefined);
});

test('scanVolumes (synchronous reads on a local file system) finds what readVolume finds, file by file, qemu-img formats included', async () => {
  const sub = path.join(dir, 'subdir');
  mkdirSync(sub);
  symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
  const names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  const each = async () => (await Promise.all(names.map((n) => readVolume(path.join(dir, n), n)))).filter((v) => v !== undefined);
  await each(); // a first read moves atime (relatime); the second leaves it
  const one = await each();
  const scanned = await scanVolumes(dir, names);
  assert.deepEqual(scanned, one);
  assert.ok(scanned.some((v) => v.target.format === 'vmdk') && scanned.some((v) => v.type === 'dir'));
  assert.ok(!scanned.some((v) => v.name === 'dangling'), 'a dangling link is no volume');
});
