/**
 * Host storage for pool tests: a temp directory with image files, loop devices over them, and
 * a cleanup that leaves nothing behind even when a test failed half-way: every mount under the
 * directory is unmounted (deepest first, before anything is removed, so that no rm reaches into
 * a mounted file system), the volume groups a test names are removed, each loop device detached.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const LVM_ENV = { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' };

/** Mount points (unescaped) at or under `dir`, from this process's mountinfo. */
export function mountsUnder(dir: string): { mountPoint: string; options: string; fsType: string; source: string }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-', 6);
    const un = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return { mountPoint: un(f[4]!), options: f[5]!, fsType: f[sep + 1]!, source: un(f[sep + 2]!) };
  }).filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
}

/** What blkid finds on a device (TYPE or PTTYPE), '' for nothing. */
export function signature(dev: string): string {
  const r = spawnSync('blkid', ['-p', '-o', 'export', dev], { encoding: 'utf8' });
  const vars = new Map(r.stdout.split('\n').map((l) => l.split('=', 2) as [string, string]));
  return vars.get('TYPE') ?? vars.get('PTTYPE') ?? '';
}

/** Volume group names LVM knows now. */
export function volumeGroups(): string[] {
  const out = execFileSync('vgs', ['--noheadings', '-o', 'vg_name'], { encoding: 'utf8', env: LVM_ENV });
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** Logical volumes of `vg`. */
export function logicalVolumes(vg: string): string[] {
  const out = execFileSync('lvs', ['--noheadings', '-o', 'lv_name', vg], { encoding: 'utf8', env: LVM_ENV });
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export class ScratchStorage {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'vireo-stor-'));
  private readonly loops: string[] = [];
  /** Volume groups to remove at cleanup if a test left them. */
  readonly vgs: string[] = [];

  /** A sparse image file of `mib` MiB. */
  image(name: string, mib: number): string {
    const file = path.join(this.dir, name);
    execFileSync('truncate', ['-s', `${mib}M`, file]);
    return file;
  }

  /** A loop device over a new sparse image. */
  loop(name: string, mib: number): string {
    const dev = execFileSync('losetup', ['--find', '--show', this.image(name, mib)], { encoding: 'utf8' }).trim();
    this.loops.push(dev);
    return dev;
  }

  /** Every cleanup step runs even when an earlier one fails; the failures are thrown together. */
  cleanup(): void {
    const problems: string[] = [];
    const attempt = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        problems.push(`${what}: ${String(e)}`);
      }
    };
    for (const m of mountsUnder(this.dir).reverse()) attempt(`umount ${m.mountPoint}`, () => execFileSync('umount', [m.mountPoint]));
    for (const vg of this.vgs) {
      if (!volumeGroups().includes(vg)) continue;
      attempt(`vgremove ${vg}`, () => execFileSync('vgremove', ['-f', vg], { env: LVM_ENV, stdio: 'ignore' }));
    }
    for (const dev of this.loops) {
      attempt(`pvremove ${dev}`, () => {
        if (signature(dev) === 'LVM2_member') execFileSync('pvremove', ['-ff', '-y', dev], { env: LVM_ENV, stdio: 'ignore' });
      });
      attempt(`losetup -d ${dev}`, () => execFileSync('losetup', ['-d', dev]));
    }
    if (mountsUnder(this.dir).length === 0) rmSync(this.dir, { recursive: true, force: true });
    else problems.push(`${this.dir} still has mounts; left in place`);
    if (problems.length > 0) throw new Error(`storage cleanup: ${problems.join('; ')}`);
  }
}
