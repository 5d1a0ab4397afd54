#!/usr/bin/env node
/**
 * Storage pools and volumes, side by side: the same dir pools on the same file system through
 *   (a) vireo   — a private vireod (temp --root) driven by bin/vireo as whole processes,
 *   (b) libvirt — a private libvirtd 9.0 (/work/shared/tools/libvirt-ref, state in a temp dir)
 *                 driven by virsh.
 * Measured, as whole commands: vol-create-as of a 10 GiB thin qcow2; vol-clone of a volume full
 * of data (raw and qcow2) on the host's file system and, when this host can make one, on an
 * xfs with reflinks (an image file on a loop device, mounted here and unmounted at the end);
 * pool-refresh, vol-list and vol-list --details of a pool with 1000 volumes (raw, qcow2 v2 and
 * v3, and qcow2 overlays on a raw backing volume). Every clone is checked once against its
 * source (cmp for raw, qemu-img compare for qcow2) and its allocation reported.
 *
 *   node bench/storage.mjs [--runs 5] [--warmup 1] [--volumes 1000] [--clone-gib 2] [--reflink auto|off]
 *                          [--only vireo,libvirt] [--build head|dist|in-place] [--json FILE]
 *
 * See bench/README.md ("Storage") for what each figure means.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Vireod, fmtMs, fmtRange, mainWrapper, median, must, onCleanup, parseArgs, run, table, useBuild, versionOf, which } from './common.mjs';

const USAGE = `usage: node bench/storage.mjs [options]   (as root)
  --runs N            measured runs per manager (default 5)
  --warmup N          unmeasured runs first (default 1)
  --volumes N         volumes in the pool that pool-refresh and vol-list read (default 1000)
  --clone-gib N       size of the volume vol-clone copies, all of it data (default 2)
  --reflink WHAT      auto (default): also measure clones on an xfs with reflink=1 on a loop
                      device when the host's file system has no reflinks; off: do not
  --only LIST         comma-separated subset of vireo,libvirt (default both)
  --libvirt-ref PATH  the private-libvirtd script (default /work/shared/tools/libvirt-ref)
  --build WHAT        head (default): build the last commit in a temp dir and measure that;
                      dist: a copy of the working tree's bin/ and dist/; in-place: the repo itself
  --json FILE         also write every sample as JSON
`;
const opts = parseArgs(process.argv.slice(2), {
  runs: 5, warmup: 1, volumes: 1000, 'clone-gib': 2, reflink: 'auto', only: 'vireo,libvirt', 'libvirt-ref': '/work/shared/tools/libvirt-ref', build: 'head', json: '',
});
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!['head', 'dist', 'in-place'].includes(opts.build)) throw new Error('--build: head, dist or in-place');
if (!['auto', 'off'].includes(opts.reflink)) throw new Error('--reflink: auto or off');
const ONLY = new Set(opts.only.split(','));
const MiB = 1024 * 1024;

/** Figures of one run, in the order it takes them. */
const OPS = [
  ['create', 'vol-create-as qcow2 10 GiB (thin)'],
  ['cloneRaw', 'vol-clone raw (copy)'],
  ['cloneQcow2', 'vol-clone qcow2 (copy)'],
  ['cloneRawReflink', 'vol-clone raw (xfs, reflinks)'],
  ['cloneQcow2Reflink', 'vol-clone qcow2 (xfs, reflinks)'],
  ['cloneRawReflinkFlag', 'vol-clone --reflink raw (xfs)'],
  ['refresh', `pool-refresh (${opts.volumes} volumes)`],
  ['list', `vol-list (${opts.volumes} volumes)`],
  ['details', `vol-list --details (${opts.volumes} volumes)`],
];

/** Can `dir`'s file system share blocks between files (FICLONE)? */
async function hasReflinks(dir) {
  const a = path.join(dir, '.reflink-probe');
  writeFileSync(a, 'x');
  const r = await run('cp', ['--reflink=always', a, `${a}2`]);
  rmSync(a, { force: true });
  rmSync(`${a}2`, { force: true });
  return r.code === 0;
}

