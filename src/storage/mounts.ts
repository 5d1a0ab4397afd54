/**
 * What is mounted where, from /proc/self/mountinfo, and which block devices a pool's source
 * device stands for: the device itself, or for an image file the loop devices mount(8) set up
 * over it. A pool is "mounted" when its target has a mount of its own source; anything else on
 * the target, or its device mounted somewhere else, is refused by name.
 */
import { promises as fs } from 'node:fs';
import { release } from 'node:os';
import * as path from 'node:path';
import { errnoCode } from './files.js';

export interface MountEntry {
  /** "major:minor" of the mounted file system's device. */
  dev: string;
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parse mountinfo text (proc(5)); lines that do not fit are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({ dev: f[2]!, mountPoint: unescape(f[4]!), options: f[5]!, fsType: f[sep + 1]!, source: unescape(f[sep + 2]!) });
  }
  return out;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

/** The target as the kernel names its mount point (symlinks resolved), or the path as given. */
export async function canonical(p: string): Promise<string> {
  return fs.realpath(p).catch(() => path.resolve(p));
}

/** glibc's dev_t layout: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31. */
export function majMin(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * The block devices that hold `source`, as "major:minor" and as device paths: the device, or
 * for a regular file every loop device backed by it. Undefined when `source` does not exist.
 * Both are needed: most file systems show their device's number in mountinfo, but some (btrfs)
 * show an anonymous one, and only the device path in the source field.
 */
export async function sourceDevices(source: string): Promise<{ devs: string[]; paths: string[] } | undefined> {
  let st;
  try {
    st = await fs.stat(source, { bigint: true });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    throw e;
  }
  if (st.isBlockDevice()) return { devs: [majMin(st.rdev)], paths: [...new Set([source, await canonical(source)])] };
  if (!st.isFile()) return { devs: [], paths: [] };
  const file = await canonical(source);
  const found = { devs: [] as string[], paths: [] as string[] };
  for (const name of await fs.readdir('/sys/block').catch(() => [] as string[])) {
    if (!name.startsWith('loop')) continue;
    const backing = await fs.readFile(`/sys/block/${name}/loop/backing_file`, 'utf8').catch(() => undefined);
    if (backing?.trim() !== file) continue;
    const dev = await fs.readFile(`/sys/block/${name}/dev`, 'utf8').catch(() => undefined);
    if (dev !== undefined) found.devs.push(dev.trim());
    found.paths.push(`/dev/${name}`);
  }
  return found;
}

/** How a pool's source shows in mountinfo: by device (fs pools) or by its source string (netfs). */
export type SourceMatch = { devs: readonly string[]; paths: readonly string[] } | { spec: string };

const matches = (m: MountEntry, want: SourceMatch): boolean =>
  'devs' in want ? want.devs.includes(m.dev) || want.paths.includes(m.source) : m.source === want.spec || m.source === want.spec.replace(/\/+$/, '');

/** What the target and the source are mounted as now. */
export async function mountState(target: string, want: SourceMatch): Promise<{ atTarget?: MountEntry; ours: boolean; elsewhere: MountEntry[] }> {
  const t = await canonical(target);
  const mounts = await readMounts();
  // The last mount on a path is the one that shows there.
  const atTarget = mounts.filter((m) => m.mountPoint === t).pop();
  const elsewhere = mounts.filter((m) => m.mountPoint !== t && matches(m, want));
  return { ...(atTarget === undefined ? {} : { atTarget }), ours: atTarget !== undefined && matches(atTarget, want), elsewhere };
}

/**
 * Whether this kernel can mount `fsType`: listed in /proc/filesystems, or a module for it
 * exists (mount loads it on demand). This machine's kernel, for one, has no NFS client.
 */
export async function kernelHasFs(fsType: string): Promise<boolean> {
  const list = await fs.readFile('/proc/filesystems', 'utf8').catch(() => '');
  if (list.split('\n').some((l) => l.split('\t').pop() === fsType)) return true;
  const dir = `/lib/modules/${release()}/kernel/fs/${fsType}`;
  return fs.stat(dir).then((s) => s.isDirectory(), () => false);
}
