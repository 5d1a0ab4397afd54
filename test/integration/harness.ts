/**
 * Integration harness: a real vireod in a temp root, the real vireo CLI, real QEMU (TCG)
 * booting the project's tiny guest (scripts/build-guest.sh). Each test gets its own daemon and
 * leaves no QEMU process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const GUEST_DIR = process.env.VIREO_GUEST_DIR ?? path.join(REPO, '.cache', 'guest');
export const KERNEL = path.join(GUEST_DIR, 'vmlinux');
export const INITRD = path.join(GUEST_DIR, 'initrd.img');
export const READY_LINE = 'vireo-guest: ready';

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
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
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

  constructor(root?: string) {
    this.root = root ?? mkdtempSync(path.join(tmpdir(), 'vireo-test-'));
    this.socket = path.join(this.root, 'run', 'vireod.sock');
    this.uri = `vireo+unix:///system?socket=${this.socket}`;
  }

  /** Start vireod (with `extraArgs`) and wait until its API answers. */
  async start(extraArgs: string[] = []): Promise<void> {
    this.stderr = '';
    this.proc = spawn(process.execPath, [path.join(REPO, 'bin', 'vireod'), '--root', this.root, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    const exited = new Promise<void>((resolve) => this.proc!.once('exit', () => resolve()));
    let done = false;
    void exited.then(() => (done = true));
    await waitFor(async () => {
      if (done) throw new Error(`vireod exited during start-up:\n${this.stderr}`);
      return existsSync(this.socket) && (await this.vireo(['uri'])).code === 0;
    }, 20_000, 'vireod to answer');
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

  /** Run the vireo CLI against this daemon. */
  vireo(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    return runCli(['-c', this.uri, ...args], opts);
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

  /** Stop the daemon, kill any QEMU it left, remove the root. */
  async cleanup(): Promise<void> {
    await this.stop('SIGKILL');
    for (const pid of this.qemuPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitFor(() => this.qemuPids().length === 0, 10_000, 'QEMU processes to exit');
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Wait until the guest's serial console shows `text` (read through the API, as a user would). */
  async waitConsole(name: string, text: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await this.vireo(['console-log', name])).stdout.includes(text), timeoutMs, `'${text}' on ${name}'s console`);
  }

  async domstate(name: string): Promise<string> {
    return (await this.vireo(['domstate', '--reason', name])).stdout.trim();
  }
}

/** Run the vireo CLI; `asNobody` runs it as the unprivileged user nobody (group nogroup, no others). */
export function runCli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; asNobody?: boolean } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const vireo = path.join(REPO, 'bin', 'vireo');
    const [cmd, argv] = opts.asNobody === true ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', vireo, ...args]] : [vireo, args];
    const p = spawn(cmd, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? { ...process.env, VIREO_DEFAULT_URI: '' },
    });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin!.end(opts.input ?? '');
  });
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
