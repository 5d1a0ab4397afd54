/**
 * The process runner: the only module in vireo that spawns processes.
 * Always argument arrays, never a shell string.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Stream } from 'node:stream';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a short-lived command to completion and collect its output. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    // Our own time-out rather than spawn's: spawn's timer outlives a command that failed to
    // start (no 'exit' follows the 'error'), holding the caller's process open for its length.
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 60_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A child that exits without reading its input closes the pipe under us (EPIPE): its exit
    // status says what happened, so that is no error of ours (it used to crash the caller).
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export interface DetachedOptions {
  /** File that receives the child's stdout and stderr (appended). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Open descriptors the child inherits as 3, 4, ... (the caller still owns and closes its own). */
  passFds?: readonly number[];
}

export interface DetachedChild {
  pid: number;
  /** Settles when the child exits while this process is still its parent. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start a long-lived process in its own session, detached from the caller, so that it
 * outlives the daemon. Resolves once the kernel has created it.
 */
export function spawnDetached(cmd: string, args: readonly string[], opts: DetachedOptions): Promise<DetachedChild> {
  return new Promise((resolve, reject) => {
    const out = openSync(opts.logFile, 'a', 0o600);
    const options: SpawnOptions = { detached: true, stdio: ['ignore', out, out, ...(opts.passFds ?? [])], env: opts.env ?? process.env };
    if (opts.cwd !== undefined) options.cwd = opts.cwd;
    const child = spawn(cmd, args, options);
    closeSync(out);
    child.once('error', reject);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.once('exit', (code, signal) => res({ code, signal })),
    );
    child.once('spawn', () => {
      child.unref();
      resolve({ pid: child.pid!, exited });
    });
  });
}

/** Send a signal, ignoring a process that is already gone. */
export function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/**
 * The kernel's start time of a process (clock ticks since boot, /proc/PID/stat field 22), used
 * with the pid to recognise the same process after a daemon restart. Undefined if it is gone.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  const stat = await readProcStat(pid);
  return stat === undefined ? undefined : Number(stat.fields[18]);
}

/** A process's command line (argv), or undefined when it is gone. */
export async function processCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

/** True when the process is gone or a zombie. */
export async function processGone(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

/** CPU time (user + system) of a process in nanoseconds, or 0 when unknown. */
export async function processCpuTimeNs(pid: number): Promise<number> {
  const stat = await readProcStat(pid);
  if (stat === undefined) return 0;
  const ticks = Number(stat.fields[10]) + Number(stat.fields[11]);
  return Math.round((ticks * 1e9) / CLOCK_TICKS);
}

/** USER_HZ; 100 on every Linux architecture vireo runs on. */
const CLOCK_TICKS = 100;

async function readProcStat(pid: number): Promise<{ state: string; fields: string[] } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[N - 4] is field N of proc(5).
  return { state: rest[0] ?? '?', fields: rest.slice(1) };
}

/** Wait until a process is gone (polling /proc), up to timeoutMs. Resolves true if it went. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    if (await processGone(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Run a command on the caller's own terminal (stdin, stdout and stderr inherited) and wait for
 * it: the user's editor, for `vireo edit`. The caller must stop reading stdin meanwhile.
 */
export function runAttached(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: opts.env ?? process.env });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Copy everything from `input` (a socket, pipe or file: its descriptor is given to the child)
 * to the open descriptor `outFd` at its current offset, with `cat`: the kernel moves the bytes
 * between the two descriptors, which is several times faster than reading them into Node and
 * writing them out again. `kill` ends the copy early. Resolves with cat's exit and error output.
 */
export function copyFd(input: Stream | number, outFd: number): { done: Promise<RunResult>; kill(): void } {
  const child = spawn('cat', [], { stdio: [input, outFd, 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}
