#!/usr/bin/env node
/**
 * Statistics of many guests: `vireo domstats` of N guests in one call, against N `vireo dominfo`
 * calls and against libvirt's `virsh domstats` of the same N guests (a private libvirtd 9.0,
 * /work/shared/tools/libvirt-ref, same XML); and vireod's resident memory with N guests running.
 *
 *   node bench/domstats.mjs [--guests 50] [--memory 96] [--runs 5] [--warmup 1] [--boot] [--only vireo,libvirt] [--build head] [--json FILE]
 *
 * The guests are started with --paused (QEMU runs, its vCPUs do not), so that N TCG guests fit on
 * two cores and the figures measure the managers, not a machine busy booting; --boot lets them
 * run. Each measured run is one whole command as its own process, timed from spawn to the close of
 * its output. Everything the script started is stopped on exit, failure or Ctrl-C.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  GUEST_DIR, Vireod, benchGuestXml, fmtMs, mainWrapper, median, now, onCleanup, parseArgs, run, statusKiB, table, useBuild, vireoAvailable, which,
} from './common.mjs';

const opts = parseArgs(process.argv.slice(2), {
  guests: 50, memory: 96, runs: 5, warmup: 1, boot: false, only: 'vireo,libvirt', 'libvirt-ref': '/work/shared/tools/libvirt-ref', build: 'head', json: '',
});
if (opts.help) {
  process.stdout.write(`usage: node bench/domstats.mjs [--guests 50] [--memory 96] [--runs 5] [--warmup 1] [--boot] [--only vireo,libvirt] [--build head] [--json FILE]
  --guests N     guests to define and start (default 50)
  --memory MiB   memory per guest (default 96: the test guest's vmlinux does not boot in 64)
  --runs N       measured runs of each command (default 5), after --warmup N unmeasured ones (default 1)
  --boot         let the guests run (default: started with --paused, vCPUs stopped)
  --only LIST    vireo, libvirt or both (default)
  --libvirt-ref PATH  the private-libvirtd script (default /work/shared/tools/libvirt-ref)
  --build WHAT   head (default): build the last commit in a temp dir; dist; in-place
  --json FILE    also write every sample as JSON
`);
  process.exit(0);
}
const only = new Set(String(opts.only).split(','));
const MiB = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

/** The guest files in a directory every manager's QEMU can read. */
function guestFiles(dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of ['vmlinux', 'initrd.img']) {
    if (!existsSync(path.join(GUEST_DIR, f))) throw new Error(`${GUEST_DIR}/${f} missing: run scripts/build-guest.sh first`);
    copyFileSync(path.join(GUEST_DIR, f), path.join(dir, f));
  }
}

const SERIAL = `<serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>`;

async function ok(cli, args) {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} -> exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** Define and start the N guests through `cli`; returns their names. */
async function setUp(cli, dir, tag) {
  const names = Array.from({ length: opts.guests }, (_, i) => `${tag}-${String(i + 1).padStart(2, '0')}`);
  for (const n of names) {
    writeFileSync(path.join(dir, `${n}.xml`), benchGuestXml(n, dir, opts.memory, SERIAL));
    await ok(cli, ['define', path.join(dir, `${n}.xml`)]);
    await ok(cli, opts.boot ? ['start', n] : ['start', '--paused', n]);
  }
  return names;
}

/** Time `fn` (one sample: ms) warmup + runs times; the medians of the measured ones. */
async function measure(fn) {
  const xs = [];
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    const ms = await fn();
    if (i >= opts.warmup) xs.push(ms);
  }
  return xs;
}

/** The three figures of one manager: domstats of all in one call, N dominfo calls, and the record count. */
async function bench(cli, names) {
  const check = await ok(cli, ['domstats']);
  const records = (check.stdout.match(/^Domain: /gm) ?? []).length;
  if (records !== names.length) throw new Error(`domstats reported ${records} domains, not ${names.length}`);
  const domstats = await measure(async () => (await ok(cli, ['domstats'])).ms);
  const dominfo = await measure(async () => {
    const t0 = now();
    for (const n of names) await ok(cli, ['dominfo', n]);
    return now() - t0;
  });
  return { domstats, dominfo, lines: check.stdout.split('\n').length };
}

