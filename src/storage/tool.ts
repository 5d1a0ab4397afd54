/**
 * Host tools the mounted and LVM pools run (mkfs, mount, umount, blkid, wipefs, the LVM
 * commands): one runner that names the Debian package of a tool that is not installed, and
 * reports a failed command as libvirt does ("Child process (CMD) unexpected exit status N:
 * stderr"), so a user sees the very command and its own words.
 */
import { existsSync } from 'node:fs';
import { VireoError } from '../api/errors.js';
import { run, type RunResult } from '../util/proc.js';

/** The Debian package that brings each tool. */
const PACKAGE: Record<string, string> = {
  mount: 'mount', umount: 'mount', blkid: 'util-linux', wipefs: 'util-linux', mkfs: 'util-linux',
  'mkfs.ext2': 'e2fsprogs', 'mkfs.ext3': 'e2fsprogs', 'mkfs.ext4': 'e2fsprogs', 'mkfs.xfs': 'xfsprogs',
  'mkfs.vfat': 'dosfstools', 'mkfs.btrfs': 'btrfs-progs', 'mount.nfs': 'nfs-common', showmount: 'nfs-common', 'mount.cifs': 'cifs-utils',
  'mount.glusterfs': 'glusterfs-client',
  pvcreate: 'lvm2', pvremove: 'lvm2', vgcreate: 'lvm2', vgremove: 'lvm2', vgchange: 'lvm2', vgs: 'lvm2', lvs: 'lvm2',
  lvcreate: 'lvm2', lvremove: 'lvm2', lvresize: 'lvm2',
};

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Where a tool is installed, or undefined (the daemon's PATH may lack the sbin directories). */
export function toolPath(name: string): string | undefined {
  return SBIN.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

/** The error for a tool that is not installed, naming its package. */
export function missingTool(name: string, what: string): VireoError {
  const pkg = PACKAGE[name] ?? name;
  // The package goes in the message: virsh-style clients print no hints.
  return VireoError.of('NO_SUPPORT', `${what} needs '${name}', which is not installed on this host (Debian package ${pkg})`, { hint: `apt-get install ${pkg}` });
}

/** Run `name args`; a tool that is missing is NO_SUPPORT naming its package. */
export async function runTool(name: string, args: readonly string[], opts: { what: string; timeoutMs?: number; input?: string }): Promise<RunResult> {
  const bin = toolPath(name);
  if (bin === undefined) throw missingTool(name, opts.what);
  // LVM warns about every descriptor it inherits; the runner passes none but its pipes.
  const env = { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1', LC_ALL: 'C' };
  return run(bin, args, { env, timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.input === undefined ? {} : { input: opts.input }) });
}

/** A failed command as libvirt reports it; its output trimmed to the lines that say why. */
export function childFailed(name: string, args: readonly string[], r: RunResult, code: 'STORAGE_FAILED' | 'NO_SUPPORT' = 'STORAGE_FAILED'): VireoError {
  const out = (r.stderr.trim() || r.stdout.trim()).split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(0, 6).join(' ');
  const status = r.code ?? r.signal ?? '?';
  return VireoError.of(code, `internal error: Child process (${[name, ...args].join(' ')}) unexpected exit status ${status}: ${out}`);
}

/** Run a tool and require success. */
export async function mustRun(name: string, args: readonly string[], opts: { what: string; timeoutMs?: number; input?: string }): Promise<string> {
  const r = await runTool(name, args, opts);
  if (r.code !== 0) throw childFailed(name, args, r);
  return r.stdout;
}
