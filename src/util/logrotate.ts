/**
 * Size-capped logs for files that another process keeps open and writes: QEMU's stdout/stderr
 * (log/NAME.log) and the serial port logs QEMU writes itself (log/NAME.serialN.log). Like
 * libvirt's virtlogd (max_size 2 MiB, max_backups 3): NAME.log, then NAME.log.1 .. NAME.log.3,
 * oldest last.
 *
 * Why copy-then-truncate and not rename: QEMU holds the file open for its whole life and vireod
 * cannot hand it a new descriptor. After a rename QEMU would go on writing into the renamed file
 * (the descriptor follows the inode), so NAME.log would stay empty while NAME.log.1 grew forever.
 * So the tail is copied into .1 and the live file is truncated in place. The writers open these
 * files with O_APPEND (spawnDetached's 'a', the chardev's logappend=on), so their next write
 * lands at the new end; without O_APPEND it would land at the old offset, leaving a sparse file
 * as large as before. virtlogd avoids the copy by owning the pipe QEMU writes to, but then output
 * is lost whenever the log daemon is down; here QEMU keeps logging while vireod is away.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';
import { logger } from './log.js';

const log = logger('logrotate');

export interface RotationLimits {
  /** A file larger than this is rotated. */
  maxBytes: number;
  /** How many rotated files (FILE.1 .. FILE.N) are kept; 0 just truncates. */
  maxBackups: number;
}

export const DEFAULT_LIMITS: RotationLimits = { maxBytes: 2 * 1024 * 1024, maxBackups: 3 };

/**
 * The limits vireod uses: the defaults, or VIREO_LOG_MAX_BYTES / VIREO_LOG_MAX_BACKUPS from the
 * environment (tests lower the cap so a guest reaches it quickly).
 */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): RotationLimits {
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw VireoError.of('INVALID_ARG', `${name} must be an integer from ${min} to ${max}, not '${v}'`);
    return n;
  };
  // A rotation holds up to max_size bytes in memory: 256 MiB is far more than a log needs.
  return { maxBytes: num('VIREO_LOG_MAX_BYTES', DEFAULT_LIMITS.maxBytes, 1024, 256 * 1024 * 1024), maxBackups: num('VIREO_LOG_MAX_BACKUPS', DEFAULT_LIMITS.maxBackups, 0, 100) };
}

/** FILE.n, the n-th rotated copy of FILE (1 is the newest). */
export const backupPath = (file: string, n: number): string => `${file}.${n}`;

const CHUNK = 256 * 1024;

/**
 * Rotate `file` when it is over `limits.maxBytes`: FILE.k → FILE.k+1, the last maxBytes of FILE
 * → FILE.1 (a file that grew far beyond the cap while nobody watched keeps only its tail), FILE
 * truncated to empty. Resolves true when it rotated. A missing file is left alone.
 */
export async function rotateIfNeeded(file: string, limits: RotationLimits): Promise<boolean> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (size <= limits.maxBytes) return false;
  const fh = await fs.open(file, 'r+');
  try {
    if (limits.maxBackups === 0) {
      await fh.truncate(0);
    } else {
      // The backups are nobody's open files, so plain renames shift them.
      await fs.rm(backupPath(file, limits.maxBackups), { force: true });
      for (let n = limits.maxBackups - 1; n >= 1; n--) {
        await fs.rename(backupPath(file, n), backupPath(file, n + 1)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
      }
      const first = backupPath(file, 1);
      const start = Math.max(0, size - limits.maxBytes);
      const tail = (b: Buffer): Buffer => b.subarray(Math.max(0, b.length - limits.maxBytes));
      const kept = await readToEnd(fh, start);
      // FILE.1 is complete on disk before anything is truncated (a crash here loses nothing).
      await writeReplacing(first, tail(kept));
      // What the writer appended meanwhile, read right before the truncate: only bytes written
      // between this last read and the truncate itself (two system calls) can be lost.
      const late = await readToEnd(fh, start + kept.length);
      await fh.truncate(0);
      if (late.length > 0) {
        await writeReplacing(first, tail(Buffer.concat([kept, late])));
      }
    }
  } finally {
    await fh.close();
  }
  log.debug(`rotated ${file} (${size} bytes)`);
  return true;
}

