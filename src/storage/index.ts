/**
 * The storage driver: one backend per pool type (types.ts). `dir` and `iscsi-direct` run today;
 * fs, netfs and logical parse and print (conf/storage) and get their backends here next.
 */
import { VireoError } from '../api/errors.js';
import type { PoolType } from '../conf/storage/index.js';
import { DirBackend } from './dir.js';
import { IscsiDirectBackend } from './iscsi-direct.js';
import type { PoolBackend } from './types.js';

export type * from './types.js';
export { imageInfo, type ImageInfo } from './qemu-img.js';
export { readVolume } from './dir.js';
export { iscsiLunOf, type IscsiLun } from './iscsi-direct.js';

const BACKENDS: Partial<Record<PoolType, PoolBackend>> = { dir: new DirBackend(), 'iscsi-direct': new IscsiDirectBackend() };

/** Pool types this vireo can run (pool-capabilities' supported='yes'). */
export const RUNNABLE_POOL_TYPES: readonly PoolType[] = Object.keys(BACKENDS) as PoolType[];

/** The backend of a pool type, or NO_SUPPORT naming it. */
export function backendFor(type: PoolType): PoolBackend {
  const b = BACKENDS[type];
  if (b === undefined) {
    throw VireoError.of('NO_SUPPORT', `storage pool type '${type}' cannot be run by this vireo yet; it runs: ${RUNNABLE_POOL_TYPES.join(', ')}`);
  }
  return b;
}
