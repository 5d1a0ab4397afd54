/**
 * What is already on a device, as libvirt asks libblkid before pool-build writes over it: a file
 * system (TYPE), an LVM physical volume (TYPE=LVM2_member) or a partition table (PTTYPE).
 * pool-build without --overwrite refuses any of them, with libvirt's two messages.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';
import { systemError } from './files.js';
import { childFailed, runTool } from './tool.js';

/** The signature blkid finds on `device` (TYPE, else PTTYPE), or undefined for a blank one. */
export async function probeSignature(device: string): Promise<string | undefined> {
  await requireSource(device);
  const args = ['-p', '-o', 'export', device];
  const r = await runTool('blkid', args, { what: 'probing a device before pool-build' });
  // blkid exits 2 when it finds nothing it knows.
  if (r.code === 2) return undefined;
  if (r.code !== 0) throw childFailed('blkid', args, r);
  const vars = new Map(r.stdout.split('\n').map((l) => l.split('=', 2) as [string, string]));
  return vars.get('TYPE') ?? vars.get('PTTYPE');
}

/**
 * Refuse to build over a signature (unless `overwrite`): libvirt's "already formatted" when the
 * device holds what would be made, "does not match" for anything else.
 */
export async function requireBlank(device: string, expected: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await requireSource(device);
    return;
  }
  const found = await probeSignature(device);
  if (found === undefined) return;
  if (found === expected) {
    throw VireoError.of('STORAGE_POOL_BUILT', `Device '${device}' already formatted using '${found}'`, {
      hint: 'pool-build --overwrite replaces it (its data is lost)',
    });
  }
  throw VireoError.of('STORAGE_POOL_BUILT', `Format of device '${device}' does not match the expected format '${expected}', forced overwrite is necessary`, {
    hint: `blkid finds '${found}' on it; pool-build --overwrite replaces it (its data is lost)`,
  });
}

/** The source device must exist (a block device or an image file). */
export async function requireSource(device: string): Promise<void> {
  try {
    const st = await fs.stat(device);
    if (!st.isBlockDevice() && !st.isFile()) throw Object.assign(new Error('not a block device or file'), { code: 'ENOTBLK' });
  } catch (e) {
    const err = systemError(`cannot use source device '${device}'`, e);
    throw (e as { code?: string }).code === 'ENOTBLK'
      ? VireoError.of('STORAGE_FAILED', `cannot use source device '${device}': it is neither a block device nor an image file`)
      : err;
  }
}

/** pool-build's two flags exclude each other (libvirt refuses both at once). */
export function checkBuildFlags(opts: { overwrite?: boolean; noOverwrite?: boolean }): void {
  if (opts.overwrite === true && opts.noOverwrite === true) {
    throw VireoError.of('INVALID_ARG', "Flags 'VIR_STORAGE_POOL_BUILD_OVERWRITE' and 'VIR_STORAGE_POOL_BUILD_NO_OVERWRITE' are mutually exclusive", {
      hint: 'give --overwrite or --no-overwrite, not both',
    });
  }
}
