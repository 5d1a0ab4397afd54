/**
 * Shared pieces of the benchmarks: timing whole commands, a private vireod, a tiny QMP client,
 * /proc helpers, statistics and cleanup that runs even when a benchmark fails or is interrupted.
 * Plain Node ESM, no dependencies.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the vireo build being measured lives: the repo, or a build made for the benchmark (useBuild). */
export let BUILD = REPO;
export let VIREO_BIN = path.join(REPO, 'bin', 'vireo');
export let VIREOD_BIN = path.join(REPO, 'bin', 'vireod');
/** The compiled CLI that bin/vireo runs when the build made one (else bin/vireo runs on Node). */
export let VIREO_COMPILED = path.join(REPO, 'dist', 'vireo-cli');

function setBuild(dir) {
  BUILD = dir;
  VIREO_BIN = path.join(dir, 'bin', 'vireo');
  VIREOD_BIN = path.join(dir, 'bin', 'vireod');
  VIREO_COMPILED = path.join(dir, 'dist', 'vireo-cli');
}

/**
 * What to measure. 'head' (default): the last commit, exported with `git archive` into a temp dir
 * and built there (tsc, plus scripts/build-cli.sh when the commit has it), so that other people's
 * uncommitted edits and rebuilds of dist/ during a run can neither break nor change the figures,
 * and the figures name a commit. 'dist': a copy of the working tree's current bin/ and dist/ as
 * they are (retried while they do not load: a build may be in progress). 'in-place': the repo
 * itself. Returns a one-line description.
 */
export async function useBuild(mode) {
  if (mode === 'in-place') return `the working tree in place (${REPO})`;
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-bench-build-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  if (mode === 'head') {
    const commit = (await must('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
    await must('sh', ['-c', 'git -C "$1" archive HEAD | tar -x -C "$2"', 'sh', REPO, dir]);
    await must(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { timeoutMs: 300_000 });
    let cli = 'Node CLI only';
    if (existsSync(path.join(dir, 'scripts', 'build-cli.sh'))) {
      const r = await run('bash', [path.join(dir, 'scripts', 'build-cli.sh')], { timeoutMs: 300_000 });
      cli = r.code === 0 && existsSync(path.join(dir, 'dist', 'vireo-cli')) ? 'plus the compiled CLI' : `compiled CLI not built: ${r.stderr.trim()}`;
    }
    setBuild(dir);
    return `commit ${commit}, built in ${dir} (${cli})`;
  }
  const deadline = now() + 120_000;
  for (let attempt = 1; ; attempt++) {
    rmSync(path.join(dir, 'bin'), { recursive: true, force: true });
    rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
    for (const d of ['bin', 'dist']) cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true, preserveTimestamps: true });
    copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
    // Every module must load: import the CLI's, the daemon's and the server's modules in a child.
    const mods = ['dist/src/cli/main.js', 'dist/src/daemon/daemon.js', 'dist/src/server/http.js'].map((m) => path.join(dir, m));
    const check = await run(process.execPath, ['--input-type=module', '-e', mods.map((m) => `await import(${JSON.stringify(m)});`).join(' ')]);
    const cli = await run(path.join(dir, 'bin', 'vireo'), ['--version']);
    if (check.code === 0 && cli.code === 0) {
      setBuild(dir);
      return `a copy of the working tree's bin/ and dist/ (${dir})`;
    }
    if (now() > deadline) throw new Error(`the build in ${REPO} does not load (is a build in progress?):\n${check.stderr}${cli.stderr}`);
    process.stderr.write(`build copy ${attempt}: does not load yet (a build in progress?); retrying in 5 s\n`);
    await sleep(5000);
  }
}
export const GUEST_DIR = process.env.VIREO_GUEST_DIR ?? path.join(REPO, '.cache', 'guest');
export const READY_LINE = 'vireo-guest: ready';

