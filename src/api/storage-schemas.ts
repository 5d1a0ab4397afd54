/** Wire schemas of storage pools and volumes (merged into wire-schemas.ts's SCHEMAS). */
import { WIPE_ALGORITHMS } from './storage-types.js';
import type { JsonSchema } from './schema.js';

const str = (description?: string): JsonSchema => (description === undefined ? { type: 'string' } : { type: 'string', description });
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const int = (description?: string): JsonSchema => (description === undefined ? { type: 'integer', minimum: 0 } : { type: 'integer', minimum: 0, description });
const obj = (properties: Record<string, JsonSchema>, required: readonly string[] = Object.keys(properties)): JsonSchema =>
  ({ type: 'object', properties, required, additionalProperties: false });
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });

export const STORAGE_SCHEMAS: Record<string, JsonSchema> = {
  PoolSummary: obj({
    name: str(), uuid: str(),
    type: { type: 'string', enum: ['dir', 'fs', 'netfs', 'logical', 'iscsi-direct'] },
    active: bool('running: its storage is usable'),
    persistent: bool('has a persistent config'),
    autostart: bool('starts with the daemon'),
    capacity: nullable(int('bytes; null while inactive')),
    allocation: nullable(int('bytes in use; null while inactive')),
    available: nullable(int('bytes free; null while inactive')),
    volumes: nullable(int('volumes in an active pool')),
  }),
  PoolDefineRequest: obj({
    xml: str('libvirt storage pool XML'),
    build: bool('create only: build the pool first'),
    overwrite: bool('build: format over existing data'),
    noOverwrite: bool('build: refuse to format over existing data'),
  }, ['xml']),
  PoolSourcesRequest: obj({
    type: str("the pool type: 'logical' (volume groups), 'netfs' (a host's NFS exports) or 'iscsi-direct' (a portal's targets)"),
    spec: str("libvirt's source specification, a <source> element saying where to look (host, port, initiator), as the type needs"),
  }, ['type']),
  PoolBuildRequest: obj({
    build: bool('start only: build the pool first'),
    overwrite: bool('format over existing data'),
    noOverwrite: bool('refuse to format over existing data'),
  }, []),
  VolumeSummary: obj({
    pool: str('the pool holding it'), name: str(), key: str(), path: str(),
    type: str("'file', 'dir', 'block'..."), format: str("'raw', 'qcow2'..."),
    capacity: int('bytes the guest sees'), allocation: int('bytes the host holds for it'), physical: int('size of the file'),
    backing: nullable(str('the backing file of an overlay')),
    incompleteUpload: str('present when an upload into the volume was cut off: what happened (see VOLUME_INCOMPLETE)'),
  }, ['pool', 'name', 'key', 'path', 'type', 'format', 'capacity', 'allocation', 'physical', 'backing']),
  VolumeCreateRequest: obj({ xml: str('libvirt storage volume XML'), preallocMetadata: bool('qcow2: preallocate metadata') }, ['xml']),
  VolumeCreateFromRequest: obj({
    xml: str('the new volume (vol-create-from)'),
    name: str('or only its name: a clone (vol-clone)'),
    input: str('the input volume: name in inputPool, or key or path'),
    inputPool: str('the pool of the input volume'),
    reflink: bool('share the input\'s blocks (a reflink) or fail, never copy them (--reflink)'),
    preallocMetadata: bool('a qcow2 copy with its metadata preallocated (--prealloc-metadata)'),
  }, ['input']),
  VolumeResizeRequest: obj({
    capacity: int('bytes: the new capacity, or with delta the bytes to add'),
    delta: bool('add capacity to the current one'),
    shrink: bool('allow a smaller capacity'),
    allocate: bool('allocate the new bytes (raw)'),
  }, ['capacity']),
  VolumeWipeRequest: obj({ algorithm: { type: 'string', enum: [...WIPE_ALGORITHMS], description: "libvirt's wipe algorithms; zero when absent, the pattern ones run scrub(1)" } }, []),
  PoolEvent: obj({
    type: { type: 'string', enum: ['pool-lifecycle'] },
    pool: obj({ name: str(), uuid: str() }),
    event: { type: 'string', enum: ['Defined', 'Undefined', 'Started', 'Stopped', 'Created', 'Deleted', 'Refreshed'] },
    timestamp: int('ms since the epoch'),
  }),
};
