/**
 * The host-facing network driver: bridges, taps, dnsmasq and nftables for virtual networks.
 * It knows no domains and no registry; the daemon's network service maps its network
 * definitions to NetworkSpec and decides when to call these.
 */
export type { BridgeSpec, DhcpHost, DhcpRange, DnsForwarder, DnsHost, DnsSpec, DnsSrv, DnsTxt, ForwardMode, ForwardSpec, IpSpec, LeaseTime, NatSpec, NetworkSpec, RouteSpec } from './types.js';
export { checkNetworkStart, networkLeases, reconnectNetwork, startNetwork, stopNetwork, type NetworkDriverOptions, type RunningNetwork } from './network.js';
export { Dnsmasq, type DnsmasqEvent, type DnsmasqOptions } from './dnsmasq.js';
export { dnsmasqFiles, dnsmasqPaths, needsDnsmasq, type DnsmasqFiles, type DnsmasqPaths } from './dnsmasq-conf.js';
export { readLeases, parseLeases, type Lease } from './leases.js';
export { addFirewall, removeFirewall, hasFirewall, firewallScript } from './firewall.js';
export { checkIfname, checkMac, createBridge, deleteBridge, findRouteConflict, linkExists, setLinkUp, type RouteConflict } from './bridge.js';
export { attachToBridge, createTap, deleteTap, detachFromBridge, linkState, lowestFreeVnet, setLinkState, tapMacFor, type LinkState, type TapOptions } from './tap.js';
export { formatSubnet, parseIp, parseSubnet, subnetOf, overlaps, type IpFamily, type Subnet } from './ip.js';
export { hostInterfaces, deviceRoutes, liveInterfaceDef, ifaceType, protocolsOf, type HostIface, type HostAddr, type HostRoute } from './hostif-state.js';
export { startInterface, stopInterface, type AppliedInterface, type MemberSnapshot } from './hostif-apply.js';
export { clearTapBandwidth, dropPolicing, htbQuantum, inboundTc, outboundNft, policeChain, POLICE_TABLE, setTapBandwidth } from './bandwidth.js';
