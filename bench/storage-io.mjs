#!/usr/bin/env node
/**
 * Volume upload and download throughput, side by side, on the same file system (a temp dir):
 *   disk    — the floor: `dd` of the file into a volume-sized file (conv=notrunc,fdatasync, as an
 *             upload ends with a flush) and `cp` of a volume out
 *   vireo   — vol-upload / vol-download through a private vireod (temp --root), bin/vireo
 *   libvirt — virsh vol-upload / vol-download against a private libvirtd 9.0
 *             (/work/shared/tools/libvirt-ref), on a dir pool in the same temp dir
 * Each run drops nothing from the page cache (no root-wide side effects): all figures are for
 * a warm cache, the same for every tool. Prints medians in MiB/s and each tool's ratio to disk.
 *
 *   node bench/storage-io.mjs [--size-mib 512] [--runs 5] [--warmup 1] [--only vireo,libvirt] [--sparse] [--json FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Vireod, mainWrapper, median, must, now, onCleanup, parseArgs, run, table } from './common.mjs';

const USAGE = `usage: node bench/storage-io.mjs [options]   (as root for libvirt)
  --size-mib N        size of the file moved (default 512)
  --runs N            measured runs per tool (default 5)
  --warmup N          unmeasured runs first (default 1)
  --only LIST         vireo,libvirt (default both; disk always runs)
  --sparse            also pass --sparse to vol-upload/vol-download
  --libvirt-ref PATH  the private-libvirtd script (default /work/shared/tools/libvirt-ref)
  --json FILE         write the samples as JSON too`;

const opts = parseArgs(process.argv.slice(2), {
  'size-mib': 512, runs: 5, warmup: 1, only: 'vireo,libvirt', sparse: false, 'libvirt-ref': '/work/shared/tools/libvirt-ref', json: '',
});

async function main() {
  if (opts.help) return console.log(USAGE);
  const only = new Set(opts.only.split(','));
  const size = opts['size-mib'] * 1024 * 1024;
  const work = mkdtempSync(path.join(tmpdir(), 'vireo-bench-io-'));
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  const src = path.join(work, 'src.bin');
  const fd = openSync(src, 'w');
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < opts['size-mib']; i++) writeSync(fd, block);
  closeSync(fd);
  const sparse = opts.sparse ? ['--sparse'] : [];
  const samples = {};
  const time = async (label, fn) => {
    for (let i = 0; i < opts.warmup + opts.runs; i++) {
      const t0 = now();
      await fn(i);
      const ms = now() - t0;
      if (i >= opts.warmup) (samples[label] ??= []).push(ms);
    }
  };

  const disk = path.join(work, 'disk');
  mkdirSync(disk);
  await must('truncate', ['-s', String(size), path.join(disk, 'vol')]);
  await time('disk upload (dd)', () => must('dd', [`if=${src}`, `of=${path.join(disk, 'vol')}`, 'bs=1M', 'conv=notrunc,fdatasync', 'status=none']));
  await time('disk download (cp)', () => must('cp', [path.join(disk, 'vol'), path.join(disk, 'out')]));

  if (only.has('vireo')) {
    const d = new Vireod();
    await d.start();
    const pool = path.join(work, 'vireo-pool');
    await d.mustCli(['pool-create-as', 'b', 'dir', '--target', pool, '--build']);
    await d.mustCli(['vol-create-as', 'b', 'v.raw', String(size), '--allocation', '0']);
    await time('vireo vol-upload', () => d.mustCli(['vol-upload', 'v.raw', src, '--pool', 'b', ...sparse]));
    await time('vireo vol-download', () => d.mustCli(['vol-download', 'v.raw', path.join(work, 'vireo-out'), '--pool', 'b', ...sparse]));
    await d.cleanup();
  }

  if (only.has('libvirt')) {
    const ref = opts['libvirt-ref'];
    const root = path.join(work, 'libvirt');
    await must(ref, ['start', root]);
    onCleanup(() => run(ref, ['stop', root]));
    const virsh = (args) => must(ref, ['virsh', root, ...args]);
    const pool = path.join(work, 'libvirt-pool');
    mkdirSync(pool);
    await virsh(['pool-create-as', 'b', 'dir', '--target', pool]);
    await virsh(['vol-create-as', 'b', 'v.raw', String(size), '--allocation', '0']);
    await time('virsh vol-upload', () => virsh(['vol-upload', 'v.raw', src, '--pool', 'b', ...sparse]));
    await time('virsh vol-download', () => virsh(['vol-download', 'v.raw', path.join(work, 'libvirt-out'), '--pool', 'b', ...sparse]));
    await virsh(['pool-destroy', 'b']);
    await run(ref, ['stop', root]);
  }

  const mibs = (ms) => opts['size-mib'] / (ms / 1000);
  const floor = { upload: median(samples['disk upload (dd)']), download: median(samples['disk download (cp)']) };
  const rows = Object.entries(samples).map(([label, xs]) => {
    const m = median(xs);
    const dir = label.includes('upload') ? 'upload' : 'download';
    return [label, `${mibs(m).toFixed(0)} MiB/s`, `${(m / 1000).toFixed(2)} s`, `${((floor[dir] / m) * 100).toFixed(0)}% of disk`];
  });
  console.log(`\n${opts['size-mib']} MiB, ${opts.runs} runs each (medians, warm page cache${opts.sparse ? ', --sparse' : ''})\n`);
  console.log(table(['what', 'throughput', 'time', 'vs disk'], rows));
  if (opts.json !== '') writeFileSync(opts.json, JSON.stringify({ sizeMiB: opts['size-mib'], samples }, null, 1) + '\n');
}

await mainWrapper(main);
