/**
 * libvirt storage pool and volume XML <-> typed models: strict parsing that names what it
 * refuses, printing byte for byte as libvirt 9.0's pool-dumpxml and vol-dumpxml, sizes in
 * libvirt's units, and the pool capabilities document.
 */
export type * from './pool-model.js';
export type * from './vol-model.js';
export { POOL_TYPES, OTHER_POOL_TYPES, FS_FORMATS, NETFS_FORMATS, LOGICAL_FORMATS } from './pool-model.js';
export { FILE_VOL_FORMATS, KNOWN_VOL_FORMATS } from './vol-model.js';
export { parsePoolXml, parsePoolSourceXml } from './pool-parse.js';
export { parseVolumeXml } from './vol-parse.js';
export { formatPoolXml, formatPoolSourcesXml, formatVolumeXml, octalMode } from './format.js';
export { unitScale, scaleSize, parseSizeArg, type SizeProblem } from './units.js';
export { poolCapabilitiesXml } from './capabilities.js';
