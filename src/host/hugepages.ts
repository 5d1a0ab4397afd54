/**
 * Huge pages for guest RAM (<memoryBacking><hugepages>): which sizes the host has, how many are
 * free, and a hugetlbfs mount of the right page size. A mount the host already has is used as it
 * is; otherwise vireod mounts one under its own run directory (hugepages-SIZEkB) and unmounts it
 * once no QEMU uses it any more (umount refuses a busy mount, so "still used" needs no records).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import { run } from '../util/proc.js';

const SYSFS = '/sys/kernel/mm/hugepages';

/** The host's default huge page size (Hugepagesize in /proc/meminfo), KiB; undefined without huge pages. */
export async function defaultHugePageKiB(): Promise<number | undefined> {
  const text = await fs.readFile('/proc/meminfo', 'utf8').catch(() => '');
  const m = /^Hugepagesize:\s+(\d+) kB$/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** Free huge pages of one size, or undefined when the host has no such size. */
export async function freeHugePages(pageKiB: number): Promise<number | undefined> {
  const text = await fs.readFile(path.join(SYSFS, `hugepages-${pageKiB}kB`, 'free_hugepages'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.trim());
}

/** hugetlbfs mounts in a /proc/mounts text, with their page size in KiB (the default size when the options name none). */
export function parseHugetlbfsMounts(mounts: string, defaultKiB: number): Array<{ path: string; pageKiB: number }> {
  return mounts.split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'hugetlbfs').map((f) => {
    const opt = /(?:^|,)pagesize=(\d+)([KMG])/.exec(f[3] ?? '');
    const pageKiB = opt === null ? defaultKiB : Number(opt[1]) * { K: 1, M: 1024, G: 1024 * 1024 }[opt[2] as 'K' | 'M' | 'G'];
    // /proc/mounts escapes spaces and the like in octal.
    return { path: (f[1] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), pageKiB };
  });
}

/**
 * A hugetlbfs mount for pages of `pageKiB`: the host's, or one vireod mounts under `runDir`.
 * Refused in libvirt's words when the host has no such page size or it cannot be mounted.
 */
export async function hugetlbfsFor(pageKiB: number, runDir: string): Promise<string> {
  const defaultKiB = (await defaultHugePageKiB()) ?? 0;
  const mounts = parseHugetlbfsMounts(await fs.readFile('/proc/mounts', 'utf8').catch(() => ''), defaultKiB);
  const found = mounts.find((m) => m.pageKiB === pageKiB);
  if (found !== undefined) return found.path;
  const none = (why: string, cause?: unknown): VireoError =>
    VireoError.of('INTERNAL', `Unable to find any usable hugetlbfs mount for ${pageKiB} KiB (${why})`, cause === undefined ? {} : { cause });
  if ((await freeHugePages(pageKiB)) === undefined) throw none(`this host has no huge pages of that size: no ${SYSFS}/hugepages-${pageKiB}kB`);
  const dir = path.join(runDir, `hugepages-${pageKiB}kB`);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const r = await run('mount', ['-t', 'hugetlbfs', '-o', `pagesize=${pageKiB}K`, 'hugetlbfs', dir]);
  if (r.code !== 0) throw none(`mount -t hugetlbfs failed: ${r.stderr.trim()}`);
  return dir;
}

/** Unmount the hugetlbfs mounts vireod made under `runDir` that no QEMU uses any more (busy ones stay). */
export async function releaseHugetlbfs(runDir: string): Promise<void> {
  const mounts = parseHugetlbfsMounts(await fs.readFile('/proc/mounts', 'utf8').catch(() => ''), 0);
  for (const m of mounts) {
    if (path.dirname(m.path) !== runDir || !path.basename(m.path).startsWith('hugepages-')) continue;
    // A QEMU that has just exited may still hold its RAM file open for a moment (the kernel frees
    // its memory before it closes its descriptors): a busy mount is tried again for up to 1 s (one that another guest uses stays).
    for (let tries = 0; tries < 20; tries++) {
      const r = await run('umount', [m.path]);
      if (r.code === 0) {
        await fs.rmdir(m.path).catch(() => {});
        break;
      }
      if (!/busy/i.test(r.stderr)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Check that the host has enough free huge pages for `kib` of guest RAM before QEMU starts
 * (QEMU would otherwise fail late with a bare "Cannot allocate memory").
 */
export async function checkFreeHugePages(name: string, kib: number, pageKiB: number): Promise<void> {
  const free = (await freeHugePages(pageKiB)) ?? 0;
  const need = Math.ceil(kib / pageKiB);
  if (free < need) {
    throw VireoError.of('OPERATION_FAILED', `not enough free huge pages of ${pageKiB} KiB for domain '${name}': it needs ${need}, the host has ${free} free `
      + `(reserve more in ${SYSFS}/hugepages-${pageKiB}kB/nr_hugepages)`);
  }
}

/**
 * The huge pages a domain with <memoryBacking><hugepages> needs: their size (the <page> without a
 * nodeset, else the first, else the host's default), checked free, and a hugetlbfs mount of that
 * size for QEMU's mem-path (found or mounted under `runDir`).
 */
export async function hugepagesForDomain(
  def: { name: string; memoryKiB: number; pages: ReadonlyArray<{ sizeKiB?: number; nodeset?: string }> }, runDir: string,
): Promise<{ path: string; pageKiB: number }> {
  const pages = def.pages;
  const pageKiB = pages.find((p) => p.nodeset === undefined)?.sizeKiB ?? pages[0]?.sizeKiB ?? (await defaultHugePageKiB());
  if (pageKiB === undefined) throw VireoError.of('INTERNAL', 'Unable to find any usable hugetlbfs mount (this host has no huge pages)');
  await checkFreeHugePages(def.name, def.memoryKiB, pageKiB);
  return { path: await hugetlbfsFor(pageKiB, runDir), pageKiB };
}
