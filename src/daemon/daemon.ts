/**
 * vireod's composition root: builds the registry and the services and wires them together.
 * Each resource kind has one service that alone decides its state (domains now; networks,
 * pools and volumes follow the same shape); this class holds no resource logic of its own.
 */
import { EventEmitter } from 'node:events';
import type { StateLayout } from '../api/paths.js';
import type { DomainEvent, NetworkEvent, PoolEvent } from '../api/types.js';
import { probeKvm, type KvmStatus } from '../host/kvm.js';
import { detectCgroups } from '../host/cgroup.js';
import type { CgroupMounts } from '../host/cgroup-path.js';
import { qemuMachines, qemuVersion } from '../host/qemu-binary.js';
import { logger } from '../util/log.js';
import { LogRotator, limitsFromEnv } from '../util/logrotate.js';
import { PortAllocator } from '../host/ports.js';
import { Registry } from './registry.js';
import { Store } from './domain/store.js';
import { DomainService } from './domain/service.js';
import { NetworkService } from './network/service.js';
import { NetworkStore } from './network/store.js';
import { hostNetworkDriver } from './network/driver.js';
import { InterfaceService } from './interface/service.js';
import { InterfaceStore } from './interface/store.js';
import { hostInterfaces, ifaceType, liveInterfaceDef, startInterface, stopInterface } from '../network/index.js';
import { PoolService } from './storage/service.js';
import { PoolStore } from './storage/store.js';
import { VolumeService } from './storage/volumes.js';
import { volumeDiskSource } from './storage/disk-source.js';
import { IncompleteMarks } from './storage/marks.js';
import { volumeUsers } from './domain/volume-use.js';

const log = logger('daemon');

export interface DaemonEvents {
  event: [DomainEvent | NetworkEvent | PoolEvent];
}

export class Daemon extends EventEmitter<DaemonEvents> {
  readonly registry = new Registry();
  /** Host ports (VNC, SPICE, websocket, migration), shared by every service that hands them out. */
  readonly ports = new PortAllocator();
  /** Rotation of the logs QEMU and helpers write. */
  readonly logs = new LogRotator(limitsFromEnv());
  kvm!: KvmStatus;
  domains!: DomainService;
  networks!: NetworkService;
  interfaces!: InterfaceService;
  pools!: PoolService;
  volumes!: VolumeService;

  constructor(readonly layout: StateLayout, private readonly opts: { defaultNetwork?: boolean; defaultPool?: boolean } = {}) {
    super();
  }

  /** Probe the host, then bring up every service (domains: load configs, reconnect, autostart). */
  async init(): Promise<void> {
    this.kvm = await probeKvm();
    // Learn the emulator's version now, in the background, so the first start does not pay for it.
    qemuVersion().catch((e: unknown) => log.warn(`cannot run the default emulator: ${String(e)}`));
    qemuMachines().catch(() => {}); // likewise its machine types, for the first define
    // Host interfaces (onboot) come up first: a network or guest may use their bridges.
    this.interfaces = new InterfaceService({
      store: new InterfaceStore(this.layout),
      registry: this.registry,
      driver: { hostInterfaces, liveInterfaceDef, ifaceType, startInterface, stopInterface },
    });
    await this.interfaces.init();
    // Networks come up before guests: an autostart guest may need its network.
    const networkStore = new NetworkStore(this.layout);
    this.networks = new NetworkService({
      store: networkStore,
      registry: this.registry,
      driver: hostNetworkDriver(networkStore.dnsmasqDir),
      emit: (ev) => this.emit('event', ev),
    });
    await this.networks.init({ createDefault: this.opts.defaultNetwork === true });
    // Pools come up after networks and before guests: an autostart guest may use their volumes.
    this.pools = new PoolService({ store: new PoolStore(this.layout), registry: this.registry, emit: (ev) => this.emit('event', ev) });
    const marks = new IncompleteMarks(this.layout);
    await marks.load();
    // The domain service knows which volumes its running guests use (created below; asked only later).
    this.volumes = new VolumeService(this.pools, { marks, usedBy: (v) => volumeUsers(this.domains.running(), v) });
    await this.pools.init({ createDefault: this.opts.defaultPool === true });
    this.domains = new DomainService({
      store: new Store(this.layout),
      registry: this.registry,
      kvm: this.kvm,
      logs: this.logs,
      ports: this.ports,
      nics: {
        bridgeOfNetwork: (name) => this.networks.bridgeFor(name),
        leasesOf: (network, mac) => this.networks.leases(network, mac),
      },
      volumes: { resolve: (src) => volumeDiskSource(this.pools, src) },
      cgroups: await guestCgroups(),
      emit: (dom, event, detail, extra) => {
        const domain = { name: dom.name, uuid: dom.uuid, id: dom.id };
        const timestamp = Date.now();
        if (event === 'reboot') this.emit('event', { type: 'reboot', domain, timestamp });
        else if (event === 'device-added' || event === 'device-removed') this.emit('event', { type: event, domain, device: detail, timestamp });
        else if (event === 'balloon-change') this.emit('event', { type: event, domain, actualKiB: Number(detail), timestamp });
        else if (event === 'block-threshold') this.emit('event', { type: event, domain, device: detail, ...extra, timestamp });
        else this.emit('event', { type: 'lifecycle', domain, event, detail, timestamp });
      },
      emitTunable: (dom, params) => this.emit('event', { type: 'tunable', domain: { name: dom.name, uuid: dom.uuid, id: dom.id }, params, timestamp: Date.now() }),
    });
    await this.domains.init();
  }

  /** Detach from every guest (they keep running) and stop. */
  close(): void {
    this.domains.close();
    this.networks.close();
  }
}


/**
 * The cgroups guests get: only a root daemon may make them (a session daemon, like libvirt's,
 * leaves its guests where it runs). VIREO_CGROUP_PARTITION moves every guest below another
 * partition than /machine (the tests give each daemon its own, so that their guests, numbered
 * from 1 like every daemon's, never share a group).
 */
async function guestCgroups(): Promise<{ mounts: CgroupMounts | undefined; partition: string }> {
  const partition = process.env.VIREO_CGROUP_PARTITION ?? '/machine';
  if (!partition.startsWith('/')) throw new Error(`VIREO_CGROUP_PARTITION must be an absolute path such as /machine, not '${partition}'`);
  if (process.getuid?.() !== 0 || process.env.VIREO_CGROUPS === '0') return { mounts: undefined, partition };
  return { mounts: await detectCgroups(), partition };
}
