/**
 * A network definition (conf/network) as the driver's NetworkSpec (network/types): the one place
 * that knows both. Only managed modes (isolated, nat, route, open) map: a bridge-mode network
 * uses a host bridge someone else runs, so there is nothing to start.
 */
import type { NetworkDef } from '../../conf/network/index.js';
import { effectivePrefix, forwardMode } from '../../conf/network/index.js';
import type { NetworkSpec } from '../../network/types.js';
import { VireoError } from '../../api/errors.js';

export function toNetworkSpec(def: NetworkDef): NetworkSpec {
  const mode = forwardMode(def);
  if (mode === 'bridge') throw VireoError.of('INTERNAL', `network '${def.name}' uses a host bridge: there is nothing to start`);
  const bridgeName = def.bridge?.name;
  if (bridgeName === undefined) throw VireoError.of('INTERNAL', `network '${def.name}' has no bridge name`);
  const spec: NetworkSpec = {
    name: def.name,
    bridge: {
      name: bridgeName,
      ...(def.mac === undefined ? {} : { mac: def.mac }),
      ...(def.mtu === undefined ? {} : { mtu: def.mtu }),
      stp: def.bridge?.stp ?? true,
      delay: def.bridge?.delay ?? 0,
    },
    forward: {
      mode,
      ...(def.forward?.interfaces[0] === undefined ? {} : { dev: def.forward.interfaces[0] }),
      ...(def.forward?.nat === undefined ? {} : {
        nat: {
          ...(def.forward.nat.address === undefined ? {} : { addressStart: def.forward.nat.address.start, addressEnd: def.forward.nat.address.end }),
          ...(def.forward.nat.port === undefined ? {} : { portStart: def.forward.nat.port.start, portEnd: def.forward.nat.port.end }),
          ...(def.forward.nat.ipv6 === undefined ? {} : { ipv6: def.forward.nat.ipv6 }),
        },
      }),
    },
    ips: def.ips.map((ip) => ({
      address: ip.address,
      prefix: effectivePrefix(ip),
      ...(ip.localPtr === undefined ? {} : { localPtr: ip.localPtr }),
      dhcpRanges: (ip.dhcp?.ranges ?? []).map((r) => ({ start: r.start, end: r.end, ...(r.lease === undefined ? {} : { lease: r.lease }) })),
      dhcpHosts: (ip.dhcp?.hosts ?? []).map((h) => ({
        ip: h.ip,
        ...(h.mac === undefined ? {} : { mac: h.mac }),
        ...(h.id === undefined ? {} : { id: h.id }),
        ...(h.name === undefined ? {} : { name: h.name }),
        ...(h.lease === undefined ? {} : { lease: h.lease }),
      })),
    })),
    routes: def.routes.map((r) => ({
      address: r.address,
      prefix: effectivePrefix(r),
      gateway: r.gateway,
      ...(r.metric === undefined ? {} : { metric: r.metric }),
    })),
    ...(def.ipv6 === true ? { ipv6LinkLocal: true } : {}),
    ...(def.domain === undefined ? {} : { domain: def.domain }),
    ...(def.dns === undefined ? {} : {
      dns: {
        ...(def.dns.enable === undefined ? {} : { enable: def.dns.enable }),
        ...(def.dns.forwardPlainNames === undefined ? {} : { forwardPlainNames: def.dns.forwardPlainNames }),
        forwarders: def.dns.forwarders,
        hosts: def.dns.hosts,
        txts: def.dns.txts,
        srvs: def.dns.srvs,
      },
    }),
  };
  return spec;
}