/** An xfs with reflink=1 on a loop device (an image in `work`), or the reason there is none. */
async function reflinkFs(work) {
  if (which('mkfs.xfs') === undefined && !existsSync('/usr/sbin/mkfs.xfs')) return 'mkfs.xfs not installed (xfsprogs)';
  const img = path.join(work, 'xfs.img');
  const mnt = path.join(work, 'xfs');
  mkdirSync(mnt);
  // Room for both managers' sources (raw + qcow2 each) and one full copy at a time.
  await must('truncate', ['-s', String((opts['clone-gib'] * 6 + 2) * 1024 * MiB), img]);
  const mk = await run('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
  if (mk.code !== 0) return `mkfs.xfs -m reflink=1: ${mk.stderr.trim()}`;
  const m = await run('mount', ['-o', 'loop', img, mnt]);
  if (m.code !== 0) return `mount -o loop: ${m.stderr.trim()}`;
  // util-linux frees the loop device at umount (autoclear).
  onCleanup(() => must('umount', [mnt]));
  if (!(await hasReflinks(mnt))) return 'the xfs made here does not clone files';
  return mnt;
}

/** A file of `gib` GiB, every byte written (one random MiB repeated: the copy cannot skip it). */
function dataFile(file, gib) {
  const block = randomBytes(MiB);
  const fd = openSync(file, 'w');
  for (let i = 0; i < gib * 1024; i++) writeSync(fd, block);
  closeSync(fd);
}

/**
 * Templates of the many-volume pool: raw (sparse), qcow2 v2 and v3 (10 GiB thin) and a qcow2
 * overlay on the pool's first raw volume; fillPool copies them in under N names.
 */
async function templates(work) {
  const dir = path.join(work, 'tpl');
  mkdirSync(dir);
  await must('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', path.join(dir, 'v2.qcow2'), '10G']);
  await must('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compat=1.1', path.join(dir, 'v3.qcow2'), '10G']);
  await must('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', 'v0000.raw', '-F', 'raw', path.join(dir, 'over.qcow2'), '1G']);
  return dir;
}

function fillPool(tpl, dir) {
  mkdirSync(dir);
  for (let i = 0; i < opts.volumes; i++) {
    const n = String(i).padStart(4, '0');
    const kind = i % 4;
    if (kind === 0) closeSync(openSync(path.join(dir, `v${n}.raw`), 'w'));
    else copyFileSync(path.join(tpl, ['', 'v2.qcow2', 'v3.qcow2', 'over.qcow2'][kind]), path.join(dir, `v${n}.qcow2`));
  }
  // Raw volumes of 1 GiB, sparse (truncate in one process rather than one per file).
  return must('sh', ['-c', 'truncate -s 1G "$1"/*.raw', 'sh', dir]);
}

// ---------------------------------------------------------------------------------------------
// Contenders

async function vireoTool() {
  const d = new Vireod();
  await d.start();
  return { key: 'vireo', label: 'vireo (bin/vireo against a private vireod)', cli: (args) => d.cli(args) };
}

async function libvirtTool(work) {
  const ref = opts['libvirt-ref'];
  if (!existsSync(ref)) return `${ref} missing`;
  if (which('virsh') === undefined) return 'virsh not installed (apt-get install -y libvirt-daemon-system libvirt-clients)';
  const dir = path.join(work, 'libvirt');
  mkdirSync(dir);
  onCleanup(async () => {
    const r = await run(ref, ['stop', dir], { timeoutMs: 60_000 });
    if (r.code !== 0) process.stderr.write(`cleanup: libvirt-ref stop: ${r.stderr.trim()}\n`);
  });
  const r = await run(ref, ['start', dir], { timeoutMs: 120_000 });
  if (r.code !== 0) return `libvirt-ref start: ${(r.stderr || r.stdout).trim()}`;
  const uri = r.stdout.trim().split('\n').pop();
  // virsh itself, not through the script: the same one process per command as vireo.
  const cli = (args) => run(which('virsh'), ['-c', uri, ...args], { timeoutMs: 600_000 });
  const version = (await cli(['version'])).stdout.match(/Using library: (.*)/)?.[1];
  return { key: 'libvirt', label: `virsh against a private libvirtd (libvirt ${version ?? '?'})`, cli };
}

