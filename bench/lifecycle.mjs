#!/usr/bin/env node
/**
 * Guest lifecycle, side by side: the same domain XML and the same tiny guest through
 *   (a) vireo  — a private vireod in a temp root, driven by the real CLI as a whole process, in
 *                both of its runtimes (the Bun-compiled dist/vireo-cli and bin/vireo on Node);
 *                by default the last commit, built in a temp dir (--build),
 *   (b) virsh  — libvirt's CLI against qemu:///system (a libvirtd that is already running),
 *   (c) bare QEMU — the argv vireo launches, with no manager at all: the floor.
 * Every figure is the wall time of a whole command (process spawn to exit), as a script sees it.
 *
 *   node bench/lifecycle.mjs [--runs 7] [--warmup 1] [--memory 128] [--json FILE] [--vireo-cli both]
 *                            [--only vireo,virsh,qemu] [--virsh-uri qemu:///system] [--start-libvirtd]
 *                            [--build head|dist|in-place]
 *
 * See bench/README.md for what each figure means.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BUILD, GUEST_DIR, benchGuestXml, READY_LINE, useBuild, VIREO_BIN, VIREO_COMPILED, Vireod, binVireoRuntime, vireoCommand, Qmp, alive, cmdline, fileHas, fmtMs, fmtRange, killPids, mainWrapper, median, now,
  onCleanup, parseArgs, qemuPids, run, table, versionOf, vireoAvailable, waitFor, which,
} from './common.mjs';

const USAGE = `usage: node bench/lifecycle.mjs [options]
  --runs N            measured runs per tool (default 7)
  --warmup N          unmeasured runs first (default 1)
  --memory MiB        guest memory (default 128)
  --only LIST         comma-separated subset of vireo,virsh,qemu (default all)
  --virsh-uri URI     libvirt URI for virsh (default qemu:///system)
  --vireo-cli WHICH   compiled: dist/vireo-cli (the Bun-compiled CLI); node: bin/vireo on Node
                      (VIREO_CLI_RUNTIME=node); both (default; compiled only when it exists)
  --start-libvirtd    if no libvirtd answers, start virtlogd + libvirtd for the run and stop them after
  --build WHAT        head (default): build the last commit in a temp dir and measure that;
                      dist: a copy of the working tree's bin/ and dist/; in-place: the repo itself
  --json FILE         also write every sample as JSON
`;

const opts = parseArgs(process.argv.slice(2), {
  runs: 7, warmup: 1, memory: 128, only: 'vireo,virsh,qemu', 'virsh-uri': 'qemu:///system', 'start-libvirtd': false, json: '',
  'vireo-cli': 'both', build: 'head',
});
if (!['head', 'dist', 'in-place'].includes(opts.build)) throw new Error('--build: head, dist or in-place');
if (!['compiled', 'node', 'both'].includes(opts['vireo-cli'])) throw new Error('--vireo-cli: compiled, node or both');
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const ONLY = new Set(opts.only.split(','));
const TAG = `vbench${process.pid}`;
const BOOT_TIMEOUT = 120_000;

/** Manager operations, in the order one run performs them. */
const OPS = [
  ['define', 'define'],
  ['start', 'start (CLI returns)'],
  ['ready', 'start → guest ready'],
  ['list', 'list --all'],
  ['dominfo', 'dominfo'],
  ['domstate', 'domstate'],
  ['suspend', 'suspend'],
  ['resume', 'resume'],
  ['shutdown', 'shutdown (CLI returns)'],
  ['shutoff', 'shutdown → domstate "shut off"'],
  ['qemuexit', 'shutdown → QEMU exited'],
  ['destroy', 'destroy'],
  ['destroyexit', 'destroy → QEMU exited'],
  ['undefine', 'undefine'],
];
/** Bare-QEMU floors, and which manager operation each one is the floor of. */
const FLOORS = [
  ['greeting', 'spawn → QMP greeting', undefined],
  ['running', 'spawn → running (cont returned)', 'start'],
  ['ready', 'spawn → guest ready', 'ready'],
  ['powerdown', 'system_powerdown → SHUTDOWN event', undefined],
  ['quit', 'quit → QEMU exited', undefined],
  ['poweroff', 'system_powerdown → SHUTDOWN, quit → exited', 'qemuexit'],
  ['sigterm', 'SIGTERM → QEMU exited', ['destroy', 'destroyexit']],
];

