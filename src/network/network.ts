/**
 * A virtual network as a whole: bridge -> addresses -> firewall -> dnsmasq, undone step by step
 * when a later step fails (util/revert.ts), so a network that fails to start leaves no bridge,
 * rule or dnsmasq; stopping it; finding it again after a daemon restart. Knows no registry:
 * the daemon's network service decides when.
 */
import { VireoError } from '../api/errors.js';
import { Revert } from '../util/revert.js';
import { addAddress, addRoute, createBridge, deleteBridge, enableForwarding, findRouteConflict, linkExists, setBridgeIpv6, setLinkUp } from './bridge.js';
import { Dnsmasq, type DnsmasqEvent } from './dnsmasq.js';
import { dnsmasqFiles, dnsmasqPaths, needsDnsmasq } from './dnsmasq-conf.js';
import { addFirewall, firewallScript, removeFirewall } from './firewall.js';
import { getLink } from './iproute.js';
import { mustParseIp, subnetOf, type IpFamily, type Subnet } from './ip.js';
import { readLeases, type Lease } from './leases.js';
import type { NetworkSpec } from './types.js';

export interface NetworkDriverOptions {
  /** Directory of every network's dnsmasq files (NAME.conf, .hostsfile, .addnhosts, .pid, .leases). */
  dnsmasqDir: string;
  dnsmasqBinary?: string;
  /** dnsmasq died, was restarted, or was given up. */
  onDnsmasqEvent?: (e: DnsmasqEvent) => void;
  /** How often dnsmasq is checked (default 1000 ms). */
  dnsmasqPollMs?: number;
}

/** A running network: what stopNetwork and updates need. */
export interface RunningNetwork {
  spec: NetworkSpec;
  /** Undefined when the network needs none (no address, or no DHCP and DNS off). */
  dnsmasq: Dnsmasq | undefined;
}

const subnetsOf = (spec: NetworkSpec): Subnet[] => spec.ips.map((i) => subnetOf(mustParseIp(i.address, 'network address'), i.prefix));

const dnsmasqOpts = (o: NetworkDriverOptions) => ({
  dir: o.dnsmasqDir,
  ...(o.dnsmasqBinary === undefined ? {} : { binary: o.dnsmasqBinary }),
  ...(o.onDnsmasqEvent === undefined ? {} : { onEvent: o.onDnsmasqEvent }),
  ...(o.dnsmasqPollMs === undefined ? {} : { pollMs: o.dnsmasqPollMs }),
});

/**
 * What would stop the network from starting on this host: its bridge name taken, or one of its
 * subnets already routed here (libvirt: "network is already in use by interface X").
 */
export async function checkNetworkStart(spec: NetworkSpec): Promise<void> {
  if (await linkExists(spec.bridge.name)) {
    throw new VireoError('OPERATION_INVALID', `bridge name '${spec.bridge.name}' is already in use`);
  }
  const conflict = await findRouteConflict(subnetsOf(spec));
  if (conflict !== undefined) {
    throw new VireoError('OPERATION_INVALID', `network ${spec.name} (${conflict.subnet}) is already in use by interface ${conflict.dev ?? '(none)'} (route ${conflict.route})`, {
      hint: 'choose another subnet for the network',
    });
  }
}

/** Start a network: bridge, addresses, firewall, dnsmasq; nothing is left when a step fails. */
export async function startNetwork(spec: NetworkSpec, opts: NetworkDriverOptions): Promise<RunningNetwork> {
  // Everything that only depends on the spec is checked before the host is touched.
  firewallScript(spec);
  dnsmasqFiles(spec, dnsmasqPaths(opts.dnsmasqDir, spec.name));
  const routes = (spec.routes ?? []).map((r) => ({ ...r, dst: subnetOf(mustParseIp(r.address, 'route address'), r.prefix) }));
  await checkNetworkStart(spec);
  const br = spec.bridge.name;
  return Revert.run(async (revert) => {
    await createBridge(spec.bridge);
    revert.add(() => deleteBridge(br), `bridge ${br}`);
    const families = new Set<IpFamily>(spec.ips.map((i) => mustParseIp(i.address, 'network address').family));
    await setBridgeIpv6(br, families.has('ipv6') || spec.ipv6LinkLocal === true);
    for (const i of spec.ips) await addAddress(br, i.address, i.prefix);
    await setLinkUp(br, true);
    for (const r of routes) await addRoute(br, r.dst, r.gateway, r.metric);
    // Forwarding is switched on for the host as a whole and left on, as libvirt does.
    if (spec.forward.mode !== 'isolated') for (const f of families) await enableForwarding(f);
    await addFirewall(spec);
    revert.add(() => removeFirewall(br), `firewall rules of ${br}`);
    let dnsmasq: Dnsmasq | undefined;
    if (needsDnsmasq(spec)) {
      const d = await Dnsmasq.start(spec, dnsmasqOpts(opts));
      dnsmasq = d;
      revert.add(() => d.stop(), `dnsmasq of ${spec.name}`);
    }
    return { spec, dnsmasq };
  });
}

/**
 * Stop a network: dnsmasq (through the handle, or found by its files after a daemon restart),
 * the firewall rules, the bridge. Every step is tried; the first failure is thrown after.
 */
export async function stopNetwork(spec: NetworkSpec, opts: NetworkDriverOptions, running?: RunningNetwork): Promise<void> {
  let first: unknown;
  const step = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      first ??= e;
    }
  };
  await step(() => (running?.dnsmasq !== undefined ? running.dnsmasq.stop() : Dnsmasq.stopByFiles(spec.name, opts.dnsmasqDir)));
  await step(() => removeFirewall(spec.bridge.name));
  await step(() => deleteBridge(spec.bridge.name));
  if (first !== undefined) throw first instanceof Error ? first : new Error('stopping the network failed', { cause: first });
}

/**
 * Find a running network again after a daemon restart: undefined when its bridge is gone.
 * Its firewall rules are put back in place (a host firewall reload may have flushed them) and its
 * dnsmasq is reconnected, or started when it is no longer running.
 */
export async function reconnectNetwork(spec: NetworkSpec, opts: NetworkDriverOptions): Promise<RunningNetwork | undefined> {
  const link = await getLink(spec.bridge.name);
  if (link === undefined || link.kind !== 'bridge') return undefined;
  await addFirewall(spec);
  let dnsmasq: Dnsmasq | undefined;
  if (needsDnsmasq(spec)) {
    const found = await Dnsmasq.reconnect(spec, dnsmasqOpts(opts));
    // Files from an older vireo, or a spec changed meanwhile: bring dnsmasq up to date.
    if (found !== undefined) await found.update(spec);
    dnsmasq = found ?? (await Dnsmasq.start(spec, dnsmasqOpts(opts)));
  }
  return { spec, dnsmasq };
}

/** The DHCP leases of a network (from dnsmasq's lease file; also readable while it is stopped). */
export function networkLeases(network: string, opts: Pick<NetworkDriverOptions, 'dnsmasqDir'>): Promise<Lease[]> {
  return readLeases(dnsmasqPaths(opts.dnsmasqDir, network).leaseFile);
}
