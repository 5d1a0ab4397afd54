/**
 * The network service: virtual networks (net-* commands), the only code that decides a
 * network's state. Names and UUIDs come from the daemon's registry; what runs on the host
 * (bridge, firewall rules, dnsmasq) is the driver's, reached through NetworkDriver.
 *
 * As libvirt: a network is active or not; net-undefine of an active network leaves it running,
 * transient, until net-destroy; a network that fails half-way to start leaves nothing behind
 * (the driver undoes its steps).
 */
import type { NetworkEvent, NetworkLease, NetworkSummary, NetworkUpdateRequest } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import {
  checkRouteCollision, defaultNetworkXml, effectivePrefix, fillNetworkDefaults, pickDefaultSubnet, findOverlappingNetwork, formatCidr, formatNetworkXml, isManaged, liveNetworkDef,
  parseNetworkXml, updateNetworkDef, type HostRoute, type NetworkDef,
} from '../../conf/network/index.js';
import { logger } from '../../util/log.js';
import { parseMac, parseUuid } from '../../conf/names.js';
import type { Registry, Table } from '../registry.js';
import type { NetworkStore } from './store.js';

const log = logger('networks');

/** A running network on the host, as the driver keeps it. */
export interface NetworkRuntime {
  /** Take down what start set up (dnsmasq, firewall rules, bridge). */
  stop(): Promise<void>;
  /** Tell dnsmasq about a changed definition (DHCP hosts, DNS records). */
  reload(def: NetworkDef): Promise<void>;
  leases(): Promise<NetworkLease[]>;
  /** vireod is stopping: stop watching, leave everything running. */
  detach(): void;
}

/** What the service needs of the host: implemented over src/network/ by the daemon. */
export interface NetworkDriver {
  /** Bring a managed network up; on failure nothing it did is left. */
  start(def: NetworkDef): Promise<NetworkRuntime>;
  /** Take up a network a previous vireod started (dnsmasq restarted if it died meanwhile). */
  reconnect(def: NetworkDef): Promise<NetworkRuntime>;
  /** The host's routes, for the check that a subnet is not already in use. */
  hostRoutes(): Promise<HostRoute[]>;
  /** Names of the host's network interfaces (bridge names in use). */
  hostInterfaces(): Promise<string[]>;
  /** Remove what an inactive network leaves on disk (dnsmasq's config and lease files), as libvirt at undefine. */
  forget(name: string): Promise<void>;
}

export interface NetworkServiceDeps {
  store: NetworkStore;
  registry: Registry;
  driver: NetworkDriver;
  emit(ev: NetworkEvent): void;
}