async function ok(t, args) {
  const r = await t.cli(args);
  if (r.code !== 0) throw new Error(`${t.key} ${args.join(' ')} -> exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** The pools a manager works in: `c` (copies, host fs), `x` (xfs with reflinks), `m` (many volumes). */
async function setUp(t, work, places, tpl) {
  for (const [pool, base] of [['c', work], ...(places.xfs === undefined ? [] : [['x', places.xfs]])]) {
    const dir = path.join(base, `${t.key}-${pool}`);
    mkdirSync(dir);
    // The sources, copied in (reflinked on the xfs, where they cost nothing).
    await must('cp', ['--reflink=auto', path.join(work, 'data.raw'), path.join(dir, 'src.raw')]);
    await must('cp', ['--reflink=auto', path.join(work, 'data.qcow2'), path.join(dir, 'src.qcow2')]);
    await ok(t, ['pool-create-as', pool, 'dir', '--target', dir]);
  }
  const many = path.join(work, `${t.key}-m`);
  await fillPool(tpl, many);
  await ok(t, ['pool-create-as', 'm', 'dir', '--target', many]);
}

/** Is the clone `b` the same disk as `a`? Its allocation (and length) for the report. */
async function checkClone(a, b, format) {
  const [sa, sb] = [statSync(a).size, statSync(b).size];
  // cmp over the source's length: a longer clone is reported below rather than failing the run.
  if (format === 'raw') await must('cmp', ['-n', String(sa), a, b], { timeoutMs: 600_000 });
  else await must('qemu-img', ['compare', '-f', 'qcow2', '-F', 'qcow2', a, b], { timeoutMs: 600_000 });
  const du = await must('du', ['-B1', b]);
  const longer = format === 'raw' && sb !== sa ? `, but ${sb - sa} bytes longer than its source (${sb} bytes)` : '';
  return `${Math.round(Number(du.stdout.split('\t')[0]) / MiB)} MiB allocated, same content${longer}`;
}

async function managerRun(t, work, places, i, rec, checks) {
  const time = async (op, args) => (rec[op] = (await ok(t, args)).ms);
  await time('create', ['vol-create-as', 'c', `new${i}.qcow2`, '10G', '--format', 'qcow2']);
  await ok(t, ['vol-delete', `new${i}.qcow2`, '--pool', 'c']);
  const clones = [['c', work, '', 'cloneRaw', 'cloneQcow2']];
  if (places.xfs !== undefined) clones.push(['x', places.xfs, '', 'cloneRawReflink', 'cloneQcow2Reflink']);
  // virsh has --reflink (fail rather than copy); vireo reflinks whenever it can and takes no flag.
  if (places.xfs !== undefined && t.key === 'libvirt') clones.push(['x', places.xfs, '--reflink', 'cloneRawReflinkFlag']);
  for (const [pool, base, flag, rawOp, qcowOp] of clones) {
    for (const [format, op] of [['raw', rawOp], ['qcow2', qcowOp]]) {
      if (op === undefined) continue;
      const name = `clone${i}.${format}`;
      await time(op, ['vol-clone', `src.${format}`, name, '--pool', pool, ...(flag === '' ? [] : [flag])]);
      const dir = path.join(base, `${t.key}-${pool}`);
      checks[op] ??= await checkClone(path.join(dir, `src.${format}`), path.join(dir, name), format);
      await ok(t, ['vol-delete', name, '--pool', pool]);
    }
  }
  await time('refresh', ['pool-refresh', 'm']);
  const list = await ok(t, ['vol-list', 'm']);
  rec.list = list.ms;
  // Header, rule, one line per volume, a blank line: virsh's layout, the same in vireo.
  const lines = list.stdout.split('\n').filter((l) => l.trim() !== '').length - 2;
  if (lines !== opts.volumes) throw new Error(`${t.key} vol-list m: ${lines} volumes listed, ${opts.volumes} expected`);
  await time('details', ['vol-list', 'm', '--details']);
}

async function main() {
  const started = new Date();
  const build = ONLY.has('vireo') ? await useBuild(opts.build) : 'not measured';
  const work = mkdtempSync(path.join(tmpdir(), 'vireo-bench-storage-'));
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  const places = { hostReflinks: await hasReflinks(work) };
  places.note = places.hostReflinks
    ? `the host's file system (${work}) has reflinks: "copy" rows are reflink clones too`
    : `the host's file system (${work}) has no reflinks (cp --reflink=always fails): clones there copy`;
  if (!places.hostReflinks && opts.reflink === 'auto') {
    const x = await reflinkFs(work);
    if (x.startsWith('/')) places.xfs = x;
    else places.note += `; no xfs with reflinks: ${x}`;
  }
  process.stderr.write(`making the ${opts['clone-gib']} GiB source volume and ${opts.volumes} volumes' templates ...\n`);
  dataFile(path.join(work, 'data.raw'), opts['clone-gib']);
  await must('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=0.10', path.join(work, 'data.raw'), path.join(work, 'data.qcow2')], { timeoutMs: 600_000 });
  const tpl = await templates(work);

  const tools = [];
  for (const key of ['vireo', 'libvirt']) {
    if (!ONLY.has(key)) continue;
    const t = key === 'vireo' ? await vireoTool() : await libvirtTool(work);
    if (typeof t === 'string') console.log(`${key}: not available (${t})`);
    else tools.push(t);
  }
  if (tools.length === 0) throw new Error('nothing to measure');
  for (const t of tools) await setUp(t, work, places, tpl);

  const samples = Object.fromEntries(tools.map((t) => [t.key, {}]));
  const checks = Object.fromEntries(tools.map((t) => [t.key, {}]));
  const loads = [];
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    const warm = i < opts.warmup;
    loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));
    for (const t of tools.map((_, k) => tools[(k + i) % tools.length])) {
      process.stderr.write(`${warm ? 'warm-up' : `run ${i - opts.warmup + 1}/${opts.runs}`} ${t.key} ... `);
      const rec = {};
      await managerRun(t, work, places, i, rec, checks[t.key]);
      process.stderr.write(`refresh ${fmtMs(rec.refresh)}, clone raw ${fmtMs(rec.cloneRaw)}\n`);
      if (!warm) for (const [k, v] of Object.entries(rec)) (samples[t.key][k] ??= []).push(v);
    }
  }
  report({ started, build, tools, samples, checks, places, loads });
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: started.toISOString(), build, opts, places, loadavg: loads, checks, samples }, null, 2) + '\n');
    console.log(`\nraw samples written to ${opts.json}`);
  }
}

