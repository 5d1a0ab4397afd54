/**
 * libvirt domain XML <-> DomainDef. Parsing validates, fills libvirt's defaults and rejects
 * anything unsupported by name; formatting prints what `virsh dumpxml` (libvirt 9.0) prints.
 */

export { parseDomainXml, type ParseOptions } from './domain-parse.js';
export { formatDomainXml, type FormatOptions } from './domain-format.js';