/** One virtual network as the daemon holds it. */
export class Network {
  /** The persistent config (undefined for a transient network). */
  persistent: NetworkDef | undefined;
  /** The live definition while active. */
  live: NetworkDef | undefined;
  runtime: NetworkRuntime | undefined;
  autostart = false;
  /** One change at a time per network (start, destroy, update...). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(def: NetworkDef, persistent: boolean) {
    if (persistent) this.persistent = def;
    else this.live = def;
  }

  get def(): NetworkDef {
    return this.live ?? this.persistent!;
  }

  get name(): string {
    return this.def.name;
  }

  get uuid(): string {
    return this.def.uuid;
  }

  get active(): boolean {
    return this.runtime !== undefined;
  }

  /** Run `fn` after the changes queued before it. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  summary(): NetworkSummary {
    return {
      name: this.name, uuid: this.uuid, active: this.active, persistent: this.persistent !== undefined, autostart: this.autostart,
      bridge: this.def.bridge?.name ?? null,
    };
  }
}

const notFound = (ref: string): VireoError => VireoError.of('NO_NETWORK', `no network with matching name '${ref}'`);

export class NetworkService {
  private readonly table: Table<Network>;

  constructor(private readonly deps: NetworkServiceDeps) {
    this.table = deps.registry.table<Network>('network', {
      nameTaken: (name, uuid) => VireoError.of('NETWORK_EXISTS', `network '${name}' already exists with uuid ${uuid}`),
      uuidTaken: (uuid, name) => VireoError.of('NETWORK_EXISTS', `network '${name}' is already defined with uuid ${uuid}`),
    });
  }

  /**
   * Load configs, take up active networks again, then start autostart ones (before any guest).
   * `createDefault`: on the first start of this state, define libvirt's 'default' network first.
   */
  async init(opts: { createDefault?: boolean } = {}): Promise<void> {
    const { store } = this.deps;
    const firstStart = await store.init();
    for (const { file, xml } of await store.configs.list()) {
      try {
        const def = parseNetworkXml(xml, { sourceName: file });
        const net = new Network(def, true);
        net.autostart = await store.configs.isAutostart(def.name);
        this.table.add(def.name, def.uuid, net);
      } catch (e) {
        log.error(`ignoring unreadable network config ${file}`, { error: String(e) });
      }
    }
    for (const entry of await store.status.list()) {
      if (!('status' in entry)) {
        log.error(`the network status file '${entry.file}' cannot be read (${entry.problem}); what it describes is left as it is`);
        continue;
      }
      const st = entry.status;
      try {
        const live = parseNetworkXml(st.xml, { sourceName: entry.file });
        let net = this.table.get(st.uuid);
        if (net === undefined) {
          net = new Network(live, false);
          this.table.add(st.name, st.uuid, net);
        }
        net.live = live;
        net.runtime = await this.deps.driver.reconnect(live);
        log.info(`network ${st.name}: taken up again`);
      } catch (e) {
        log.error(`network ${st.name}: cannot take it up again`, { error: String(e) });
      }
    }
    if (opts.createDefault === true && firstStart) await this.defineDefault();
    for (const net of this.table.values()) {
      if (net.autostart && !net.active) {
        await this.start(net.uuid).catch((e: unknown) => log.error(`autostart of network ${net.name} failed`, { error: String(e) }));
      }
    }
  }

  /**
   * libvirt's 'default' network, as its package installs it: NAT on 192.168.122.0/24 (or the
   * first 192.168.N.0/24 no host route or other network uses), DHCP, autostart.
   */
  private async defineDefault(): Promise<void> {
    if (this.table.getByName('default') !== undefined) return;
    const used = [
      ...(await this.deps.driver.hostRoutes()).map((r) => r.dest),
      ...this.table.values().flatMap((n) => n.def.ips.map((ip) => `${ip.address}/${effectivePrefix(ip)}`)),
    ];
    const subnet = pickDefaultSubnet(used);
    if (subnet === undefined) {
      log.warn("no free 192.168.N.0/24 for the 'default' network; not defining it");
      return;
    }
    await this.define(defaultNetworkXml(subnet));
    await this.setAutostart('default', true);
    log.info(`defined the 'default' network on ${formatCidr(subnet)}, autostart`);
  }

  /** Find a network by UUID, then name. */
  lookup(ref: string): Network {
    const byUuid = this.table.get(parseUuid(ref) ?? ref.toLowerCase());
    if (byUuid !== undefined) return byUuid;
    const byName = this.table.getByName(ref);
    if (byName !== undefined) return byName;
    throw notFound(ref);
  }

  list(): NetworkSummary[] {
    return this.table.values().map((n) => n.summary());
  }

  private emit(net: Network, event: string): void {
    this.deps.emit({ type: 'network-lifecycle', network: { name: net.name, uuid: net.uuid }, event, timestamp: Date.now() });
  }

  /** Parse, then fill what libvirt fills at define (bridge name, MAC) against the other networks. */
  private complete(parsed: NetworkDef, self?: Network): NetworkDef {
    const def = structuredClone(parsed);
    const others = this.table.values().filter((n) => n !== self && n.name !== def.name && n.uuid !== def.uuid);
    const previous = self?.persistent ?? self?.live;
    // A redefinition keeps the bridge and MAC it had unless the XML names others.
    if (previous !== undefined && def.bridge?.name === undefined && previous.bridge?.name !== undefined) {
      def.bridge = { ...(def.bridge ?? { stp: true, delay: 0 }), name: previous.bridge.name };
    }
    if (previous !== undefined && def.mac === undefined && previous.mac !== undefined) def.mac = previous.mac;
    return fillNetworkDefaults(def, {
      otherNetworkBridges: others.flatMap((n) => (n.def.bridge?.name === undefined ? [] : [n.def.bridge.name])),
      hostInterfaces: [],
    });
  }

