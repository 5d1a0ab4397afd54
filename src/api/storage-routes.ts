/** Routes of storage pools and volumes, spread into routes.ts's declarations. */
import type { RouteSpec } from './routes.js';

const P = '/v1/pools/{ref}';
const V = `${P}/volumes/{vol}`;

/** The byte range and mode of vol-upload and vol-download. */
const TRANSFER_QUERY = [
  { name: 'offset', type: 'integer', description: "where in the volume's file to start (default 0)" },
  { name: 'length', type: 'integer', description: 'at most this many bytes (0 or absent: to the end)' },
  { name: 'sparse', type: 'flag', description: 'the body is the framed sparse stream (application/vnd.vireo.sparse-stream; see docs/api.md)' },
] as const;

export const STORAGE_ROUTES = [
  { id: 'pool.list', access: 'read', method: 'GET', path: '/v1/pools', summary: 'every storage pool (pool-list)', response: 'PoolSummary', shape: 'array' },
  { id: 'pool.define', access: 'write', method: 'POST', path: '/v1/pools', summary: 'define (or redefine) a pool from XML (pool-define)', request: 'PoolDefineRequest', response: 'PoolSummary' },
  { id: 'pool.create', access: 'write', method: 'POST', path: '/v1/pools/create', summary: 'start a transient pool from XML, optionally building it (pool-create)', request: 'PoolDefineRequest', response: 'PoolSummary' },
  { id: 'pool.capabilities', access: 'read', method: 'GET', path: '/v1/pool-capabilities', summary: "libvirt's storage pool capabilities XML: the pool types this daemon runs", response: 'XmlResponse' },
  {
    // 'write': the daemon connects to the hosts the spec names, which a read-only client may not make it do.
    id: 'pool.findSources', access: 'write', method: 'POST', path: '/v1/pool-sources', summary: 'the sources a pool of a type could use, as a <sources> document (find-storage-pool-sources)',
    request: 'PoolSourcesRequest', response: 'XmlResponse',
  },
  { id: 'pool.get', access: 'read', method: 'GET', path: P, summary: 'one pool (pool-info); ref is a name or UUID', response: 'PoolSummary' },
  { id: 'pool.undefine', access: 'write', method: 'DELETE', path: P, summary: 'forget an inactive persistent pool (pool-undefine)', response: 'PoolSummary' },
  {
    id: 'pool.xml', access: 'read', method: 'GET', path: `${P}/xml`, summary: 'the pool XML (pool-dumpxml)', response: 'XmlResponse',
    query: [{ name: 'inactive', type: 'flag', description: 'the persistent config rather than the running definition' }],
  },
  { id: 'pool.start', access: 'write', method: 'POST', path: `${P}/start`, summary: 'start a defined pool, optionally building it (pool-start)', request: 'PoolBuildRequest', response: 'PoolSummary' },
  { id: 'pool.build', access: 'write', method: 'POST', path: `${P}/build`, summary: 'make the storage of an inactive pool (pool-build)', request: 'PoolBuildRequest', response: 'PoolSummary' },
  { id: 'pool.destroy', access: 'write', method: 'POST', path: `${P}/destroy`, summary: 'stop a pool; volumes stay (pool-destroy)', request: 'EmptyRequest', response: 'PoolSummary' },
  { id: 'pool.delete', access: 'write', method: 'POST', path: `${P}/delete`, summary: 'remove the storage of an inactive pool: a dir pool\'s directory only when empty (pool-delete)', request: 'EmptyRequest', response: 'PoolSummary' },
  { id: 'pool.autostart', access: 'write', method: 'POST', path: `${P}/autostart`, summary: 'mark or unmark for start with the daemon (pool-autostart)', request: 'AutostartRequest', response: 'PoolSummary' },
  { id: 'pool.refresh', access: 'write', method: 'POST', path: `${P}/refresh`, summary: 'read the pool\'s sizes and volumes again (pool-refresh)', request: 'EmptyRequest', response: 'PoolSummary' },
  { id: 'volume.list', access: 'read', method: 'GET', path: `${P}/volumes`, summary: 'the volumes of an active pool (vol-list)', response: 'VolumeSummary', shape: 'array' },
  { id: 'volume.create', access: 'write', method: 'POST', path: `${P}/volumes`, summary: 'make a volume from XML (vol-create, vol-create-as)', request: 'VolumeCreateRequest', response: 'VolumeSummary' },
  { id: 'volume.createFrom', access: 'write', method: 'POST', path: `${P}/volumes/from`, summary: 'make a volume with the content of another (vol-create-from, vol-clone)', request: 'VolumeCreateFromRequest', response: 'VolumeSummary' },
  { id: 'volume.get', access: 'read', method: 'GET', path: V, summary: 'one volume (vol-info); vol is its name, key or path', response: 'VolumeSummary' },
  { id: 'volume.delete', access: 'write', method: 'DELETE', path: V, summary: 'delete a volume (vol-delete)', response: 'VolumeSummary' },
  { id: 'volume.xml', access: 'read', method: 'GET', path: `${V}/xml`, summary: 'the volume XML (vol-dumpxml)', response: 'XmlResponse' },
  { id: 'volume.wipe', access: 'write', method: 'POST', path: `${V}/wipe`, summary: 'overwrite a volume\'s data with zeros (vol-wipe)', request: 'VolumeWipeRequest', response: 'VolumeSummary' },
  { id: 'volume.resize', access: 'write', method: 'POST', path: `${V}/resize`, summary: 'change a volume\'s capacity (vol-resize)', request: 'VolumeResizeRequest', response: 'VolumeSummary' },
  {
    id: 'volume.upload', access: 'write', method: 'POST', path: `${V}/upload`, requestBody: 'bytes', response: 'VolumeSummary',
    summary: "write the body's bytes into the volume's file at offset (vol-upload): application/octet-stream, or with sparse=1 the framed sparse stream; an upload cut off marks the volume incomplete",
    query: TRANSFER_QUERY,
  },
  {
    id: 'volume.download', access: 'read', method: 'GET', path: `${V}/download`, shape: 'bytes', response: 'Error',
    summary: "the bytes of the volume's file from offset (vol-download): application/octet-stream with its length, or with sparse=1 the framed sparse stream",
    query: TRANSFER_QUERY,
  },
  { id: 'volume.lookup', access: 'read', method: 'GET', path: '/v1/volumes/{vol}', summary: 'find a volume in any active pool by key or path', response: 'VolumeSummary' },
] as const satisfies readonly RouteSpec[];
