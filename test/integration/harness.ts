/**
 * Integration harness: a real vireod in a temp root, the real vireo CLI, real QEMU (TCG)
 * booting the project's tiny guest (scripts/build-guest.sh). Each test gets its own daemon and
 * leaves no QEMU process behind.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync, rmdirSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { VireoClient } from '../../src/client/client.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const GUEST_DIR = process.env.VIREO_GUEST_DIR ?? path.join(REPO, '.cache', 'guest');
export const KERNEL = path.join(GUEST_DIR, 'vmlinux');
export const INITRD = path.join(GUEST_DIR, 'initrd.img');
export const READY_LINE = 'vireo-guest: ready';

// How long a test waits, at most, for what it waits on. Only a failing test waits that long, so
// both are generous: integration files run two at a time on two cores, guests run under TCG, and
// other work may share the machine.
/** Something vireod, QEMU or the CLI does at once: an event, a state change, an exit, an answer. */
export const SOON = 30_000;
/** A guest booting (or rebooting) to its ready line, or acting on a command typed into its shell. */
export const BOOT = 180_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GuestOptions {
  uuid?: string;
  type?: 'qemu' | 'kvm';
  memoryMiB?: number;
  vcpus?: number;
  title?: string;
  extraDevices?: string;
  onPoweroff?: string;
  onReboot?: string;
  onCrash?: string;
  /** Added to the kernel command line (e.g. vireo.hostname=NAME). */
  cmdline?: string;
}

/** Domain XML for the tiny test guest. */
export function guestXml(name: string, o: GuestOptions = {}): string {
  return `<domain type='${o.type ?? 'qemu'}'>
  <name>${name}</name>${o.uuid ? `\n  <uuid>${o.uuid}</uuid>` : ''}${o.title ? `\n  <title>${o.title}</title>` : ''}
  <memory unit='MiB'>${o.memoryMiB ?? 128}</memory>
  <vcpu>${o.vcpus ?? 1}</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${KERNEL}</kernel>
    <initrd>${INITRD}</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet${o.cmdline === undefined ? '' : ` ${o.cmdline}`}</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>${o.onPoweroff ?? 'destroy'}</on_poweroff>
  <on_reboot>${o.onReboot ?? 'restart'}</on_reboot>
  <on_crash>${o.onCrash ?? 'destroy'}</on_crash>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'/>${o.extraDevices ?? ''}
  </devices>
</domain>
`;
}

export class TestDaemon {
  readonly root: string;
  readonly socket: string;
  readonly uri: string;
  private proc: ChildProcess | undefined;
  stderr = '';
  /** Extra environment for vireod (e.g. VIREO_LOG_MAX_BYTES). */
  env: NodeJS.ProcessEnv = {};
  /**
   * This daemon's cgroup partition: its guests' groups go below it, so that two test daemons
   * (whose guests are both numbered from 1) never share one; cleanup() removes it.
   */
  readonly cgroupPartition: string;

  constructor(root?: string) {
    this.root = root ?? mkdtempSync(path.join(tmpdir(), 'vireo-test-'));
    this.socket = path.join(this.root, 'run', 'vireod.sock');
    this.uri = `vireo+unix:///system?socket=${this.socket}`;
    this.cgroupPartition = `/machine/${path.basename(this.root)}`;
  }