  async define(xml: string): Promise<NetworkSummary> {
    const parsed = parseNetworkXml(xml);
    const existing = this.table.get(parsed.uuid) ?? this.table.getByName(parsed.name);
    if (existing !== undefined && (existing.name !== parsed.name || existing.uuid !== parsed.uuid)) {
      if (existing.name === parsed.name) throw VireoError.of('NETWORK_EXISTS', `network '${parsed.name}' already exists with uuid ${existing.uuid}`);
      throw VireoError.of('NETWORK_EXISTS', `network '${existing.name}' is already defined with uuid ${parsed.uuid}`);
    }
    if (existing === undefined) {
      const reservation = this.table.reserve(parsed.name, parsed.uuid);
      let def: NetworkDef;
      try {
        def = this.complete(parsed);
        await this.deps.store.saveConfig(def);
      } catch (e) {
        reservation.release();
        throw e;
      }
      const net = new Network(def, true);
      reservation.commit(net);
      this.emit(net, 'Defined');
      return net.summary();
    }
    return existing.serial(async () => {
      if (this.table.get(existing.uuid) !== existing) return this.define(xml);
      const def = this.complete(parsed, existing);
      await this.deps.store.saveConfig(def);
      existing.persistent = def;
      this.emit(existing, 'Defined');
      return existing.summary();
    });
  }

  async create(xml: string): Promise<NetworkSummary> {
    const parsed = parseNetworkXml(xml);
    // libvirt: net-create of a defined, inactive network (same name and UUID) starts it with this XML.
    const same = this.table.getByName(parsed.name);
    if (same !== undefined && same.uuid === parsed.uuid && !same.active) {
      await same.serial(async () => {
        if (same.active) throw VireoError.of('OPERATION_INVALID', `network '${same.name}' is already active`);
        same.live = liveNetworkDef(this.complete(parsed, same));
        try {
          await this.bringUp(same);
        } catch (e) {
          same.live = undefined;
          throw e;
        }
      });
      this.emit(same, 'Started');
      return same.summary();
    }
    const reservation = this.table.reserve(parsed.name, parsed.uuid);
    const net = new Network(parsed, false);
    try {
      net.live = liveNetworkDef(this.complete(parsed));
      await this.bringUp(net);
    } catch (e) {
      reservation.release();
      throw e;
    }
    reservation.commit(net);
    this.emit(net, 'Started');
    return net.summary();
  }

  async undefine(ref: string): Promise<NetworkSummary> {
    const net = this.lookup(ref);
    return net.serial(async () => {
      if (net.persistent === undefined) throw VireoError.of('OPERATION_INVALID', "can't undefine transient network");
      await this.deps.store.configs.remove(net.name);
      net.autostart = false;
      if (net.active) {
        net.live ??= net.persistent;
        net.persistent = undefined;
      } else {
        this.table.remove(net.uuid, net);
        await this.deps.driver.forget(net.name);
      }
      this.emit(net, 'Undefined');
      return { ...net.summary(), persistent: false };
    });
  }

  async start(ref: string): Promise<NetworkSummary> {
    const net = this.lookup(ref);
    await net.serial(async () => {
      if (net.active) throw VireoError.of('OPERATION_INVALID', `network is already active`);
      net.live = liveNetworkDef(net.persistent ?? net.def);
      try {
        await this.bringUp(net);
      } catch (e) {
        net.live = undefined;
        throw e;
      }
    });
    this.emit(net, 'Started');
    return net.summary();
  }

  /** Refuse what would clash on the host, start through the driver, record the status. */
  private async bringUp(net: Network): Promise<void> {
    const def = net.live!;
    if (isManaged(def)) {
      for (const other of this.table.values()) {
        if (other === net || !other.active) continue;
        const overlap = findOverlappingNetwork(def, [other.def]);
        if (overlap !== undefined) {
          throw VireoError.of('OPERATION_FAILED', `Network is already in use by network '${other.name}' (${formatCidr(overlap.subnet)})`);
        }
        if (other.def.bridge?.name !== undefined && other.def.bridge.name === def.bridge?.name) {
          throw VireoError.of('OPERATION_INVALID', `bridge name '${def.bridge.name}' already in use.`);
        }
      }
      checkRouteCollision(def, await this.deps.driver.hostRoutes());
    }
    net.runtime = await this.deps.driver.start(def);
    try {
      await this.deps.store.status.save({ version: 1, name: def.name, uuid: def.uuid, persistent: net.persistent !== undefined, xml: formatNetworkXml(def) });
    } catch (e) {
      await net.runtime.stop().catch(() => {});
      net.runtime = undefined;
      throw e;
    }
  }

