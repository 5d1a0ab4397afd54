/**
 * One dnsmasq per network, run as libvirt runs it: dnsmasq daemonizes itself, and its
 * foreground process exits 0 once it serves (or non-zero with the reason, e.g. an address it
 * cannot bind), which is the readiness signal. vireo records its pid and /proc start time, finds
 * it again after a daemon restart (pid, start time and --conf-file on its command line), watches
 * it (it is not our child, so by polling /proc) and starts it again when it dies, with an event
 * for the caller. Leases live in dnsmasq's lease file, which it reads back when it starts.
 */
import { mkdir, rm } from 'node:fs/promises';
import { VireoError } from '../api/errors.js';
import { readFileIfExists, writeFileAtomic } from '../util/atomic.js';
import { logger } from '../util/log.js';
import { processCmdline, processGone, processStartTime, run, signalPid, waitGone } from '../util/proc.js';
import { dnsmasqFiles, dnsmasqPaths, type DnsmasqPaths } from './dnsmasq-conf.js';
import { readLeases, type Lease } from './leases.js';
import type { NetworkSpec } from './types.js';

const log = logger('dnsmasq');

export type DnsmasqEvent =
  | { kind: 'died'; network: string; pid: number }
  | { kind: 'restarted'; network: string; pid: number }
  /** It died or failed to start too often (5 times in a minute); it is no longer watched. */
  | { kind: 'gave-up'; network: string; error: VireoError };

export interface DnsmasqOptions {
  /** Directory of the network's dnsmasq files (conf, hosts files, pid, leases); created 0755. */
  dir: string;
  /** The dnsmasq binary (default: `dnsmasq` on PATH). */
  binary?: string;
  onEvent?: (e: DnsmasqEvent) => void;
  /** How often the process is checked (default 1000 ms). */
  pollMs?: number;
}

interface Status {
  pid: number;
  startTime: number;
  conf: string;
}

const RESTARTS = 5;
const WINDOW_MS = 60_000;

const statusFile = (p: DnsmasqPaths): string => p.conf.replace(/\.conf$/, '.dnsmasq.json');

// dnsmasq drops to user nobody, which must still read the hosts files when it gets SIGHUP.
async function writeFiles(spec: NetworkSpec, paths: DnsmasqPaths, dir: string): Promise<void> {
  const files = dnsmasqFiles(spec, paths);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(paths.hostsFile, files.hostsFile, 0o644);
  await writeFileAtomic(paths.addnHosts, files.addnHosts, 0o644);
  await writeFileAtomic(paths.conf, files.conf, 0o644);
}

async function launch(name: string, paths: DnsmasqPaths, binary: string): Promise<Status> {
  await rm(paths.pidFile, { force: true });
  let r;
  try {
    r = await run(binary, [`--conf-file=${paths.conf}`, `--dhcp-leasefile=${paths.leaseFile}`], { timeoutMs: 30_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VireoError('NO_SUPPORT', `cannot start DHCP and DNS for network ${name}: ${binary} is not installed`, { hint: 'install dnsmasq (Debian: dnsmasq-base)', cause: e });
    }
    throw e;
  }
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n')[0]?.replace(/^dnsmasq: /, '') || `exit status ${r.code ?? r.signal}`;
    throw VireoError.of('OPERATION_FAILED', `dnsmasq failed to start for network ${name}: ${why}`);
  }
  const pid = Number((await readFileIfExists(paths.pidFile))?.trim());
  const startTime = Number.isInteger(pid) && pid > 0 ? await processStartTime(pid) : undefined;
  if (startTime === undefined) throw VireoError.of('OPERATION_FAILED', `dnsmasq for network ${name} started but left no running process (pid file ${paths.pidFile})`);
  const status = { pid, startTime, conf: paths.conf };
  try {
    await writeFileAtomic(statusFile(paths), JSON.stringify(status) + '\n', 0o644);
  } catch (e) {
    // Unrecorded, it could not be found again after a restart: better not running at all.
    await kill(status);
    throw e;
  }
  return status;
}

async function isOurs(pid: number, paths: DnsmasqPaths): Promise<boolean> {
  const argv = await processCmdline(pid);
  return argv !== undefined && argv.includes(`--conf-file=${paths.conf}`) && !(await processGone(pid));
}

/** The running dnsmasq of these files: by the recorded pid and start time, else by the pid file. */
async function findRunning(paths: DnsmasqPaths): Promise<Status | undefined> {
  let st: Partial<Status> = {};
  try {
    st = JSON.parse((await readFileIfExists(statusFile(paths))) ?? '{}') as Partial<Status>;
  } catch {
    // A torn or foreign status file: fall back to dnsmasq's own pid file.
  }
  if (typeof st.pid === 'number' && typeof st.startTime === 'number' && st.conf === paths.conf) {
    if ((await processStartTime(st.pid)) === st.startTime && (await isOurs(st.pid, paths))) return st as Status;
  }
  const pid = Number((await readFileIfExists(paths.pidFile))?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || !(await isOurs(pid, paths))) return undefined;
  const startTime = await processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime, conf: paths.conf };
}

async function kill(st: Status): Promise<void> {
  // Only the process recorded: a recycled pid belongs to someone else.
  if ((await processStartTime(st.pid)) !== st.startTime) return;
  signalPid(st.pid, 'SIGTERM');
  if (await waitGone(st.pid, 5000)) return;
  signalPid(st.pid, 'SIGKILL');
  await waitGone(st.pid, 2000);
}