/** The tiny test guest's domain XML, the same for every manager; `serial` is its serial/console device XML. */
export function benchGuestXml(name, dir, memoryMiB, serial) {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${dir}/vmlinux</kernel>
    <initrd>${dir}/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <devices>
    ${serial}
    <memballoon model='virtio'/>
  </devices>
</domain>
`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();

/**
 * Run a whole command as its own process and time it from spawn to the close of its output
 * (what a shell script calling it would wait for).
 */
export function run(cmd, args, { input, timeoutMs = 120_000, env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: now() - t0, code: code ?? -1, signal, stdout, stderr });
    });
    p.stdin.on('error', () => {}); // the command may exit without reading its input
    p.stdin.end(input ?? '');
  });
}

/** Like run(), but a non-zero exit is an error naming the command and its stderr. */
export async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const e = new Error(`${path.basename(cmd)} ${args.join(' ')} -> exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${(r.stderr || r.stdout).trim()}`);
    e.result = r;
    throw e;
  }
  return r;
}

/** Poll `cond` until true; `intervalMs` small so the poll itself adds little to a measurement. */
export async function waitFor(cond, timeoutMs, what, intervalMs = 2) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** True once `file` holds `text` (the serial console log of a guest). */
export function fileHas(file, text) {
  try {
    return readFileSync(file, 'latin1').includes(text);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// /proc

export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

/** Pids of QEMU processes whose command line contains `needle`. */
export function qemuPids(needle) {
  const pids = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const argv = cmdline(p);
    if (argv === undefined || argv.length === 0) continue;
    if (!path.basename(argv[0]).startsWith('qemu-system')) continue;
    if (argv.some((a) => a.includes(needle))) pids.push(Number(p));
  }
  return pids;
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A field of /proc/PID/status in KiB (VmRSS, VmHWM, ...). */
export function statusKiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

export function killPids(pids, signal = 'SIGKILL') {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup that runs on success, failure, Ctrl-C and SIGTERM.

const cleanups = [];
let cleaning;
let interrupted = false;

/** Register an async cleanup; they run last-registered first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export function runCleanups() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`cleanup: ${e?.message ?? e}\n`);
      }
    }
  })();
  return cleaning;
}

process.on('uncaughtException', (e) => {
  process.stderr.write(`\nFAILED (uncaught): ${e?.stack ?? e}\n`);
  void runCleanups().then(() => process.exit(1));
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted = true;
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void runCleanups().then(() => process.exit(130));
  });
}

/** Run `main`, then the cleanups whatever happened; exit 1 on failure. */
export async function mainWrapper(main) {
  let failed = false;
  try {
    await main();
  } catch (e) {
    failed = true;
    if (!interrupted) process.stderr.write(`\nFAILED: ${e?.stack ?? e}\n`);
  } finally {
    await runCleanups();
  }
  process.exit(interrupted ? 130 : failed ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// vireod in a private root

export class Vireod {
  /**
   * `netns`: run the daemon inside that network namespace (`ip netns exec`, which execs it: the
   * child's pid is the daemon's), in its own process group so that a Ctrl-C reaches the benchmark
   * only and its clean-up can still stop networks and guests through the daemon.
   */
  constructor(root, { netns } = {}) {
    this.root = root ?? mkdtempSync(path.join(tmpdir(), 'vireo-bench-'));
    this.netns = netns;
    this.socket = path.join(this.root, 'run', 'vireod.sock');
    this.uri = `vireo+unix:///system?socket=${this.socket}`;
    this.logFile = path.join(this.root, 'vireod.stderr');
    this.proc = undefined;
  }

  get pid() {
    return this.proc?.pid;
  }

  /**
   * Run the vireo CLI as a whole process against this daemon: bin/vireo as built by default;
   * `runtime: 'node'` forces its Node path, `runtime: 'compiled'` runs dist/vireo-cli itself.
   */
  cli(args, opts) {
    return run(...vireoCommand(['-c', this.uri, ...args], opts));
  }

  mustCli(args, opts) {
    return must(...vireoCommand(['-c', this.uri, ...args], opts));
  }

  /** Start vireod, registering its cleanup first, and wait until `vireo uri` answers. */
  async start() {
    if (!this.cleanupRegistered) onCleanup(() => this.cleanup());
    this.cleanupRegistered = true;
    const fd = openSync(this.logFile, 'a');
    const [cmd, args] = this.netns === undefined ? [VIREOD_BIN, ['--root', this.root]] : ['ip', ['netns', 'exec', this.netns, VIREOD_BIN, '--root', this.root]];
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', fd], detached: this.netns !== undefined });
    closeSync(fd);
    let exited = false;
    this.proc.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`vireod exited during start-up:\n${readFileSync(this.logFile, 'utf8')}`);
        return existsSync(this.socket) && (await this.cli(['uri'])).code === 0;
      },
      30_000,
      'vireod to answer',
      20,
    );
  }

  /** Stop the daemon and every QEMU it started, then start it again on the same root. */
  async restart() {
    await this.stop();
    await this.start();
  }

  /** Stop the daemon, kill every QEMU it started (they outlive it by design), remove the root. */
  async cleanup() {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }

  async stop() {
    const p = this.proc;
    if (p !== undefined && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await gone;
      }
    }
    killPids(qemuPids(this.root));
    await waitFor(() => qemuPids(this.root).length === 0, 10_000, 'vireo QEMU processes to exit', 20).catch((e) =>
      process.stderr.write(`cleanup: ${e.message}\n`),
    );
  }
}

/** [command, args, run options] for the vireo CLI in the given runtime (see Vireod.cli). */
export function vireoCommand(args, opts = {}) {
  const { runtime, ...rest } = opts;
  const env = { ...process.env, VIREO_DEFAULT_URI: '', ...rest.env };
  if (runtime === 'node') env.VIREO_CLI_RUNTIME = 'node';
  return [runtime === 'compiled' ? VIREO_COMPILED : VIREO_BIN, args, { ...rest, env }];
}

