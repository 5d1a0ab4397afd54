/**
 * A pool's volume as a guest's disk source (`<disk type='volume'>` at start): a file or block
 * volume by its path, an iscsi-direct LUN as the portal, target, LUN and initiator QEMU logs in
 * with. libvirt's refusals and words: an unknown pool, an inactive pool, an unknown volume, a
 * source mode on a pool that is not of type iscsi.
 */
import { VireoError } from '../../api/errors.js';
import type { ResolvedVolume, VolumeSource } from '../../conf/domain-model.js';
import { iscsiLunOf } from '../../storage/index.js';
import type { PoolService } from './service.js';

/** Where the volume `src` names is, from its pool's last refresh. */
export function volumeDiskSource(pools: PoolService, src: VolumeSource): ResolvedVolume {
  const pool = pools.lookup(src.pool);
  if (!pool.active) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `storage pool '${pool.name}' containing volume '${src.volume}' is not active`, {
      hint: `start it first: vireo pool-start ${pool.name}`,
    });
  }
  if (src.mode !== undefined) {
    // libvirt checks this for every pool type but 'iscsi' (the kernel initiator), which vireo does not run.
    throw VireoError.of('XML_INVALID', `XML error: disk source mode is only valid when storage pool is of iscsi type (pool '${pool.name}' is of type '${pool.def.type}')`);
  }
  const vol = pool.volumes.get(src.volume);
  if (vol === undefined) throw VireoError.of('NO_STORAGE_VOL', `no storage vol with matching name '${src.volume}'`);
  switch (vol.type ?? 'file') {
    case 'file':
    case 'block':
      return { type: vol.type === 'block' ? 'block' : 'file', path: vol.target.path ?? '' };
    case 'network': {
      const l = iscsiLunOf(pool.def, vol);
      return {
        type: 'network',
        network: { protocol: 'iscsi', name: `${l.target}/${l.lun}`, host: { name: l.host, port: l.port }, initiatorIqn: l.initiator },
      };
    }
    case 'dir':
    case 'netdir':
      throw VireoError.of('CONFIG_UNSUPPORTED', `volume '${vol.name}' of pool '${pool.name}' is a directory, which cannot be a disk`);
  }
}
