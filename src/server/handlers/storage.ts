/** Handlers of the storage pool and volume routes: each turns one checked request into one service call. */
import type { VolumeCreateFromRequest, VolumeResizeRequest, XmlResponse } from '../../api/types.js';
import { field, type HandlerTable } from './call.js';

type StorageId = 'pool.list' | 'pool.define' | 'pool.create' | 'pool.capabilities' | 'pool.findSources' | 'pool.get' | 'pool.undefine' | 'pool.xml'
  | 'pool.start' | 'pool.build' | 'pool.destroy' | 'pool.delete' | 'pool.autostart' | 'pool.refresh'
  | 'volume.list' | 'volume.create' | 'volume.createFrom' | 'volume.get' | 'volume.delete' | 'volume.xml' | 'volume.wipe'
  | 'volume.resize' | 'volume.lookup';

const { str, optStr, bool } = field;
const buildOpts = (b: Record<string, unknown>): { build: boolean; overwrite: boolean; noOverwrite: boolean } =>
  ({ build: bool(b, 'build'), overwrite: bool(b, 'overwrite'), noOverwrite: bool(b, 'noOverwrite') });

export const storageHandlers: HandlerTable<StorageId> = {
  'pool.list': ({ daemon }) => daemon.pools.list(),
  'pool.define': ({ daemon, body }) => daemon.pools.define(str(body, 'xml')),
  'pool.create': ({ daemon, body }) => daemon.pools.create(str(body, 'xml'), buildOpts(body)),
  'pool.capabilities': ({ daemon }): XmlResponse => ({ xml: daemon.pools.capabilities() }),
  'pool.findSources': async ({ daemon, body }): Promise<XmlResponse> => ({ xml: await daemon.pools.findSources(str(body, 'type'), optStr(body, 'spec')) }),
  'pool.get': ({ daemon, ref }) => daemon.pools.lookup(ref).summary(),
  'pool.undefine': ({ daemon, ref }) => daemon.pools.undefine(ref),
  'pool.xml': ({ daemon, ref, query }): XmlResponse => ({ xml: daemon.pools.dumpXml(ref, { inactive: query.flag('inactive') }) }),
  'pool.start': ({ daemon, ref, body }) => daemon.pools.start(ref, buildOpts(body)),
  'pool.build': ({ daemon, ref, body }) => daemon.pools.build(ref, buildOpts(body)),
  'pool.destroy': ({ daemon, ref }) => daemon.pools.destroy(ref),
  'pool.delete': ({ daemon, ref }) => daemon.pools.delete(ref),
  'pool.autostart': ({ daemon, ref, body }) => daemon.pools.setAutostart(ref, bool(body, 'enabled')),
  'pool.refresh': ({ daemon, ref }) => daemon.pools.refresh(ref),
  'volume.list': ({ daemon, ref }) => daemon.volumes.list(ref),
  'volume.create': ({ daemon, ref, body }) => daemon.volumes.create(ref, str(body, 'xml'), { preallocMetadata: bool(body, 'preallocMetadata') }),
  'volume.createFrom': ({ daemon, ref, body }) => {
    const r: VolumeCreateFromRequest = { input: str(body, 'input') };
    for (const k of ['xml', 'name', 'inputPool'] as const) {
      const v = optStr(body, k);
      if (v !== undefined) r[k] = v;
    }
    if (bool(body, 'reflink')) r.reflink = true;
    if (bool(body, 'preallocMetadata')) r.preallocMetadata = true;
    return daemon.volumes.createFrom(ref, r);
  },
  'volume.get': ({ daemon, ref, vol }) => daemon.volumes.get(ref, vol),
  'volume.delete': ({ daemon, ref, vol }) => daemon.volumes.delete(ref, vol),
  'volume.xml': ({ daemon, ref, vol }): XmlResponse => ({ xml: daemon.volumes.xml(ref, vol) }),
  'volume.wipe': ({ daemon, ref, vol, body }) => daemon.volumes.wipe(ref, vol, optStr(body, 'algorithm')),
  'volume.resize': ({ daemon, ref, vol, body }) => {
    const r: VolumeResizeRequest = { capacity: body.capacity as number, delta: bool(body, 'delta'), shrink: bool(body, 'shrink'), allocate: bool(body, 'allocate') };
    return daemon.volumes.resize(ref, vol, r);
  },
  'volume.lookup': ({ daemon, vol }) => daemon.volumes.get(undefined, vol),
};