/** Everything in `fh` from `pos` to its current end (the end moves while the writer writes). */
async function readToEnd(fh: fs.FileHandle, pos: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const buf = Buffer.alloc(CHUNK);
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) return Buffer.concat(parts);
    parts.push(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

/** Write `file` through a temp file and a rename, so it is never seen half-written. */
async function writeReplacing(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, data, { mode: 0o600 });
  await fs.rename(tmp, file);
}

/**
 * The last `max` bytes written to a rotated log: the end of FILE preceded, when FILE alone is
 * shorter (it was just truncated), by the ends of FILE.1, FILE.2, ... Empty when none exists.
 */
export async function readLogTail(file: string, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let need = max;
  for (let n = 0; need > 0; n++) {
    const part = await tailOf(n === 0 ? file : backupPath(file, n), need);
    if (part === undefined) {
      if (n === 0) continue; // FILE itself may be missing while backups exist
      break;
    }
    parts.unshift(part);
    need -= part.length;
  }
  return Buffer.concat(parts);
}

async function tailOf(file: string, max: number): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, size - len);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface LogRotatorOptions extends Partial<RotationLimits> {
  /** How often the watched files are stat'ed (ms). A file can pass the cap by what is written in one interval. */
  intervalMs?: number;
}

/**
 * Keeps a set of log files under their cap. Files are grouped by owner (a guest), so a guest's
 * files come and go together. Watching is a timer that stats each file: one stat per file per
 * interval costs nothing, where fs.watch would wake vireod on every write of a chatty guest.
 */
export class LogRotator {
  readonly limits: RotationLimits;
  readonly intervalMs: number;
  private readonly owners = new Map<string, readonly string[]>();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;

  constructor(opts: LogRotatorOptions = {}) {
    this.limits = { maxBytes: opts.maxBytes ?? DEFAULT_LIMITS.maxBytes, maxBackups: opts.maxBackups ?? DEFAULT_LIMITS.maxBackups };
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  /** Keep `files` under the cap from now on (replacing what `owner` had); checks them at once. */
  watch(owner: string, files: readonly string[]): Promise<void> {
    this.owners.set(owner, [...files]);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.check(), this.intervalMs);
      this.timer.unref(); // never what keeps vireod alive
    }
    // At once: a file that grew while vireod was down is cut down on reconnect, not a tick later.
    return this.check();
  }

  /** Stop watching `owner`'s files (they stay as they are). */
  unwatch(owner: string): void {
    this.owners.delete(owner);
    if (this.owners.size === 0) this.stopTimer();
  }

  /** The files being watched, by owner. */
  watched(): ReadonlyMap<string, readonly string[]> {
    return this.owners;
  }

  /**
   * One pass over every watched file, rotating those over the cap; never fails (a failure is
   * logged and retried on the next pass). A call during a pass runs one more pass after it.
   */
  check(): Promise<void> {
    if (this.pass !== undefined) {
      this.again = true;
      return this.pass;
    }
    this.pass = (async () => {
      do {
        this.again = false;
        for (const file of new Set([...this.owners.values()].flat())) {
          // Unwatched while this pass ran: its owner may already be handing the file to someone else.
          if (![...this.owners.values()].some((fs) => fs.includes(file))) continue;
          await rotateIfNeeded(file, this.limits).catch((e: unknown) => log.warn(`cannot rotate ${file}: ${String(e)}`));
        }
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- check() sets it during the awaits above
      } while (this.again);
    })().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  /** Stop the timer; files are left as they are. */
  close(): void {
    this.owners.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