  /** Start vireod (with `extraArgs`) and wait until its API answers. */
  async start(extraArgs: string[] = []): Promise<void> {
    this.stderr = '';
    // bin/vireod itself, as users run it: it picks the Node LTS from node_modules.
    this.proc = spawn(path.join(REPO, 'bin', 'vireod'), ['--root', this.root, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VIREO_CGROUP_PARTITION: this.cgroupPartition, ...this.env } });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    const exited = new Promise<void>((resolve) => this.proc!.once('exit', () => resolve()));
    let done = false;
    void exited.then(() => (done = true));
    await waitFor(async () => {
      if (done) throw new Error(`vireod exited during start-up:\n${this.stderr}`);
      return existsSync(this.socket) && (await this.vireo(['uri'])).code === 0;
    }, SOON, 'vireod to answer');
  }

  /** Whether the daemon runs (a test may have stopped or killed it). */
  get running(): boolean {
    const p = this.proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  /** The running daemon's pid (bin/vireod execs Node, so this is Node's own). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Stop the daemon with a signal (SIGKILL: a crash; guests must survive either way). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    await gone;
    this.proc = undefined;
  }

  /** Run the CLI against this daemon, assert it succeeded, and give its stdout (bound: pass it around). */
  readonly ok = async (...args: string[]): Promise<string> => {
    const r = await this.vireo(args);
    assert.equal(r.code, 0, `vireo ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  /** Run the CLI against this daemon, assert it failed (exit 1), and give its stderr (bound). */
  readonly failing = async (...args: string[]): Promise<string> => {
    const r = await this.vireo(args);
    assert.equal(r.code, 1, `vireo ${args.join(' ')} should fail: ${r.stdout}`);
    return r.stderr;
  };

  /** Run the vireo CLI against this daemon. */
  vireo(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    return runCli(['-c', this.uri, ...args], opts);
  }

  /** One request to the daemon's JSON API (for what the CLI does not show). */
  api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = payload === undefined ? {} : { 'content-type': 'application/json' };
      const req = http.request({ socketPath: this.socket, method, path: urlPath, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text === '' ? undefined : (JSON.parse(text) as unknown) }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The QMP socket of a running guest, from its status file (for tests that act while vireod is down). */
  monitorOf(name: string): string {
    return (JSON.parse(readFileSync(path.join(this.root, 'run', 'domains', `${name}.json`), 'utf8')) as { monitor: string }).monitor;
  }

  /** Pids of QEMU processes started under this daemon's root. */
  qemuPids(): number[] {
    const pids: number[] = [];
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        if (cmd.startsWith('/usr/bin/qemu-system') || cmd.includes('qemu-system-x86_64')) {
          if (cmd.includes(this.root)) pids.push(Number(p));
        }
      } catch {
        // raced with exit
      }
    }
    return pids;
  }

  /**
   * Stop the daemon, kill any QEMU it left, remove the root. SIGTERM first, as a service manager
   * would: a daemon that exits writes its V8 coverage (scripts/run-tests.mjs); SIGKILL if it hangs.
   */
  async cleanup(): Promise<void> {
    const p = this.proc;
    const hung = setTimeout(() => p?.kill('SIGKILL'), SOON);
    try {
      await this.stop('SIGTERM');
    } finally {
      clearTimeout(hung);
    }
    for (const pid of this.qemuPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitFor(() => this.qemuPids().length === 0, SOON, 'QEMU processes to exit');
    // A killed QEMU holds its group until it is reaped (a zombie is still a member).
    await waitFor(() => this.cgroupDirs().every((dir) => removeCgroupTree(dir)), SOON, "this daemon's cgroups to empty");
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Wait until the guest's serial console shows `text` (read through the API, as a user would). */
  async waitConsole(name: string, text: string, timeoutMs = BOOT): Promise<void> {
    await waitFor(async () => (await this.vireo(['console-log', name])).stdout.includes(text), timeoutMs, `'${text}' on ${name}'s console`);
  }

  /**
   * Wait until the guest's shell has started on the console since its last boot (busybox sh
   * prints its banner, then the prompt): keys typed before that are lost.
   */
  async waitShell(name: string, timeoutMs = BOOT): Promise<void> {
    await waitFor(async () => {
      const log = (await this.vireo(['console-log', name])).stdout;
      const i = log.lastIndexOf(READY_LINE);
      return i >= 0 && SHELL_PROMPT.test(log.slice(i));
    }, timeoutMs, `the shell on ${name}'s console`);
  }

  /**
   * Run a shell command in the guest over its serial console, as a user at the console would,
   * and give what it printed (the lines between the typed command and an end marker, without
   * the shell's echo). The guest must have reached its shell (waitShell). The console is taken
   * for the command's length only; `\r\n` line ends become `\n`. A restored guest's console log
   * starts after its boot (a new QEMU): pass `{ restored: true }` to skip the wait for the shell.
   */
  async guestRun(name: string, command: string, timeoutMs = SOON, opts: { restored?: boolean } = {}): Promise<string> {
    if (opts.restored !== true) await this.waitShell(name);
    const tag = `vireo-end-${++this.runs}`;
    const client = VireoClient.open(this.uri);
    try {
      let con: Duplex | undefined;
      // A console another test step just closed is released once the daemon sees it go.
      await waitFor(async () => (con = await client.attachConsole(name).catch(() => undefined)) !== undefined, SOON, `${name}'s console to be free`);
      const c = con as Duplex;
      let out = '';
      c.on('data', (d: Buffer) => (out += d.toString('latin1')));
      // Two markers around the output, typed as $((...)) so that the shell's echo of the line
      // (which the terminal may wrap at 80 columns) cannot match them: only their output does.
      const start = `${tag}-2`;
      const end = `${tag}-42`;
      const line = (text: string): RegExp => new RegExp(`${text}\\r?\\n`);
      c.write(`echo ${tag}-$((1+1)); ${command}; echo ${tag}-$((6*7))\r`);
      try {
        await waitFor(() => line(end).test(out), timeoutMs, `'${command}' in ${name}`);
      } finally {
        c.destroy();
      }
      const from = line(start).exec(out);
      if (from === null) throw new Error(`guestRun: no start marker in ${JSON.stringify(out)}`);
      const body = out.slice(from.index + from[0].length);
      return body.slice(0, line(end).exec(body)?.index ?? body.length).replace(/\r\n/g, '\n');
    } finally {
      client.close();
    }
  }

  private runs = 0;

  /** The directories of this daemon's cgroup partition in every hierarchy that has it. */
  cgroupDirs(): string[] {
    const rel = `machine/${path.basename(this.cgroupPartition)}.partition`;
    const base = '/sys/fs/cgroup';
    const roots = existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
    return roots.map((r) => path.join(r, rel)).filter((d) => existsSync(d));
  }

  async domstate(name: string): Promise<string> {
    return (await this.vireo(['domstate', '--reason', name])).stdout.trim();
  }
}

/** rmdir a cgroup and the groups below it (a cgroup's files go with its directory); false while a task is still in one. */
function removeCgroupTree(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && !removeCgroupTree(path.join(dir, e.name))) return false;
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EBUSY') return false;
    throw e;
  }
}