function report({ started, build, tools, samples, checks, places, loads }) {
  const keys = tools.map((t) => t.key);
  const both = keys.length === 2;
  const med = (k, op) => median(samples[k]?.[op] ?? []);
  console.log(`\n== Storage, whole commands, median of ${opts.runs} (${started.toISOString().slice(0, 10)}; vireo: ${build}) ==`);
  console.log(tools.map((t) => t.label).join('; '));
  console.log(places.note);
  const header = ['operation', ...keys, ...(both ? ['vireo/libvirt'] : []), ...keys.map((k) => `${k} min–max`)];
  const rows = OPS.filter(([op]) => keys.some((k) => samples[k][op] !== undefined)).map(([op, label]) => {
    const ratio = med('vireo', op) / med('libvirt', op);
    return [label, ...keys.map((k) => fmtMs(med(k, op))), ...(both ? [Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—'] : []), ...keys.map((k) => fmtRange(samples[k][op] ?? []))];
  });
  console.log(table(header, rows));
  console.log(`\nclones (${opts['clone-gib']} GiB of data), checked once against their source:`);
  for (const k of keys) for (const [op, what] of Object.entries(checks[k])) console.log(`  ${k} ${OPS.find(([o]) => o === op)?.[1]}: ${what}`);
  const qemuImgV = versionOf('qemu-img', ['--version']);
  console.log(`\nnode ${process.version}; ${qemuImgV ?? 'qemu-img ?'}; load average before each run: ${loads.join(' | ')}; the machine is shared: figures are noisy`);
}

void mainWrapper(main);
