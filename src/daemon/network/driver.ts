/**
 * The network service's host driver over src/network/: the definition becomes the driver's
 * NetworkSpec (spec.ts) and leases come back as the API's NetworkLease.
 */
import type { NetworkLease } from '../../api/types.js';
import type { HostRoute, NetworkDef } from '../../conf/network/index.js';
import { networkLeases, reconnectNetwork, startNetwork, stopNetwork, type DnsmasqEvent, type NetworkDriverOptions, type RunningNetwork } from '../../network/index.js';
import { formatSubnet } from '../../network/ip.js';
import { dnsmasqPaths } from '../../network/dnsmasq-conf.js';
import { rm } from 'node:fs/promises';
import { listLinks, listRoutes } from '../../network/iproute.js';
import { VireoError } from '../../api/errors.js';
import { logger } from '../../util/log.js';
import type { NetworkDriver, NetworkRuntime } from './service.js';
import { toNetworkSpec } from './spec.js';

const log = logger('networks');

export function hostNetworkDriver(dnsmasqDir: string): NetworkDriver {
  const opts: NetworkDriverOptions = {
    dnsmasqDir,
    onDnsmasqEvent: (e: DnsmasqEvent) => {
      if (e.kind === 'gave-up') log.error(`network ${e.network}: dnsmasq keeps dying; no longer restarted`, { error: e.error.message });
      else log.warn(`network ${e.network}: dnsmasq ${e.kind} (pid ${e.pid})`);
    },
  };
  const runtime = (running: RunningNetwork): NetworkRuntime => ({
    stop: () => stopNetwork(running.spec, opts, running),
    reload: async (def: NetworkDef) => {
      const spec = toNetworkSpec(def);
      await running.dnsmasq?.update(spec);
      running.spec = spec;
    },
    detach: () => running.dnsmasq?.detach(),
    leases: async () => toLeases(await networkLeases(running.spec.name, opts), running),
  });
  return {
    start: async (def) => runtime(await startNetwork(toNetworkSpec(def), opts)),
    reconnect: async (def) => {
      const running = await reconnectNetwork(toNetworkSpec(def), opts);
      if (running === undefined) throw VireoError.of('OPERATION_FAILED', `the bridge of network '${def.name}' is gone`);
      return runtime(running);
    },
    hostRoutes: async (): Promise<HostRoute[]> => {
      const routes = [...(await listRoutes('ipv4')), ...(await listRoutes('ipv6'))];
      return routes.flatMap((r) => (r.dst === undefined || r.dev === undefined ? [] : [{ dest: formatSubnet(r.dst), dev: r.dev }]));
    },
    hostInterfaces: async () => (await listLinks()).map((l) => l.name),
    forget: async (name) => {
      const p = dnsmasqPaths(dnsmasqDir, name);
      for (const f of [p.conf, p.hostsFile, p.addnHosts, p.pidFile, p.leaseFile, p.conf.replace(/\.conf$/, '.dnsmasq.json')]) {
        await rm(f, { force: true });
      }
    },
  };
}

/** dnsmasq's leases as net-dhcp-leases shows them: the prefix is the network's, for the lease's family. */
function toLeases(leases: Awaited<ReturnType<typeof networkLeases>>, running: RunningNetwork): NetworkLease[] {
  const prefixOf = (family: 'ipv4' | 'ipv6'): number =>
    running.spec.ips.find((i) => (i.address.includes(':') ? 'ipv6' : 'ipv4') === family)?.prefix ?? (family === 'ipv4' ? 24 : 64);
  return leases.flatMap((l) => {
    if (l.mac === undefined) return [];
    const prefix = prefixOf(l.family);
    return [{
      expiryTime: l.expiryTime, mac: l.mac, type: l.family, ip: l.ip, prefix,
      hostname: l.hostname ?? null, clientId: l.clientId ?? null,
    }];
  });
}

