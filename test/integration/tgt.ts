/**
 * A real iSCSI target for tests: the Linux SCSI target framework's daemon (tgtd, Debian package
 * tgt) in the foreground, serving on 127.0.0.1 only at a port nobody else holds, with its own
 * management socket (-C: /run/tgtd/socket.N), so that test runs side by side never share a
 * target. Its LUNs are files in a temp dir; stop() ends tgtd and removes what it left.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SOON, waitFor } from './harness.js';

const SOCKET_DIR = '/run/tgtd';

/** A port on 127.0.0.1 that is free now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export class TgtTarget {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'vireo-tgt-'));
  readonly iqn = `iqn.2026-01.org.vireo.test:t${process.pid}`;
  port = 0;
  private control = 0;
  private proc: ChildProcess | undefined;
  log = '';

  /** The file behind LUN `lun`. */
  lunFile(lun: number): string {
    return path.join(this.dir, `lun${lun}.img`);
  }

  /** `tgtadm` on this target's management socket; throws with its output when it fails. */
  private adm(args: string[]): string {
    const r = spawnSync('tgtadm', ['-C', String(this.control), '--lld', 'iscsi', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tgtadm ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Start tgtd (on the port it had before, when restarted) with one target and disk LUNs of the given sizes (LUN 1, 2, ...). */
  async start(lunSizes: number[]): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    // A management port no other tgtd on this host uses: its socket file would exist.
    do this.control = 10_000 + Math.floor(Math.random() * 20_000);
    while (existsSync(path.join(SOCKET_DIR, `socket.${this.control}`)));
    this.log = '';
    const p = spawn('tgtd', ['-f', '-C', String(this.control), '--iscsi', `portal=127.0.0.1:${this.port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    p.stdout.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    await waitFor(async () => {
      if (p.exitCode !== null) throw new Error(`tgtd exited: ${this.log}`);
      return existsSync(path.join(SOCKET_DIR, `socket.${this.control}`)) && (await listening(this.port));
    }, SOON, 'tgtd to listen');
    this.adm(['--op', 'new', '--mode', 'target', '--tid', '1', '-T', this.iqn]);
    lunSizes.forEach((size, i) => {
      const file = this.lunFile(i + 1);
      if (!existsSync(file)) {
        writeFileSync(file, '');
        truncateSync(file, size);
      }
      this.adm(['--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', String(i + 1), '-b', file]);
    });
    this.adm(['--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL']);
  }

  /** End tgtd (the target goes down; LUN files stay for a restart). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p === undefined) return;
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      // tgtd refuses a polite stop while initiators are logged in; the test is done with them.
      p.kill('SIGKILL');
      await gone;
    }
    this.proc = undefined;
    for (const f of [`socket.${this.control}`, `socket.${this.control}.lock`]) rmSync(path.join(SOCKET_DIR, f), { force: true });
  }

  /** Stop tgtd and remove the LUN files. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