async function removeFiles(paths: DnsmasqPaths): Promise<void> {
  // The lease file stays: guests keep their addresses across a network restart.
  for (const f of [paths.conf, paths.hostsFile, paths.addnHosts, paths.pidFile, statusFile(paths)]) await rm(f, { force: true });
}

/** A network's running dnsmasq. */
export class Dnsmasq {
  private timer: NodeJS.Timeout | undefined;
  private watching = true;
  private restarts: number[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private checkQueued = false;

  private constructor(private spec: NetworkSpec, readonly paths: DnsmasqPaths, private readonly opts: DnsmasqOptions, private status: Status) {
    this.timer = setInterval(() => this.poll(), opts.pollMs ?? 1000);
    this.timer.unref();
  }

  get pid(): number {
    return this.status.pid;
  }

  /** Write the network's dnsmasq files and start it; resolves once it serves. */
  static async start(spec: NetworkSpec, opts: DnsmasqOptions): Promise<Dnsmasq> {
    const paths = dnsmasqPaths(opts.dir, spec.name);
    await writeFiles(spec, paths, opts.dir);
    try {
      return new Dnsmasq(spec, paths, opts, await launch(spec.name, paths, opts.binary ?? 'dnsmasq'));
    } catch (e) {
      await removeFiles(paths);
      throw e;
    }
  }

  /** Find the network's dnsmasq still running from before a daemon restart; undefined if there is none. */
  static async reconnect(spec: NetworkSpec, opts: DnsmasqOptions): Promise<Dnsmasq | undefined> {
    const paths = dnsmasqPaths(opts.dir, spec.name);
    const st = await findRunning(paths);
    return st === undefined ? undefined : new Dnsmasq(spec, paths, opts, st);
  }

  /** Stop a network's dnsmasq found by its files (no handle, e.g. after a restart) and remove them. */
  static async stopByFiles(network: string, dir: string): Promise<void> {
    const paths = dnsmasqPaths(dir, network);
    const st = await findRunning(paths);
    if (st !== undefined) await kill(st);
    await removeFiles(paths);
  }

  /** The leases in its lease file. */
  leases(): Promise<Lease[]> {
    return readLeases(this.paths.leaseFile);
  }

  /**
   * Apply a changed network: new hosts files are re-read on SIGHUP (net-update of DHCP or DNS
   * hosts); any other change to the conf restarts dnsmasq, as libvirt does; no change, nothing.
   */
  update(spec: NetworkSpec): Promise<'unchanged' | 'reloaded' | 'restarted'> {
    return this.serial(async () => {
      const files = dnsmasqFiles(spec, this.paths);
      const [conf, hosts, addn] = await Promise.all([this.paths.conf, this.paths.hostsFile, this.paths.addnHosts].map((f) => readFileIfExists(f)));
      this.spec = spec;
      if (conf === files.conf && hosts === files.hostsFile && addn === files.addnHosts) return 'unchanged';
      await writeFiles(spec, this.paths, this.opts.dir);
      if (conf === files.conf) {
        signalPid(this.status.pid, 'SIGHUP');
        return 'reloaded';
      }
      await kill(this.status);
      this.status = await launch(spec.name, this.paths, this.opts.binary ?? 'dnsmasq');
      return 'restarted';
    });
  }

  /** Stop watching, leaving dnsmasq running (the daemon is shutting down). */
  detach(): void {
    this.watching = false;
    clearInterval(this.timer);
  }

  /** Stop it and remove its files (not the leases). */
  stop(): Promise<void> {
    this.detach();
    return this.serial(async () => {
      await kill(this.status);
      await removeFiles(this.paths);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private emit(e: DnsmasqEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch (err) {
      log.error('dnsmasq event handler failed', { error: String(err) });
    }
  }

  private poll(): void {
    if (this.checkQueued || !this.watching) return;
    this.checkQueued = true;
    void this.serial(async () => {
      this.checkQueued = false;
      if (!this.watching) return;
      const alive = !(await processGone(this.status.pid)) && (await processStartTime(this.status.pid)) === this.status.startTime;
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may have run during the awaits above
      if (alive || !this.watching) return;
      log.warn(`dnsmasq of network ${this.spec.name} died; starting it again`, { pid: this.status.pid });
      this.emit({ kind: 'died', network: this.spec.name, pid: this.status.pid });
      await this.restart();
    });
  }

  private async restart(): Promise<void> {
    let lastError: unknown;
    for (;;) {
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < WINDOW_MS);
      if (this.restarts.length >= RESTARTS || !this.watching) {
        if (!this.watching) return;
        this.detach();
        const error = lastError instanceof VireoError ? lastError
          : VireoError.of('OPERATION_FAILED', `dnsmasq of network ${this.spec.name} died or failed to start ${RESTARTS} times within a minute`, { cause: lastError });
        log.error(`giving up on dnsmasq of network ${this.spec.name}`, { error: error.message });
        this.emit({ kind: 'gave-up', network: this.spec.name, error });
        return;
      }
      // A start that just failed may succeed once whatever held its port lets go.
      if (lastError !== undefined) await new Promise((r) => setTimeout(r, 200 * this.restarts.length));
      this.restarts.push(Date.now());
      try {
        await writeFiles(this.spec, this.paths, this.opts.dir);
        this.status = await launch(this.spec.name, this.paths, this.opts.binary ?? 'dnsmasq');
        this.emit({ kind: 'restarted', network: this.spec.name, pid: this.status.pid });
        return;
      } catch (e) {
        lastError = e;
        log.warn(`dnsmasq of network ${this.spec.name} did not start again`, { error: String(e) });
      }
    }
  }
}