async function main() {
  const fig = {};
  if (only.has('vireo')) {
    if (!vireoAvailable()) throw new Error('bin/vireo or bin/vireod missing (build with npx tsc -p .)');
    const build = await useBuild(opts.build);
    console.log(`vireo: ${build}`);
    const d = new Vireod();
    await d.start();
    const dir = path.join(d.root, 'guest');
    guestFiles(dir);
    const idle = statusKiB(d.pid, 'VmRSS');
    const cli = (args) => d.cli(args);
    const t0 = now();
    const names = await setUp(cli, dir, `vds${process.pid}`);
    console.log(`vireo: ${names.length} guests defined and started in ${fmtMs(now() - t0)}`);
    const running = statusKiB(d.pid, 'VmRSS');
    fig.vireo = { ...(await bench(cli, names)), rssIdleKiB: idle, rssRunningKiB: running, rssAfterKiB: statusKiB(d.pid, 'VmRSS'), rssPeakKiB: statusKiB(d.pid, 'VmHWM') };
  }
  if (only.has('libvirt')) {
    const ref = opts['libvirt-ref'];
    if (!existsSync(ref) || which('virsh') === undefined) {
      fig.libvirtSkipped = `${ref} or virsh missing`;
    } else {
      const work = (await run('mktemp', ['-d', '/tmp/vireo-bench-libvirt-XXXXXX'])).stdout.trim();
      const lv = path.join(work, 'libvirt');
      onCleanup(async () => {
        const r = await run(ref, ['stop', lv], { timeoutMs: 120_000 });
        if (r.code !== 0) process.stderr.write(`cleanup: libvirt-ref stop: ${r.stderr.trim()}\n`);
        await run('rm', ['-rf', work]);
      });
      const r = await run(ref, ['start', lv], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`libvirt-ref start: ${(r.stderr || r.stdout).trim()}`);
      const uri = r.stdout.trim().split('\n').pop();
      // virsh itself, one process per command as vireo.
      const cli = (args) => run(which('virsh'), ['-c', uri, ...args], { timeoutMs: 600_000 });
      const dir = path.join(work, 'guest');
      guestFiles(dir);
      const t0 = now();
      const names = await setUp(cli, dir, `lds${process.pid}`);
      console.log(`libvirt: ${names.length} guests defined and started in ${fmtMs(now() - t0)}`);
      fig.libvirt = await bench(cli, names);
    }
  }

  const date = new Date().toISOString();
  console.log(`\ndomstats of ${opts.guests} guests × ${opts.memory} MiB (TCG, ${opts.boot ? 'running' : 'paused'}), medians of ${opts.runs} runs (${date.slice(0, 10)})`);
  const rows = [];
  for (const k of ['vireo', 'libvirt']) {
    const f = fig[k];
    if (f === undefined) continue;
    rows.push([`${k === 'vireo' ? 'vireo' : 'virsh'} domstats (all, one call)`, fmtMs(median(f.domstats)), `${f.lines} lines`]);
    rows.push([`${k === 'vireo' ? 'vireo' : 'virsh'} dominfo × ${opts.guests}`, fmtMs(median(f.dominfo)), `${fmtMs(median(f.dominfo) / opts.guests)} each`]);
  }
  console.log(table(['command', 'wall time', ''], rows));
  if (fig.vireo !== undefined && fig.libvirt !== undefined) {
    console.log(`vireo domstats / virsh domstats: ${(median(fig.vireo.domstats) / median(fig.libvirt.domstats)).toFixed(2)} (goal: at most 1)`);
  }
  if (fig.libvirtSkipped !== undefined) console.log(`libvirt: not measured (${fig.libvirtSkipped})`);
  if (fig.vireo !== undefined) {
    const v = fig.vireo;
    console.log(`vireod VmRSS: idle ${MiB(v.rssIdleKiB)}, ${opts.guests} running ${MiB(v.rssRunningKiB)}, after the runs ${MiB(v.rssAfterKiB)}, peak ${MiB(v.rssPeakKiB)} (goal: under 100 MiB)`);
  }
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ date, opts, figures: fig }, null, 2) + '\n');
}

void mainWrapper(main);
