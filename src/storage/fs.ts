/**
 * The mounted pools: `fs` (a block device or image file with a file system) and `netfs` (an
 * NFS export, or CIFS/GlusterFS as libvirt mounts them). Once mounted, the target is a
 * directory of volume files, so volumes, refresh (the mounted file system's sizes) and delete
 * are the dir backend's own code; these classes add build (mkfs), start (mount) and stop
 * (umount), with libvirt's commands and options: `mount -o nodev,nosuid,noexec -t TYPE SRC TARGET`.
 *
 * Unlike libvirt, an fs pool whose device is mounted elsewhere is refused (two mounts of one
 * file system under two names invite surprises), and a missing device or target is named
 * before mount runs. A pool found mounted on its target at start (or after a restart) is
 * taken as it is, as libvirt does.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';
import type { PoolDef, PoolSource, PoolType } from '../conf/storage/index.js';
import { DirBackend } from './dir.js';
import { systemError } from './files.js';
import { canonical, kernelHasFs, mountState, sourceDevices, type SourceMatch } from './mounts.js';
import { checkBuildFlags, requireBlank, requireSource } from './signatures.js';
import { childFailed, missingTool, mustRun, runTool, toolPath } from './tool.js';

/** libvirt's mount options for every mounted pool. */
const MOUNT_OPTIONS = 'nodev,nosuid,noexec';

interface MountSpec {
  /** libvirt's options for the type (nodev,nosuid,noexec and the type's own). */
  options: string;
  /** mount's arguments after the options and before the target. */
  args: string[];
  match: SourceMatch;
  /** The kernel file system type, for the "this kernel cannot" hint (undefined for 'auto'). */
  fsType?: string;
  /** A mount helper the type needs (mount.nfs, ...). */
  helper?: string;
}

const targetOf = (def: PoolDef): string => {
  if (def.target === undefined) throw VireoError.of('INTERNAL', `pool '${def.name}' has no target path`);
  return def.target.path;
};

abstract class MountedBackend extends DirBackend {
  protected abstract spec(def: PoolDef): Promise<MountSpec>;
  /** Extra checks before mounting (the fs pool's device there and not in use elsewhere). */
  protected abstract beforeMount(def: PoolDef, elsewhere: string[]): Promise<void>;

  override async start(def: PoolDef): Promise<void> {
    const target = targetOf(def);
    await requireTarget(target);
    const spec = await this.spec(def);
    const state = await mountState(target, spec.match);
    if (state.ours) return;
    if (state.atTarget !== undefined) {
      throw VireoError.of('OPERATION_INVALID', `target path '${target}' of pool '${def.name}' already has '${state.atTarget.source}' mounted on it`, {
        hint: 'unmount it, or give the pool another target path',
      });
    }
    await this.beforeMount(def, state.elsewhere.map((m) => m.mountPoint));
    if (spec.helper !== undefined && toolPath(spec.helper) === undefined) throw missingTool(spec.helper, `mounting pool '${def.name}'`);
    // The pool's own <fs:mount_opts> follow libvirt's (the parser refuses any that undo them).
    const extra = def.mountOpts === undefined ? '' : `,${def.mountOpts.join(',')}`;
    const args = ['-o', `${spec.options}${extra}`, ...spec.args, target];
    const r = await runTool('mount', args, { what: `mounting pool '${def.name}'`, timeoutMs: 300_000 });
    if (r.code === 0) return;
    const err = childFailed('mount', args, r);
    if (spec.fsType !== undefined && !(await kernelHasFs(spec.fsType))) {
      throw VireoError.of('NO_SUPPORT', `cannot mount pool '${def.name}': this kernel has no '${spec.fsType}' file system support (not in /proc/filesystems, no module); ${err.message}`, { cause: err });
    }
    throw err;
  }

  async check(def: PoolDef): Promise<void> {
    const target = targetOf(def);
    const state = await mountState(target, (await this.spec(def)).match);
    if (!state.ours) throw VireoError.of('OPERATION_FAILED', `pool '${def.name}' is no longer mounted on '${target}'`);
  }

  override async stop(def: PoolDef): Promise<void> {
    const target = targetOf(def);
    const state = await mountState(target, (await this.spec(def)).match);
    // Not mounted (any more), or something that is not the pool's: nothing of ours to release.
    if (!state.ours) return;
    await mustRun('umount', [await canonical(target)], { what: `unmounting pool '${def.name}'`, timeoutMs: 300_000 });
  }
}

/** The target must be a directory before anything is mounted on it (pool-build makes it). */
async function requireTarget(target: string): Promise<void> {
  try {
    const st = await fs.stat(target);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    const err = systemError(`cannot mount on target path '${target}'`, e);
    throw VireoError.of('STORAGE_FAILED', err.message, { hint: 'pool-build makes the target directory', cause: e });
  }
}

export class FsBackend extends MountedBackend {
  override readonly type: PoolType = 'fs';

  private device(def: PoolDef): string {
    const dev = def.source.devices[0]?.path;
    if (dev === undefined) throw VireoError.of('OPERATION_INVALID', `No source device specified when formatting pool '${def.name}'`);
    return dev;
  }

  async unsupported(): Promise<string | undefined> {
    return toolPath('mount') === undefined ? 'mount is not installed (apt-get install mount)' : undefined;
  }

