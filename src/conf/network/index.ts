/**
 * libvirt network XML <-> NetworkDef, and the pure rules around it: parsing validates and
 * rejects anything unsupported by name and line; formatting prints what `virsh net-dumpxml`
 * (libvirt 9.0) prints; define/start defaults; net-update; subnets and the default network.
 */

export type * from './model.js';
export { forwardMode, isManaged, MANAGED_MODES } from './model.js';
export { parseNetworkXml, type NetworkParseOptions } from './parse.js';
export { formatNetworkXml, type NetworkFormatOptions } from './format.js';
export { validateNetworkDef, effectivePrefix, ipSubnet } from './validate.js';
export {
  fillNetworkDefaults, liveNetworkDef, pickBridgeName, DEFAULT_BRIDGE_TEMPLATE, DEFAULT_NAT_PORTS, type DefineContext,
} from './defaults.js';
export {
  updateNetworkDef, NET_UPDATE_COMMANDS, NET_UPDATE_SECTIONS, type NetUpdateCommand, type NetUpdateSection, type NetUpdateOptions,
} from './update.js';
export {
  networkSubnets, findRouteCollision, checkRouteCollision, findOverlappingNetwork, pickDefaultSubnet, defaultNetworkXml,
  type HostRoute,
} from './subnets.js';
export {
  parseIp, parseIpv4, parseIpv6, formatIp, canonicalIp, parseCidr, formatCidr, cidrContains, subnetsOverlap, prefixMask,
  type Cidr, type IpAddr, type IpFamily,
} from './addr.js';
