/**
 * The typed model of libvirt's host interface XML (interface.rng, the netcf format): a physical
 * NIC (ethernet), a bridge, a bond or a VLAN, with its start mode, MTU and addressing.
 */

export const INTERFACE_TYPES = ['ethernet', 'bridge', 'bond', 'vlan'] as const;
export type InterfaceType = (typeof INTERFACE_TYPES)[number];

export const START_MODES = ['onboot', 'none', 'hotplug'] as const;
export type StartMode = (typeof START_MODES)[number];

export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export type BondMode = (typeof BOND_MODES)[number];

/** One address of a protocol. */
export interface InterfaceIp {
  /** Canonical text (inet_ntop's form). */
  address: string;
  prefix?: number;
}

/** `<protocol family='ipv4|ipv6'>`. */
export interface InterfaceProtocol {
  family: 'ipv4' | 'ipv6';
  /** IPv6 stateless autoconfiguration. */
  autoconf?: boolean;
  /** Addresses from DHCP; `peerdns` as written. vireod records it and runs no DHCP client (docs). */
  dhcp?: { peerdns?: boolean };
  ips: InterfaceIp[];
  /** The default route's gateway. */
  gateway?: string;
}

/** `<link speed state>`: what the kernel reports; ignored when applying. */
export interface InterfaceLink {
  speed?: number;
  state?: string;
}

export interface BridgeConfig {
  stp?: boolean;
  /** Forward delay in seconds (a double, as the schema's timeval). */
  delay?: number;
  members: InterfaceDef[];
}

export interface BondConfig {
  mode?: BondMode;
  miimon?: { freq: number; downdelay?: number; updelay?: number; carrier?: 'ioctl' | 'netif' };
  arpmon?: { interval: number; target: string; validate?: 'none' | 'active' | 'backup' | 'all' };
  members: InterfaceDef[];
}

export interface VlanConfig {
  tag: number;
  /** The device the VLAN rides on. */
  device: string;
}

/** One interface definition; members of a bridge or bond are bare (no start, MTU or addressing). */
export interface InterfaceDef {
  type: InterfaceType;
  name: string;
  start?: StartMode;
  mtu?: number;
  /** Ethernet only. */
  mac?: string;
  link?: InterfaceLink;
  protocols: InterfaceProtocol[];
  bridge?: BridgeConfig;
  bond?: BondConfig;
  vlan?: VlanConfig;
}

/** The names of the devices an interface takes as its ports (bridge and bond members). */
export function memberNames(def: InterfaceDef): string[] {
  return (def.bridge?.members ?? def.bond?.members ?? []).map((m) => m.name);
}
