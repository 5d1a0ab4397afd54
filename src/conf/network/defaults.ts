/**
 * What libvirt fills into a network at define and at start, given the host's state as input:
 * the bridge name (the first free virbrN), the bridge MAC (52:54:00:...), and for a running NAT
 * network the masquerading port range.
 */

import { VireoError } from '../../api/errors.js';
import { generateMac } from '../names.js';
import { isManaged, type NetworkDef } from './model.js';
import { validateNetworkDef } from './validate.js';

/** libvirt's template for bridge names it picks. */
export const DEFAULT_BRIDGE_TEMPLATE = 'virbr%d';
/** libvirt gives up after this many candidates. */
const MAX_BRIDGE_ID = 256;
/** The source ports libvirt masquerades to when <nat><port> is not given. */
export const DEFAULT_NAT_PORTS = { start: 1024, end: 65535 } as const;

/** What define needs to know about the host. */
export interface DefineContext {
  /** Bridge names of the other networks (defined or running); an explicit name may not reuse one. */
  otherNetworkBridges: Iterable<string>;
  /** Interfaces present on the host (`ip link`); a picked name skips them too. */
  hostInterfaces?: Iterable<string>;
  /** The MAC generator (tests pass a fixed one); defaults to a random 52:54:00 address. */
  generateMac?: () => string;
}

/** The first name from `template` ('virbr%d') that no network and no host interface uses. */
export function pickBridgeName(template: string, inUse: ReadonlySet<string>): string {
  for (let id = 0; id < MAX_BRIDGE_ID; id++) {
    const candidate = template.replace('%d', String(id));
    if (!inUse.has(candidate)) return candidate;
  }
  throw VireoError.of('OPERATION_FAILED', `Bridge generation exceeded max id ${MAX_BRIDGE_ID}`, {
    hint: 'give the network an explicit <bridge name=...>',
  });
}

/**
 * The definition as net-define stores it: networks whose bridge vireod creates get a bridge
 * name (checked against other networks, or the first free one) and a MAC; STP settings were
 * already defaulted by the parser. Returns a new definition.
 */
export function fillNetworkDefaults(def: NetworkDef, ctx: DefineContext): NetworkDef {
  const out = structuredClone(def);
  if (!isManaged(out)) return out;
  const others = new Set(ctx.otherNetworkBridges);
  const bridge = out.bridge ?? { stp: true, delay: 0 };
  out.bridge = bridge;
  if (bridge.name !== undefined && !bridge.name.includes('%d')) {
    if (others.has(bridge.name)) {
      throw VireoError.of('OPERATION_INVALID', `bridge name '${bridge.name}' already in use.`, {
        hint: 'another network uses that bridge; pick another <bridge name> or leave it out to get a free one',
      });
    }
  } else {
    const taken = new Set([...others, ...(ctx.hostInterfaces ?? [])]);
    bridge.name = pickBridgeName(bridge.name ?? DEFAULT_BRIDGE_TEMPLATE, taken);
  }
  out.mac ??= (ctx.generateMac ?? generateMac)();
  validateNetworkDef(out);
  return out;
}

/** The live definition of a network being started: NAT gets libvirt's default port range. */
export function liveNetworkDef(def: NetworkDef): NetworkDef {
  const out = structuredClone(def);
  if (out.forward?.mode === 'nat') {
    out.forward.nat ??= {};
    out.forward.nat.port ??= { ...DEFAULT_NAT_PORTS };
  }
  return out;
}