/**
 * Which runtime bin/vireo picks right now (its wrapper prefers an up-to-date compiled CLI): start
 * it reading commands from stdin and look at what its process became.
 */
export async function binVireoRuntime() {
  const p = spawn(VIREO_BIN, ['-c', 'vireo:///system'], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, VIREO_DEFAULT_URI: '' } });
  const gone = new Promise((r) => p.once('exit', r));
  let exe;
  const deadline = now() + 3000;
  while (now() < deadline && p.exitCode === null) {
    try {
      exe = readlinkSync(`/proc/${p.pid}/exe`);
      if (!/\/(ba|da)?sh$/.test(exe)) break;
    } catch {
      break;
    }
    await sleep(2);
  }
  p.stdin.end();
  await Promise.race([gone, sleep(2000)]);
  if (p.exitCode === null) p.kill('SIGKILL');
  if (exe === undefined) return 'unknown';
  if (exe === readlinkSafe(VIREO_COMPILED) || path.basename(exe) === path.basename(VIREO_COMPILED)) return 'compiled';
  if (path.basename(exe).startsWith('node')) return 'node';
  return exe;
}

function readlinkSafe(p) {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export function vireoAvailable() {
  return existsSync(VIREO_BIN) && existsSync(VIREOD_BIN);
}

// ---------------------------------------------------------------------------------------------
// A minimal QMP client (line-delimited JSON over a Unix socket)

export class Qmp {
  /** Connect, retrying until the socket exists and accepts; resolves at the greeting. */
  static async connect(sockPath, timeoutMs = 30_000) {
    const deadline = now() + timeoutMs;
    for (;;) {
      try {
        const q = new Qmp();
        await q.open(sockPath);
        return q;
      } catch (e) {
        if (now() > deadline) throw new Error(`QMP ${sockPath}: ${e.message}`, { cause: e });
        await sleep(1);
      }
    }
  }

  open(sockPath) {
    this.buf = '';
    this.waiters = [];
    this.events = [];
    this.eventWaiters = [];
    return new Promise((resolve, reject) => {
      const s = connect(sockPath);
      this.sock = s;
      let greeted = false;
      s.setEncoding('utf8');
      s.once('error', (e) => (greeted ? undefined : reject(e)));
      s.on('error', () => {});
      s.on('data', (/** @type {string} (setEncoding above) */ d) => {
        this.buf += d;
        let i;
        while ((i = this.buf.indexOf('\n')) >= 0) {
          const line = this.buf.slice(0, i).trim();
          this.buf = this.buf.slice(i + 1);
          if (line === '') continue;
          const msg = JSON.parse(line);
          if (msg.QMP !== undefined) {
            greeted = true;
            resolve();
          } else if (msg.event !== undefined) {
            this.events.push(msg);
            for (const w of this.eventWaiters.splice(0)) w();
          } else {
            const w = this.waiters.shift();
            if (w === undefined) continue;
            if (msg.error) w.reject(new Error(`QMP ${w.cmd}: ${msg.error.desc}`));
            else w.resolve(msg.return);
          }
        }
      });
      s.on('close', () => {
        for (const w of this.waiters.splice(0)) w.reject(new Error('QMP connection closed'));
        for (const w of this.eventWaiters.splice(0)) w();
        if (!greeted) reject(new Error('closed before greeting'));
      });
    });
  }

  execute(cmd, args) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject, cmd });
      this.sock.write(JSON.stringify(args === undefined ? { execute: cmd } : { execute: cmd, arguments: args }) + '\n');
    });
  }

  async waitEvent(name, timeoutMs) {
    const deadline = now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === name);
      if (i >= 0) return this.events.splice(i, 1)[0];
      if (now() > deadline || this.sock.destroyed) throw new Error(`no QMP event ${name} within ${timeoutMs} ms`);
      await Promise.race([new Promise((r) => this.eventWaiters.push(r)), sleep(Math.max(1, deadline - now()))]);
    }
  }

  close() {
    this.sock?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and table output

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtRange(xs) {
  if (xs.length === 0) return '—';
  return `${fmtMs(Math.min(...xs))}–${fmtMs(Math.max(...xs))}`;
}

/** Render rows (arrays of strings) as an aligned text table with a header rule. */
export function table(header, rows) {
  const all = [header, ...rows];
  const w = header.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ').trimEnd();
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export function parseArgs(argv, spec) {
  const out = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      out.help = true;
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m === null || !(m[1] in spec)) throw new Error(`unknown argument '${a}' (try --help)`);
    const key = m[1];
    if (typeof spec[key] === 'boolean') out[key] = true;
    else {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new Error(`--${key} needs a value`);
      out[key] = typeof spec[key] === 'number' ? Number(v) : v;
      if (typeof spec[key] === 'number' && !(out[key] >= 0)) throw new Error(`--${key}: not a number: ${v}`);
    }
  }
  return out;
}

/** `which`, without a shell. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}
