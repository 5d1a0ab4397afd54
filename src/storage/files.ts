/**
 * File-level pieces of file-backed pools: stat facts (real allocation from st_blocks, libvirt's
 * permissions and timestamps), statfs figures, fallocate, reflink and sparse copies and zeroing. System
 * errors become STORAGE_FAILED (or NO_SPACE) messages worded as libvirt words them.
 */
import { constants, promises as fs, type BigIntStats } from 'node:fs';
import { VireoError } from '../api/errors.js';
import type { Permissions, PoolSizes, Timestamps } from '../conf/storage/index.js';
import { run } from '../util/proc.js';

/** strerror's words for the errno codes storage meets. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory', ENOSPC: 'No space left on device', ENOTEMPTY: 'Directory not empty',
  EEXIST: 'File exists', EACCES: 'Permission denied', EPERM: 'Operation not permitted', EFBIG: 'File too large',
  ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EROFS: 'Read-only file system', EDQUOT: 'Disk quota exceeded',
  EOPNOTSUPP: 'Operation not supported', EXDEV: 'Invalid cross-device link', EBUSY: 'Device or resource busy',
};

export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** A system error as libvirt reports it: "WHAT: strerror". ENOSPC/EDQUOT are NO_SPACE. */
export function systemError(what: string, e: unknown): VireoError {
  const code = errnoCode(e);
  const reason = code === undefined ? (e instanceof Error ? e.message : String(e)) : STRERROR[code] ?? code;
  return VireoError.of(code === 'ENOSPC' || code === 'EDQUOT' ? 'NO_SPACE' : 'STORAGE_FAILED', `${what}: ${reason}`, { cause: e });
}

/** Size, real allocation, permissions and times of a file or directory. */
export interface FileFacts {
  isDir: boolean;
  isFile: boolean;
  size: number;
  /** Bytes the file system really holds for it (st_blocks * 512), as libvirt's allocation. */
  allocated: number;
  permissions: Permissions;
  timestamps: Timestamps;
}

export function factsOf(st: BigIntStats): FileFacts {
  return {
    isDir: st.isDirectory(),
    isFile: st.isFile(),
    size: Number(st.size),
    allocated: Number(st.blocks) * 512,
    permissions: { mode: Number(st.mode) & 0o7777, owner: Number(st.uid), group: Number(st.gid) },
    // libvirt 9.0 has no birth time (it uses stat, not statx): always 0.
    timestamps: { atime: st.atimeNs, mtime: st.mtimeNs, ctime: st.ctimeNs, btime: 0n },
  };
}

export async function statFacts(path: string): Promise<FileFacts> {
  return factsOf(await fs.stat(path, { bigint: true }));
}

/** libvirt's pool figures: capacity, used and free (f_bfree, not f_bavail) of the file system. */
export async function fsSizes(path: string): Promise<PoolSizes> {
  const s = await fs.statfs(path, { bigint: true });
  const capacity = Number(s.blocks * s.bsize);
  const available = Number(s.bfree * s.bsize);
  return { capacity, allocation: capacity - available, available };
}

/** Apply mode and owner where given (owner/group -1 or absent: leave as is). */
export async function applyPermissions(path: string, p: Permissions | undefined, defaultMode: number): Promise<void> {
  await fs.chmod(path, p?.mode ?? defaultMode);
  if (p?.owner !== undefined || p?.group !== undefined) await fs.chown(path, p.owner ?? -1, p.group ?? -1);
}

/** Allocate `length` bytes from `offset` (posix_fallocate, as libvirt), through util-linux's fallocate. */
export async function allocate(path: string, offset: number, length: number): Promise<void> {
  if (length <= 0) return;
  const r = await run('fallocate', ['-o', String(offset), '-l', String(length), path], { timeoutMs: 600_000 });
  if (r.code !== 0) {
    const enospc = /No space left/.test(r.stderr);
    throw VireoError.of(enospc ? 'NO_SPACE' : 'STORAGE_FAILED', `cannot allocate ${length} bytes in file '${path}': ${enospc ? 'No space left on device' : r.stderr.trim()}`);
  }
}

/**
 * Copy `src` to `dst` sharing its blocks (FICLONE, through libuv's copyfile: no process); false
 * when the file system cannot, and `dst` is then removed.
 */
export async function reflinkCopy(src: string, dst: string): Promise<boolean> {
  try {
    await fs.copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    await fs.rm(dst, { force: true });
    return false;
  }
}

/**
 * Copy `src` over `dst` keeping holes (and turning runs of zeros into holes), then flush it to
 * disk as qemu-img convert and libvirt do before they report a copy done. cp finds the data
 * with SEEK_DATA and moves it with copy_file_range: no decoding, unlike qemu-img convert, which
 * takes twice as long for a raw image.
 */
export async function sparseCopy(src: string, dst: string): Promise<void> {
  const r = await run('cp', ['--sparse=always', '--no-preserve=all', '--', src, dst], { timeoutMs: 3_600_000 });
  if (r.code !== 0) {
    const enospc = /No space left/.test(r.stderr);
    throw VireoError.of(enospc ? 'NO_SPACE' : 'STORAGE_FAILED', `failed to copy '${src}' to '${dst}': ${enospc ? 'No space left on device' : r.stderr.trim()}`);
  }
  const fh = await fs.open(dst, constants.O_WRONLY);
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Write zeros over the first `length` bytes of `path` (vol-wipe's zero algorithm), then sync. */
export async function zeroFill(path: string, length: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  const fh = await fs.open(path, constants.O_WRONLY);
  try {
    for (let off = 0; off < length; off += chunk.length) {
      await fh.write(chunk, 0, Math.min(chunk.length, length - off), off);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}
