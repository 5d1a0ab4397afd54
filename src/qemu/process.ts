/**
 * Starting and stopping one QEMU process: spawn detached, wait for its monitor, terminate.
 * Knows nothing about domain state; the daemon drives it.
 */
import { promises as fs } from 'node:fs';
import { spawnDetached, signalPid, waitGone, type DetachedChild } from '../util/proc.js';
import { QmpClient } from './qmp/client.js';
import { Monitor } from './monitor.js';
import { VireoError } from '../api/errors.js';

export interface LaunchRequest {
  emulator: string;
  argv: string[];
  /** QMP socket path that the argv puts the monitor on. */
  monitor: string;
  /** The guest's name, for messages. */
  name: string;
  logFile: string;
  /** Working directory and HOME for QEMU. */
  runDir: string;
  timeoutMs?: number;
  /** Descriptors QEMU inherits as 3, 4, ... (a restore's image: `migrate-incoming fd:3`). */
  passFds?: readonly number[];
  /** Called (and awaited) as soon as the process exists, before its monitor is reached: the caller records the pid. */
  onSpawn?: (pid: number) => Promise<void>;
}

export interface Launched {
  child: DetachedChild;
  qmp: QmpClient;
  /** The typed monitor over `qmp`. */
  monitor: Monitor;
}

/** The environment QEMU runs in (also printed by domxml-to-native). */
export const QEMU_ENV = (runDir: string): Record<string, string> => ({
  LC_ALL: 'C', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: runDir,
});

/** Render argv as one shell-quoted line for the log and for domxml-to-native. */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Spawn QEMU and connect to its monitor. On failure the process is killed and the error names QEMU's own words. */
export async function launchQemu(req: LaunchRequest): Promise<Launched> {
  await fs.rm(req.monitor, { force: true });
  const env = QEMU_ENV(req.runDir);
  await fs.appendFile(req.logFile, `${new Date().toISOString()}: starting up\n${shellQuote([req.emulator, ...req.argv])}\n`);
  const child = await spawnDetached(req.emulator, req.argv, { logFile: req.logFile, env, cwd: req.runDir, passFds: req.passFds });
  let exited = false;
  void child.exited.then(() => (exited = true)); // exited never rejects
  try {
    await req.onSpawn?.(child.pid);
  } catch (e) {
    await killQemu(child.pid, { graceful: false });
    throw e;
  }
  const deadline = Date.now() + (req.timeoutMs ?? 30_000);
  // QEMU creates the monitor socket early in its start-up; poll for it with a short back-off.
  for (let delay = 1; ; delay = Math.min(delay * 2, 4)) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the exited callback during the awaits
    if (exited) throw await startupFailure(req.logFile);
    try {
      const qmp = await QmpClient.connect(req.monitor, { timeoutMs: 30_000 });
      return { child, qmp, monitor: new Monitor(qmp, { name: req.name }) };
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the exited callback during the awaits
      if (exited) throw await startupFailure(req.logFile);
      if (Date.now() > deadline) {
        await killQemu(child.pid, { graceful: false });
        throw VireoError.of('QEMU_FAILED', `QEMU did not open its monitor within ${req.timeoutMs ?? 30_000} ms`, { cause: e });
      }
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function startupFailure(logFile: string): Promise<VireoError> {
  const log = await fs.readFile(logFile, 'utf8').catch(() => '');
  const lines = log.trimEnd().split('\n');
  const start = lines.findLastIndex((l) => l.endsWith(': starting up'));
  const own = lines.slice(start + 2).filter((l) => l.trim() !== '').map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z? ?/, ''));
  const msg = own.length > 0 ? own.join('; ') : 'QEMU exited during start-up without a message';
  // libvirt's exact words, which users search for; QEMU_FAILED's other messages carry no prefix.
  return new VireoError('QEMU_FAILED', `internal error: process exited while connecting to monitor: ${msg}`);
}

/**
 * Stop a QEMU process: SIGTERM, then SIGKILL after a grace period unless `graceful`.
 * Resolves true when the process is gone.
 */
export async function killQemu(pid: number, opts: { graceful: boolean; graceMs?: number }): Promise<boolean> {
  signalPid(pid, 'SIGTERM');
  // A stopped process (SIGSTOP, a debugger) acts on SIGTERM only once it runs again.
  signalPid(pid, 'SIGCONT');
  if (await waitGone(pid, opts.graceMs ?? 3000)) return true;
  if (opts.graceful) return false;
  signalPid(pid, 'SIGKILL');
  return waitGone(pid, 5000);
}
