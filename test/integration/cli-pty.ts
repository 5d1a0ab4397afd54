/**
 * A real pseudo-terminal for CLI tests, from util-linux `script` (in bsdutils, which every Debian
 * system has): the command runs on the pty's slave side with a fixed 120x40 size, and the test
 * types into it and reads what the terminal would show.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { REPO, SOON } from './harness.js';

/** Keys as a terminal sends them. */
export const KEY = {
  enter: '\r',
  tab: '\t',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  ctrlA: '\x01',
  ctrlC: '\x03',
  ctrlD: '\x04',
  ctrlE: '\x05',
  ctrlU: '\x15',
  escape: '\x1d', // Ctrl+]
  backspace: '\x7f',
} as const;

/** Terminal output with escape sequences (colours, cursor moves) and carriage returns taken out. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?>=]*[A-Za-z]/g, '').replace(/\x1b[=>]/g, '').replace(/\r/g, '');
}

export class Pty {
  /** Every terminal still open, so a failed test can kill what it started. */
  static readonly open = new Set<Pty>();
  private readonly proc: ChildProcess;
  /** Everything the terminal received, raw. */
  raw = '';
  private mark = 0;
  private readonly exited: Promise<number>;
  private waiters: Array<() => void> = [];

  /**
   * Run a shell command line on a new terminal, in `cwd`. `vireo` is bin/vireo (first on PATH);
   * `env` is added to a small clean environment.
   */
  constructor(command: string, env: Record<string, string> = {}, cwd?: string) {
    this.proc = spawn('script', ['-qfec', `stty cols 120 rows 40; ${command}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(cwd === undefined ? {} : { cwd }),
      env: {
        PATH: `${path.join(REPO, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        TERM: 'xterm',
        LANG: 'C.UTF-8',
        HOME: process.env.HOME ?? '/root',
        ...env,
      },
    });
    const onData = (d: Buffer): void => {
      this.raw += d.toString('utf8');
      for (const w of this.waiters) w();
    };
    this.proc.stdout!.on('data', onData);
    this.proc.stderr!.on('data', onData);
    Pty.open.add(this);
    this.exited = new Promise((resolve) => this.proc.once('close', (code, signal) => {
      Pty.open.delete(this);
      for (const w of this.waiters) w();
      resolve(code ?? (signal === null ? -1 : 128));
    }));
  }

  /** The output since the last expect() matched, without escape sequences. */
  get text(): string {
    return plain(this.raw.slice(this.mark));
  }

  /** All output so far, without escape sequences. */
  get all(): string {
    return plain(this.raw);
  }

  type(keys: string): void {
    this.proc.stdin!.write(keys);
  }

  /**
   * Press keys one at a time, each once the terminal has answered the previous one and gone quiet
   * (readline draws one key's answer in several writes). Needed for line editing: Node's readline
   * misplaces text that arrives in one chunk with cursor keys or after them (as a paste would),
   * so a test typing faster than any person would test that instead.
   */
  async press(...keys: string[]): Promise<void> {
    // Text goes one character at a time; a key that is an escape sequence goes whole.
    const singles = keys.flatMap((k) => (k.startsWith('\x1b') ? [k] : [...k]));
    for (const k of singles) {
      const before = this.raw.length;
      this.type(k);
      const deadline = Date.now() + SOON;
      while (this.raw.length === before) {
        if (Date.now() > deadline) throw new Error(`no reaction on the terminal to ${JSON.stringify(k)}; it shows:\n${JSON.stringify(this.raw.slice(-300))}`);
        await this.changed(100);
      }
      for (let seen = -1; seen !== this.raw.length;) {
        seen = this.raw.length;
        await this.changed(30);
      }
    }
  }

  /** Resolve when new output arrives, or after ms. */
  private changed(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Type a line and press Enter. */
  line(text: string): void {
    this.type(text + KEY.enter);
  }

  /**
   * Wait until the output after the previous match contains `what`; the next expect() looks only
   * after this match. Fails with the screen so far if it does not come.
   */
  async expect(what: string | RegExp, timeoutMs = SOON): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const raw = this.raw.slice(this.mark);
      const clean = plain(raw);
      const m = typeof what === 'string' ? (clean.includes(what) ? what : null) : (what.exec(clean)?.[0] ?? null);
      if (m !== null) {
        // Move the mark past the match, counted in raw characters.
        let i = 0;
        const end = clean.indexOf(m) + m.length;
        while (i < raw.length && plain(raw.slice(0, i)).length < end) i++;
        this.mark += i;
        return clean.slice(0, end);
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null || Date.now() > deadline) {
        throw new Error(`expected ${String(what)} on the terminal; it shows:\n${clean}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, Math.min(200, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiters = [];
    }
  }

  /** Wait for the command to end; resolves to its exit status. */
  async exit(timeoutMs = SOON): Promise<number> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      this.proc.stdin!.end();
    }
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }

  /** Kill every terminal a test left open (and with it the command on it). */
  static killAll(): void {
    for (const p of Pty.open) p.kill();
  }
}