  /** The target directory; with --overwrite or --no-overwrite also a new file system (mkfs), as libvirt. */
  override async build(def: PoolDef, opts: { overwrite?: boolean; noOverwrite?: boolean }): Promise<void> {
    checkBuildFlags(opts);
    const format = def.source.format ?? 'auto';
    const mkfs = opts.overwrite === true || opts.noOverwrite === true;
    const device = mkfs ? this.device(def) : undefined;
    if (device !== undefined) {
      await requireBlank(device, format, opts.overwrite === true);
      // libvirt runs `mkfs -t auto`, which no mkfs has; say so before touching the target.
      if (format === 'auto') {
        throw VireoError.of('CONFIG_UNSUPPORTED', `cannot make a file system of format 'auto' on '${device}'`, {
          hint: "name the file system in the pool's <source><format type='ext4'/> (or xfs, ...)",
        });
      }
      if (toolPath(`mkfs.${format}`) === undefined) throw missingTool(`mkfs.${format}`, `formatting '${device}' as ${format}`);
    }
    await super.build(def, {});
    if (device === undefined) return;
    // mkfs.xfs refuses a device with a signature unless forced; the check above already decided.
    await mustRun('mkfs', ['-t', format, ...(format === 'xfs' ? ['-f'] : []), device], { what: `formatting '${device}'`, timeoutMs: 600_000 });
  }

  protected async spec(def: PoolDef): Promise<MountSpec> {
    const device = this.device(def);
    const format = def.source.format ?? 'auto';
    // A device gone while mounted is still recognised by its path, so destroy can unmount it.
    const found = await sourceDevices(device);
    return {
      options: MOUNT_OPTIONS, args: ['-t', format, device],
      match: found ?? { devs: [], paths: [device] },
      ...(format === 'auto' ? {} : { fsType: format }),
    };
  }

  protected async beforeMount(def: PoolDef, elsewhere: string[]): Promise<void> {
    await requireSource(this.device(def));
    if (elsewhere.length > 0) {
      throw VireoError.of('OPERATION_INVALID', `source device '${this.device(def)}' of pool '${def.name}' is already mounted on '${elsewhere.join("', '")}'`, {
        hint: 'unmount it there first; one file system mounted twice is changed behind the back of the other mount',
      });
    }
  }
}

/** mount helper and kernel type of each netfs format ('auto' lets mount pick, as libvirt: no -t). */
const NETFS: Record<string, { helper?: string; fsType?: string; extra: string }> = {
  auto: { helper: 'mount.nfs', extra: '' },
  nfs: { helper: 'mount.nfs', fsType: 'nfs', extra: '' },
  cifs: { helper: 'mount.cifs', fsType: 'cifs', extra: ',guest' },
  glusterfs: { helper: 'mount.glusterfs', fsType: 'fuse', extra: ',direct-io-mode=1' },
};

export class NetfsBackend extends MountedBackend {
  override readonly type: PoolType = 'netfs';

  /** Only NFS is claimed: the tools (nfs-common's mount.nfs) and a kernel NFS client must be here. */
  async unsupported(): Promise<string | undefined> {
    if (toolPath('mount.nfs') === undefined) return 'mount.nfs is not installed (apt-get install nfs-common)';
    if (!(await kernelHasFs('nfs'))) return 'this kernel has no NFS client';
    return undefined;
  }

  /** A server's NFS exports (showmount), as libvirt finds them. */
  async findSources(spec: PoolSource): Promise<PoolSource[]> {
    const host = spec.hosts[0]?.name;
    if (host === undefined) throw VireoError.of('INVALID_ARG', 'hostname must be specified for netfs sources');
    const args = ['--no-headers', '--exports', host];
    const r = await runTool('showmount', args, { what: 'finding NFS exports', timeoutMs: 60_000 });
    const dirs = r.code === 0 ? r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((d) => d.startsWith('/')) : [];
    if (dirs.length === 0) {
      const why = r.code === 0 ? 'it exports nothing' : childFailed('showmount', args, r).message;
      throw VireoError.of('OPERATION_FAILED', `no storage pools were found on host '${host}' (${why})`);
    }
    return dirs.map((dir) => ({ hosts: [{ name: host }], devices: [], dir, format: 'nfs' }));
  }

  /** The target directory only: a network file system is made on its server (libvirt refuses the flags). */
  override async build(def: PoolDef, opts: { overwrite?: boolean; noOverwrite?: boolean }): Promise<void> {
    checkBuildFlags(opts);
    await super.build(def, opts);
  }

  protected async spec(def: PoolDef): Promise<MountSpec> {
    const host = def.source.hosts[0]?.name;
    const dir = def.source.dir;
    if (host === undefined || dir === undefined) throw VireoError.of('XML_INVALID', `pool '${def.name}' needs <source><host name> and <dir path>`);
    const format = def.source.format ?? 'auto';
    const n = NETFS[format];
    if (n === undefined) throw VireoError.of('CONFIG_UNSUPPORTED', `netfs pool format '${format}' is not supported; supported: ${Object.keys(NETFS).join(', ')}`);
    // libvirt's spellings of the source, kept as they are (cifs's '//host//dir' included).
    const spec = format === 'cifs' ? `//${host}/${dir}` : `${host}:${dir}`;
    return {
      options: `${MOUNT_OPTIONS}${n.extra}`, args: [...(format === 'auto' ? [] : ['-t', format]), spec], match: { spec },
      ...(n.helper === undefined ? {} : { helper: n.helper }),
      fsType: n.fsType ?? 'nfs',
    };
  }

  protected async beforeMount(): Promise<void> {
    // An export mounted elsewhere too is normal: that is shared storage.
  }
}