/** Run the vireo CLI; `asNobody` runs it as the unprivileged user nobody (group nogroup, no others). */
export function runCli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; asNobody?: boolean; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const vireo = path.join(REPO, 'bin', 'vireo');
    const [cmd, argv] = opts.asNobody === true ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', vireo, ...args]] : [vireo, args];
    const env = opts.env ?? { ...process.env, VIREO_DEFAULT_URI: '' };
    const p = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env, ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }) });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // A command that exits without reading its input closes the pipe first: not a failure.
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}

/** The test guest's shell after it starts: busybox sh's banner, then its prompt. */
const SHELL_PROMPT = /Enter 'help' for a list of built-in commands\.\r?\n[\s\S]*# /;

/**
 * The steps of one scenario, run in order as subtests of one test. Each step starts where the
 * previous one left the guest, so after a failed step the rest are skipped (their failures would
 * only echo it).
 */
export function scenario(t: TestContext): (name: string, fn: () => Promise<void>) => Promise<void> {
  let failed: string | undefined;
  return async (name, fn) => {
    await t.test(name, { skip: failed === undefined ? false : `an earlier step failed: ${failed}` }, async () => {
      try {
        await fn();
      } catch (e) {
        failed = name;
        throw e;
      }
    });
  };
}

/** Poll `cond` until it is true; fail with a message naming what was awaited. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
