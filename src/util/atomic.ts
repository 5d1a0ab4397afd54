/** Crash-safe file writes: write a temp file, fsync it, rename over the target, fsync the dir. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';

let counter = 0;

/**
 * Replace `file` with `data` so that a reader sees either the old or the new content, never a mix.
 * `durable: false` skips the fsyncs: still atomic across a crash of this process (the rename is),
 * but not across a crash of the host; right for state that lives on tmpfs anyway (/run).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600, opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable !== false;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  try {
    const fh = await fs.open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    // Nothing half-written stays behind (a full disk used to leave .NAME.PID.N.tmp files).
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw writeError(file, e);
  }
  if (durable) await syncDir(dir);
}

/** A full disk or quota is the user's to fix: say so with its own code; other errors pass unchanged. */
function writeError(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return VireoError.of('NO_SPACE', `cannot write '${file}': ${code === 'ENOSPC' ? 'No space left on device' : 'Disk quota exceeded'}`, {
      hint: 'free space on that file system and try again; nothing was changed',
      cause: e,
    });
  }
  return e;
}

/** Remove a file (if present) and make the removal durable. */
export async function removeFileDurable(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Read a file, or undefined when it does not exist. */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The last `max` bytes of a file (all of it when smaller); empty when it does not exist. */
export async function readTail(file: string, max: number): Promise<Buffer> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf;
  } finally {
    await fh.close();
  }
}