  async destroy(ref: string): Promise<NetworkSummary> {
    const net = this.lookup(ref);
    return net.serial(async () => {
      const rt = net.runtime;
      if (rt === undefined) throw VireoError.of('OPERATION_INVALID', `network '${net.name}' is not active`);
      await rt.stop();
      net.runtime = undefined;
      await this.deps.store.status.remove(net.name);
      this.emit(net, 'Stopped');
      const summary = net.summary();
      // A transient network is gone once stopped; a persistent one goes back to its config.
      if (net.persistent === undefined) {
        this.table.remove(net.uuid, net);
        await this.deps.driver.forget(net.name);
      } else {
        net.live = undefined;
      }
      return summary;
    });
  }

  async setAutostart(ref: string, enabled: boolean): Promise<NetworkSummary> {
    const net = this.lookup(ref);
    return net.serial(async () => {
      if (net.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot set autostart for transient network');
      await this.deps.store.configs.setAutostart(net.name, enabled);
      net.autostart = enabled;
      return net.summary();
    });
  }

  dumpXml(ref: string, opts: { inactive?: boolean }): string {
    const net = this.lookup(ref);
    const def = opts.inactive === true && net.persistent !== undefined ? net.persistent : net.def;
    return formatNetworkXml(def);
  }

  /** net-update: change the live and/or stored definition (neither: live if active, else config). */
  async update(ref: string, r: NetworkUpdateRequest): Promise<void> {
    const net = this.lookup(ref);
    await net.serial(async () => {
      const live = r.live === true || (r.config !== true && net.active);
      const config = r.config === true || (r.live !== true && !net.active);
      if (live && !net.active) throw VireoError.of('OPERATION_INVALID', 'network is not running');
      if (config && net.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot change the persistent config of a transient network');
      const opts = r.parentIndex === undefined ? {} : { parentIndex: r.parentIndex };
      // Both computed before either is applied: a refused change leaves everything as it was.
      const nextConfig = config ? updateNetworkDef(net.persistent!, r.command, r.section, r.xml, opts) : undefined;
      const nextLive = live ? updateNetworkDef(net.live!, r.command, r.section, r.xml, opts) : undefined;
      if (nextConfig !== undefined) {
        await this.deps.store.saveConfig(nextConfig);
        net.persistent = nextConfig;
      }
      if (nextLive !== undefined && net.runtime !== undefined) {
        await net.runtime.reload(nextLive);
        net.live = nextLive;
        await this.deps.store.status.save({ version: 1, name: nextLive.name, uuid: nextLive.uuid, persistent: net.persistent !== undefined, xml: formatNetworkXml(nextLive) });
      }
    });
  }

  /** net-dhcp-leases: what dnsmasq handed out (none for an inactive network, as libvirt). */
  async leases(ref: string, mac?: string): Promise<NetworkLease[]> {
    const net = this.lookup(ref);
    let want: string | undefined;
    if (mac !== undefined) {
      want = parseMac(mac);
      if (want === undefined) throw VireoError.of('INVALID_ARG', `invalid MAC address: ${mac}`);
    }
    if (net.runtime === undefined) return [];
    const all = await net.runtime.leases();
    return want === undefined ? all : all.filter((l) => l.mac === want);
  }

  /** vireod is stopping: networks keep running; stop watching their dnsmasq. */
  close(): void {
    for (const net of this.table.values()) net.runtime?.detach();
  }

  /** The bridge a guest interface of type='network' joins; the network must be active. */
  bridgeFor(name: string): string {
    const net = this.table.getByName(name);
    if (net === undefined) throw notFound(name);
    if (!net.active) throw VireoError.of('OPERATION_INVALID', `network '${name}' is not active`);
    const bridge = net.def.bridge?.name ?? net.def.forward?.interfaces[0];
    if (bridge === undefined) throw VireoError.of('CONFIG_UNSUPPORTED', `network '${name}' has no bridge for guests to join`);
    return bridge;
  }
}
