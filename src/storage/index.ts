/**
 * The storage driver: one backend per pool type (types.ts): `dir`, `fs` and `netfs` (mounted
 * directories of files), `logical` (LVM) and `iscsi-direct` (an iSCSI target's LUNs, which QEMU
 * reaches itself).
 */
import { VireoError } from '../api/errors.js';
import type { PoolType } from '../conf/storage/index.js';
import { logger } from '../util/log.js';
import { DirBackend } from './dir.js';
import { FsBackend, NetfsBackend } from './fs.js';
import { LogicalBackend } from './logical.js';
import { IscsiDirectBackend } from './iscsi-direct.js';
import type { PoolBackend } from './types.js';

export type * from './types.js';
export { imageInfo, type ImageInfo } from './qemu-img.js';
export { readVolume } from './scan.js';
export { iscsiLunOf, type IscsiLun } from './iscsi-direct.js';

const log = logger('storage');
const BACKENDS: Partial<Record<PoolType, PoolBackend>> = {
  dir: new DirBackend(), fs: new FsBackend(), netfs: new NetfsBackend(), logical: new LogicalBackend(), 'iscsi-direct': new IscsiDirectBackend(),
};

/** Pool types this vireo has a backend for. */
export const RUNNABLE_POOL_TYPES: readonly PoolType[] = Object.keys(BACKENDS) as PoolType[];

/**
 * Pool types this host can run now (pool-capabilities' supported='yes'): a backend whose tools
 * or kernel parts are missing is left out, and why is logged. Such a pool can still be defined,
 * and its commands fail with an error naming what is missing.
 */
export async function supportedPoolTypes(): Promise<PoolType[]> {
  const out: PoolType[] = [];
  for (const type of RUNNABLE_POOL_TYPES) {
    const why = await BACKENDS[type]!.unsupported?.();
    if (why === undefined) out.push(type);
    else log.info(`storage pool type '${type}' cannot run on this host: ${why}`);
  }
  return out;
}

/** The backend of a pool type, or NO_SUPPORT naming it. */
export function backendFor(type: PoolType): PoolBackend {
  const b = BACKENDS[type];
  if (b === undefined) {
    throw VireoError.of('NO_SUPPORT', `storage pool type '${type}' cannot be run by this vireo yet; it runs: ${RUNNABLE_POOL_TYPES.join(', ')}`);
  }
  return b;
}