function domainXml(name, dir, serial) {
  return benchGuestXml(name, dir, opts.memory, `<serial type='file'><source path='${serial}'/><target port='0'/></serial>`);
}

// ---------------------------------------------------------------------------------------------
// Work directory: one copy of the guest that every contender boots. It must be readable by
// libvirt's QEMU user (libvirt-qemu), and libvirt relabels (chowns) the kernel and initrd while a
// guest runs, so the project's .cache/guest is never handed to libvirt itself.

function makeWorkDir() {
  for (const f of ['vmlinux', 'initrd.img']) {
    if (!existsSync(path.join(GUEST_DIR, f))) throw new Error(`${GUEST_DIR}/${f} missing: run scripts/build-guest.sh first`);
  }
  const base = existsSync('/var/lib/libvirt/images') ? '/var/lib/libvirt/images' : tmpdir();
  const dir = mkdtempSync(path.join(base, 'vireo-bench-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  for (const f of ['vmlinux', 'initrd.img']) copyFileSync(path.join(GUEST_DIR, f), path.join(dir, f));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Contenders

/**
 * vireo: its own vireod in a temp root. One contender per CLI runtime, sharing the daemon:
 * 'vireo-compiled' runs dist/vireo-cli (the Bun-compiled CLI) when the build made one,
 * 'vireo-node' runs bin/vireo on Node (VIREO_CLI_RUNTIME=node).
 */
async function vireoTools() {
  if (!ONLY.has('vireo')) return [];
  if (!vireoAvailable()) {
    console.log(`vireo: not available (${VIREO_BIN} missing)`);
    return [];
  }
  const want = opts['vireo-cli'];
  const variants = [];
  if (want !== 'node') {
    const ok = existsSync(VIREO_COMPILED) && (await run(VIREO_COMPILED, ['-v'])).code === 0;
    const main = path.join(BUILD, 'dist', 'src', 'cli', 'main.js');
    const stale = ok && existsSync(main) && statSync(VIREO_COMPILED).mtimeMs < statSync(main).mtimeMs;
    const label = `dist/vireo-cli (Bun-compiled CLI${stale ? '; older than the last tsc build of the CLI' : ''})`;
    if (ok) variants.push({ key: 'vireo-compiled', label, runtime: 'compiled' });
    else console.log(`vireo-compiled: not available (${VIREO_COMPILED} missing or does not run)`);
  }
  if (want !== 'compiled') variants.push({ key: 'vireo-node', label: 'bin/vireo with VIREO_CLI_RUNTIME=node', runtime: 'node' });
  if (variants.length === 0) return [];
  const d = new Vireod();
  await d.start();
  return variants.map((v) => {
    const defined = new Set();
    const cli = (args) => d.cli(args, { runtime: v.runtime });
    onCleanup(async () => {
      for (const name of defined) {
        await cli(['destroy', name]);
        await cli(['undefine', name]);
      }
    });
    return { ...v, cli, defined, daemon: d };
  });
}

/** virsh: libvirt's CLI against a libvirtd that answers (optionally one we start). */
async function virshTool() {
  if (!ONLY.has('virsh')) return undefined;
  const virsh = which('virsh');
  if (virsh === undefined) {
    console.log('virsh: not available (no virsh on PATH)');
    return undefined;
  }
  const uri = opts['virsh-uri'];
  const cli = (args, o) => run(virsh, ['-c', uri, ...args], o);
  let probe = await cli(['version'], { timeoutMs: 60_000 });
  if (probe.code !== 0 && opts['start-libvirtd']) {
    await startLibvirtd();
    probe = await cli(['version'], { timeoutMs: 60_000 });
  }
  if (probe.code !== 0) {
    console.log(`virsh: not available (${uri}: ${probe.stderr.trim().split('\n')[0] || `exit ${probe.code}`})`);
    return undefined;
  }
  const defined = new Set();
  onCleanup(async () => {
    for (const name of defined) {
      await cli(['destroy', name]);
      await cli(['undefine', name]);
    }
  });
  return { key: 'virsh', label: 'virsh', cli, defined, version: probe.stdout.match(/Using library: (.*)/)?.[1] };
}

/** Start virtlogd and libvirtd (no systemd here) and stop exactly those processes at the end. */
async function startLibvirtd() {
  for (const [bin, pidfile] of [['virtlogd', '/run/virtlogd.pid'], ['libvirtd', '/run/libvirtd.pid']]) {
    const exe = which(bin) ?? `/usr/sbin/${bin}`;
    if (!existsSync(exe)) throw new Error(`--start-libvirtd: ${bin} not installed`);
    const r = await run(exe, ['-d']);
    if (r.code !== 0) {
      process.stderr.write(`${bin} -d: ${r.stderr.trim()}\n`);
      continue;
    }
    await waitFor(() => existsSync(pidfile), 10_000, `${pidfile}`, 20);
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    onCleanup(async () => {
      killPids([pid], 'SIGTERM');
      await waitFor(() => !alive(pid), 10_000, `${bin} to exit`, 20);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// One lifecycle run through a manager

/** Fills `rec` as it goes, so a run that fails part-way still yields the figures it reached. */
async function managerRun(t, work, i, rec) {
  const name = `${TAG}-${t.key}-${i}`;
  const serial = path.join(work, `${name}.serial`);
  const xml = path.join(work, `${name}.xml`);
  writeFileSync(xml, domainXml(name, work, serial));
  const cmd = async (args, op) => {
    const r = await t.cli(args);
    if (r.code !== 0) {
      rec.failedOp = op ?? args[0];
      throw new Error(`${t.key} ${args.join(' ')} -> exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    }
    if (op !== undefined) rec[op] = r.ms;
    return r;
  };
  const boot = async (op) => {
    rmSync(serial, { force: true });
    const t0 = now();
    await cmd(['start', name], op);
    await waitFor(() => fileHas(serial, READY_LINE), BOOT_TIMEOUT, `${name}: '${READY_LINE}' in ${serial}`);
    return now() - t0;
  };

  t.defined.add(name);
  await cmd(['define', xml], 'define');
  rec.ready = await boot('start');
  await cmd(['list', '--all'], 'list');
  await cmd(['dominfo', name], 'dominfo');
  const st = await cmd(['domstate', name], 'domstate');
  if (st.stdout.trim() !== 'running') throw new Error(`${t.key} domstate ${name}: '${st.stdout.trim()}', expected 'running'`);
  await cmd(['suspend', name], 'suspend');
  await cmd(['resume', name], 'resume');

  const pids = qemuPids(`guest=${name},`);
  if (pids.length !== 1) throw new Error(`${t.key}: expected one QEMU for ${name}, found ${pids.length}`);
  const t0 = now();
  let exitedAt;
  /** @type {Error | undefined} (waitFor rejects with an Error) */
  let exitErr;
  const exitWatch = waitFor(() => !alive(pids[0]), 60_000, `${name}'s QEMU to exit`).then(
    () => (exitedAt = now() - t0),
    (e) => (exitErr = e),
  );
  await cmd(['shutdown', name], 'shutdown');
  // Poll the manager's own domstate back to back; the figure ends when the answer says "shut off".
  for (;;) {
    const r = await cmd(['domstate', name]);
    if (r.stdout.trim() === 'shut off') break;
    if (now() - t0 > 60_000) throw new Error(`${t.key}: ${name} not shut off 60 s after shutdown (${r.stdout.trim()})`);
  }
  rec.shutoff = now() - t0;
  await exitWatch;
  if (exitErr !== undefined) throw exitErr;
  rec.qemuexit = exitedAt;

  await boot(undefined); // boot again (not measured) so destroy meets a running, booted guest
  const [pid2] = qemuPids(`guest=${name},`);
  const t1 = now();
  let goneAt;
  const goneWatch = pid2 === undefined ? Promise.resolve() : waitFor(() => !alive(pid2), 60_000, `${name}'s QEMU to exit`).then(() => (goneAt = now() - t1), () => {});
  await cmd(['destroy', name], 'destroy');
  await goneWatch;
  if (goneAt !== undefined) rec.destroyexit = goneAt;
  await cmd(['undefine', name], 'undefine');
  t.defined.delete(name);
  rmSync(serial, { force: true });
}

/** Capture the argv vireo gave QEMU, for the bare run: the same machine without a manager. */
async function captureVireoArgv(t, work) {
  {
    const name = `${TAG}-argv`;
    const serial = path.join(work, `${name}.serial`);
    const xml = path.join(work, `${name}.xml`);
    writeFileSync(xml, domainXml(name, work, serial));
    t.defined.add(name);
    await t.daemon.mustCli(['define', xml], { runtime: t.runtime });
    await t.daemon.mustCli(['start', '--paused', name], { runtime: t.runtime });
    const [pid] = qemuPids(`guest=${name},`);
    const argv = pid === undefined ? undefined : cmdline(pid);
    await recover(t); // destroy + undefine it (and restart vireod if that broke it)
    if (argv === undefined) return undefined;
    return { argv, root: t.daemon.root, name, serial };
  }
}

// ---------------------------------------------------------------------------------------------
// Bare QEMU

/** The argv vireo builds for this XML (src/qemu/argv.ts), used when vireo's own cannot be captured. */
function builtArgv(work, name, mon, serial) {
  const qemu = which('qemu-system-x86_64') ?? '/usr/bin/qemu-system-x86_64';
  return [
    qemu, '-name', `guest=${name},debug-threads=on`, '-S', '-machine', 'q35,usb=off,dump-guest-core=off', '-accel', 'tcg',
    '-cpu', 'qemu64', '-m', String(opts.memory), '-overcommit', 'mem-lock=off', '-smp', '1,sockets=1,cores=1,threads=1',
    '-uuid', '6a1f3b5e-0000-4000-8000-000000000001', '-no-user-config', '-nodefaults',
    '-chardev', `socket,id=charmonitor,path=${mon},server=on,wait=off`, '-mon', 'chardev=charmonitor,id=monitor,mode=control',
    '-rtc', 'base=utc', '-no-shutdown', '-boot', 'strict=on',
    '-kernel', `${work}/vmlinux`, '-initrd', `${work}/initrd.img`, '-append', 'console=ttyS0 panic=-1 quiet',
    '-chardev', `file,id=charserial0,path=${serial},append=off`,
    '-device', '{"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0}',
    '-display', 'none', '-device', '{"driver":"virtio-balloon-pci","id":"balloon0"}',
    '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny', '-msg', 'timestamp=on',
  ];
}

/** vireo's captured argv with its paths moved into `dir`; undefined if it relies on passed fds. */
function adaptArgv(cap, dir, name, mon, serial) {
  if (cap.argv.some((a) => a === '-add-fd' || /(^|,)fd=/.test(a))) return undefined;
  const out = cap.argv.map((a) =>
    a
      .replace(/^(socket,id=charmonitor,path=)((?:[^,]|,,)*)/, `$1${mon}`)
      .replaceAll(cap.serial, serial)
      .replaceAll(`guest=${cap.name},`, `guest=${name},`)
      .replaceAll(cap.root, path.join(dir, 'root')),
  );
  for (const a of out) {
    for (const m of a.matchAll(new RegExp(`${path.join(dir, 'root').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^,]*`, 'g'))) {
      mkdirSync(path.dirname(m[0]), { recursive: true });
    }
  }
  return out;
}

async function bareBoot(argv, mon, serial, procs) {
  rmSync(mon, { force: true });
  rmSync(serial, { force: true });
  const t0 = now();
  const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.add(p);
  let stderr = '';
  p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((r) => p.once('exit', () => r(now())));
  p.once('exit', () => procs.delete(p));
  let qmp;
  try {
    qmp = await Promise.race([Qmp.connect(mon), exited.then(() => Promise.reject(new Error(`QEMU exited: ${stderr.trim()}`)))]);
  } catch (e) {
    p.kill('SIGKILL');
    throw e;
  }
  const greeting = now() - t0;
  await qmp.execute('qmp_capabilities');
  await qmp.execute('cont');
  const running = now() - t0;
  await waitFor(() => fileHas(serial, READY_LINE), BOOT_TIMEOUT, `bare QEMU: '${READY_LINE}' in ${serial}`);
  const ready = now() - t0;
  return { p, qmp, exited, greeting, running, ready };
}

async function bareRun(argvFor, work, i, procs, rec) {
  const dir = path.join(work, `bare-${i}`);
  mkdirSync(dir, { recursive: true });
  const mon = path.join(dir, 'qmp.sock');
  const serial = path.join(dir, 'serial.log');
  const argv = argvFor(dir, `${TAG}-qemu-${i}`, mon, serial);

  const a = await bareBoot(argv, mon, serial, procs);
  const t1 = now();
  await a.qmp.execute('system_powerdown');
  await a.qmp.waitEvent('SHUTDOWN', 60_000);
  const powerdown = now() - t1;
  const t3 = now();
  await a.qmp.execute('quit').catch(() => {});
  a.qmp.close();
  const quitAt = await a.exited;
  const quit = quitAt - t3;
  const poweroff = quitAt - t1;

  const b = await bareBoot(argv, mon, serial, procs);
  b.qmp.close();
  const t2 = now();
  b.p.kill('SIGTERM');
  const sigterm = (await b.exited) - t2;
  rmSync(dir, { recursive: true, force: true });
  Object.assign(rec, { greeting: a.greeting, running: a.running, ready: a.ready, powerdown, quit, poweroff, sigterm });
}

/**
 * After a failed run: remove what the run left behind; if the manager no longer answers a plain
 * `list --all`, restart it (vireo only) so the remaining runs still measure something.
 */
async function recover(t) {
  for (const name of t.defined) {
    await t.cli(['destroy', name]);
    await t.cli(['undefine', name]);
  }
  t.defined.clear();
  const r = await t.cli(['list', '--all']);
  if (r.code === 0 || t.daemon === undefined) return;
  process.stderr.write(`  ${t.key}: 'list --all' fails after that (${r.stderr.trim().split('\n').pop()}): restarting vireod\n`);
  await t.daemon.restart();
}

// ---------------------------------------------------------------------------------------------
// Where a one-shot command's time goes: process start-up, module loading, the request itself.

/** One GET on vireod's HTTP API from this (already running) process: the daemon's share. */
function apiGet(socketPath, urlPath) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.request({ socketPath, path: urlPath, method: 'GET', agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(now() - t0) : reject(new Error(`GET ${urlPath}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function breakdown(tools, work, n, binRuntime) {
  /** @type {Array<[string, () => Promise<any>]>} */
  const cases = [['node -e 0', () => run(process.execPath, ['-e', '0'])]];
  const probe = `${TAG}-probe`;
  const xml = path.join(work, `${probe}.xml`);
  writeFileSync(xml, domainXml(probe, work, path.join(work, `${probe}.serial`)));
  const vs = ['vireo-compiled', 'vireo-node'].map((k) => tools[k]).filter((t) => t !== undefined);
  if (vs.length > 0) {
    vs[0].defined.add(probe);
    await vs[0].cli(['define', xml]);
  }
  for (const v of vs) {
    cases.push(
      [`${v.key} --version (start-up + loading the CLI)`, () => run(...vireoCommand(['--version'], { runtime: v.runtime }))],
      [`${v.key} uri (+ connect, GET /v1/host)`, () => v.cli(['uri'])],
      [`${v.key} list --all (1 domain, shut off)`, () => v.cli(['list', '--all'])],
      [`${v.key} dominfo (shut off)`, () => v.cli(['dominfo', probe])],
    );
  }
  if (vs.length > 0) cases.push([`bin/vireo --version (picks the ${binRuntime} CLI)`, () => run(VIREO_BIN, ['--version'])]);
  if (vs.length > 0) {
    const sock = vs[0].daemon.socket;
    cases.push(
      ['  API GET /v1/domains, in-process (daemon share)', () => apiGet(sock, '/v1/domains').then((ms) => ({ ms, code: 0 }))],
      ['  API GET /v1/domains/NAME, in-process', () => apiGet(sock, `/v1/domains/${probe}`).then((ms) => ({ ms, code: 0 }))],
    );
  }
  const s = tools.virsh;
  if (s) {
    s.defined.add(probe);
    await s.cli(['define', xml]);
    cases.push(
      ['virsh --version (no connection)', () => run(which('virsh'), ['--version'])],
      ['virsh uri (+ connect)', () => s.cli(['uri'])],
      ['virsh list --all (1 domain, shut off)', () => s.cli(['list', '--all'])],
      ['virsh dominfo (shut off)', () => s.cli(['dominfo', probe])],
    );
  }
  const out = [];
  for (const [label, fn] of cases) {
    const xs = [];
    await fn(); // warm the page cache
    for (let k = 0; k < Math.max(n, 10); k++) {
      const r = await fn().catch((e) => ({ code: -1, stderr: e.message }));
      if (r.code !== 0) {
        xs.length = 0;
        process.stderr.write(`${label}: exit ${r.code}: ${(r.stderr ?? '').trim()}\n`);
        break;
      }
      xs.push(r.ms);
    }
    out.push({ label, samples: xs });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = new Date();
  const work = makeWorkDir();
  const build = ONLY.has('vireo') ? await useBuild(opts.build) : 'n/a';
  const tools = {};
  for (const t of await vireoTools()) tools[t.key] = t;
  const binRuntime = ONLY.has('vireo') && vireoAvailable() ? await binVireoRuntime() : 'n/a';
  tools.virsh = await virshTool();
  const contenders = ['vireo-compiled', 'vireo-node', 'virsh'].filter((k) => tools[k] !== undefined);

  // Bare QEMU: vireo's exact argv when it can be captured, else the equivalent built here.
  let argvFor;
  let argvSource = 'none';
  const procs = new Set();
  onCleanup(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all([...procs].map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', r)))));
  });
  if (ONLY.has('qemu')) {
    const vt = tools['vireo-compiled'] ?? tools['vireo-node'];
    const cap = vt ? await captureVireoArgv(vt, work) : undefined;
    if (cap !== undefined && adaptArgv(cap, work, 'x', 'x', 'x') !== undefined) {
      argvFor = (dir, name, mon, serial) => adaptArgv(cap, dir, name, mon, serial);
      argvSource = "vireo's own QEMU argv (captured from /proc)";
    } else {
      argvFor = (dir, name, mon, serial) => builtArgv(work, name, mon, serial);
      argvSource = "the argv vireo's src/qemu/argv.ts builds for this XML (rebuilt here)";
    }
  }
  const parties = [...contenders, ...(argvFor ? ['qemu'] : [])];
  if (parties.length === 0) throw new Error('nothing to measure');

  console.log(`vireo: ${build}`);
  console.log(`lifecycle bench: ${opts.runs} runs (+${opts.warmup} warm-up), ${opts.memory} MiB TCG guest, q35, serial to file`);
  console.log(`contenders: ${[...contenders.map((k) => tools[k].label), ...(argvFor ? ['bare QEMU'] : [])].join(', ')}${tools.virsh?.version ? ` (libvirt ${tools.virsh.version})` : ''}`);
  if (argvFor) console.log(`bare QEMU uses ${argvSource}`);
  if (binRuntime !== 'n/a') console.log(`bin/vireo, as built, runs the ${binRuntime} CLI`);

  const samples = Object.fromEntries(parties.map((k) => [k, {}]));
  const failed = Object.fromEntries(parties.map((k) => [k, {}]));
  samples.qemu ??= {};
  const failures = [];
  const total = opts.warmup + opts.runs;
  for (let i = 0; i < total; i++) {
    const warm = i < opts.warmup;
    // Rotate the order so that drifting machine load is spread over all contenders.
    const order = parties.map((_, k) => parties[(k + i) % parties.length]);
    for (const who of order) {
      const label = `${warm ? 'warm-up' : `run ${i - opts.warmup + 1}/${opts.runs}`} ${who}`;
      process.stderr.write(`${label} ... `);
      const t0 = now();
      const rec = {};
      try {
        if (who === 'qemu') await bareRun(argvFor, work, i, procs, rec);
        else await managerRun(tools[who], work, i, rec);
        process.stderr.write(`${fmtMs(now() - t0)}\n`);
      } catch (e) {
        process.stderr.write(`FAILED\n  ${e.message}\n`);
        failures.push(`${label}: ${e.message}`);
        if (!warm && rec.failedOp !== undefined) (failed[who][rec.failedOp] ??= []).push(i);
        if (tools[who]) await recover(tools[who]);
      }
      delete rec.failedOp;
      if (!warm) for (const [k, v] of Object.entries(rec)) (samples[who][k] ??= []).push(v);
    }
  }

  const floors = await breakdown(tools, work, opts.runs, binRuntime);
  report({ started, samples, failed, floors, failures, contenders, argvSource, tools });
  if (opts.json) {
    const labels = Object.fromEntries(contenders.map((k) => [k, tools[k].label]));
    writeFileSync(opts.json, JSON.stringify({ date: started.toISOString(), build, opts, labels, binRuntime, argvSource, samples, floors, failures }, null, 2) + '\n');
    console.log(`\nraw samples written to ${opts.json}`);
  }
}

function report({ started, samples, failed, floors, failures, contenders, argvSource, tools }) {
  const med = (who, op) => median(samples[who]?.[op] ?? []);
  const failMark = (who, op) => (failed[who]?.[op] ? ` (${failed[who][op].length} failed)` : '');
  const floorOf = Object.fromEntries(FLOORS.flatMap(([k, , ops]) => [ops ?? []].flat().map((op) => [op, k])));
  const vireos = contenders.filter((k) => k !== 'virsh');
  const hasVirsh = contenders.includes('virsh');
  const short = (k) => k;

  console.log(`\n== Lifecycle, whole commands, median of ${opts.runs} (${started.toISOString().slice(0, 10)}) ==`);
  for (const k of vireos) console.log(`${k}: ${tools[k].label}`);
  const header = [
    'operation',
    ...vireos.map(short),
    'virsh',
    ...vireos.map((k) => `${short(k)}/virsh`),
    ...vireos.map((k) => `${short(k)} min–max`),
    'virsh min–max',
    'bare QEMU floor',
  ];
  const rows = OPS.map(([op, label]) => {
    const s = med('virsh', op);
    const f = floorOf[op] ? median(samples.qemu[floorOf[op]] ?? []) : NaN;
    return [
      label,
      ...vireos.map((k) => fmtMs(med(k, op))),
      hasVirsh ? fmtMs(s) : 'n/a',
      ...vireos.map((k) => (Number.isFinite(med(k, op) / s) ? `${(med(k, op) / s).toFixed(2)}×` : '—')),
      ...vireos.map((k) => fmtRange(samples[k][op] ?? []) + failMark(k, op)),
      hasVirsh ? fmtRange(samples.virsh[op] ?? []) + failMark('virsh', op) : '',
      Number.isFinite(f) ? fmtMs(f) : '',
    ];
  });
  console.log(table(header, rows));

  if (Object.keys(samples.qemu).length > 0) {
    console.log(`\n== Bare QEMU (no manager; ${argvSource}) ==`);
    console.log(
      table(
        ['step', 'median', 'min–max'],
        FLOORS.map(([k, label]) => [label, fmtMs(median(samples.qemu[k] ?? [])), fmtRange(samples.qemu[k] ?? [])]),
      ),
    );
  }

  console.log('\n== One-shot commands without a guest running: where the time goes ==');
  console.log(table(['command', 'median', 'min–max'], floors.map((f) => [f.label, fmtMs(median(f.samples)), fmtRange(f.samples)])));

  if (failures.length > 0) {
    console.log(`\n== Failures (${failures.length}) ==`);
    for (const f of failures) console.log(`- ${f}`);
  }
  const nodeV = process.version;
  const qemuV = versionOf(which('qemu-system-x86_64') ?? 'qemu-system-x86_64', ['--version']);
  console.log(`\nnode ${nodeV}; ${qemuV ?? 'qemu ?'}; ${contenders.includes('virsh') ? '' : 'virsh: not available; '}machine is shared: figures are noisy`);
}

void mainWrapper(main);
