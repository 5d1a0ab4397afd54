/**
 * libvirt host interface XML (interface.rng, netcf's format) <-> InterfaceDef: strict parsing,
 * formatting as libvirt 9.0 prints it.
 */
export type * from './model.js';
export { INTERFACE_TYPES, START_MODES, BOND_MODES, memberNames } from './model.js';
export { parseInterfaceXml, type InterfaceParseOptions } from './parse.js';
export { formatInterfaceXml } from './format.js';
