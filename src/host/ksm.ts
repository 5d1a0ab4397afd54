/**
 * The host's kernel same-page merging (KSM), as node-memory-tune shows and sets it: the files of
 * /sys/kernel/mm/ksm under libvirt's parameter names (shm_*). A file this kernel lacks reads as
 * null (libvirt leaves such a parameter out).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import type { NodeMemoryParameters, NodeMemoryTuneRequest } from '../api/types.js';

/** libvirt's parameter names, in its order, and the KSM file each is. */
const PARAMS: ReadonlyArray<[keyof NodeMemoryParameters, string]> = [
  ['shm_pages_to_scan', 'pages_to_scan'],
  ['shm_sleep_millisecs', 'sleep_millisecs'],
  ['shm_pages_shared', 'pages_shared'],
  ['shm_pages_sharing', 'pages_sharing'],
  ['shm_pages_unshared', 'pages_unshared'],
  ['shm_pages_volatile', 'pages_volatile'],
  ['shm_full_scans', 'full_scans'],
  ['shm_merge_across_nodes', 'merge_across_nodes'],
];

const ksmDir = (root: string): string => path.join(root, 'sys/kernel/mm/ksm');

/** Every KSM parameter libvirt reports, read from `root`/sys/kernel/mm/ksm. */
export async function readKsm(root = '/'): Promise<NodeMemoryParameters> {
  const out: Partial<NodeMemoryParameters> = {};
  for (const [name, file] of PARAMS) {
    const text = await fs.readFile(path.join(ksmDir(root), file), 'utf8').catch(() => undefined);
    const n = text === undefined ? NaN : Number(text.trim());
    out[name] = Number.isSafeInteger(n) ? n : null;
  }
  return out as NodeMemoryParameters;
}

/** Write the settings asked for, in libvirt's order; a value the kernel refuses names its file and the reason. */
export async function writeKsm(req: NodeMemoryTuneRequest, root = '/'): Promise<void> {
  for (const [name, file] of PARAMS) {
    const v = req[name as keyof NodeMemoryTuneRequest];
    if (v === undefined) continue;
    const p = path.join(ksmDir(root), file);
    try {
      await fs.writeFile(p, `${v}\n`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // EBUSY: merge_across_nodes cannot change while pages are merged (the kernel's rule).
      const why = err.code === 'ENOENT' ? 'this kernel has no such KSM setting' : err.code === 'EBUSY' ? 'Device or resource busy' : err.message;
      throw VireoError.of('OPERATION_FAILED', `Unable to set '${name}' in ${p}: ${why}`, { cause: e });
    }
  }
}
