/**
 * The host interface service (iface-* commands), the only code that decides what vireod does to
 * the host's interfaces. It keeps configs as netcf keeps ifcfg files (one per interface; a
 * bridge's or bond's members live inside its config), reads live state from the kernel through
 * the driver, and runs one change at a time: bridging moves addresses between devices, so two
 * changes must never interleave.
 *
 * Active means what netcf means: the device exists and is up (IFF_UP). iface-list shows the
 * kernel's devices that are not a bridge's or bond's port (those appear inside their master's
 * XML), plus configs whose device is absent.
 */
import type { InterfaceSummary } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { formatInterfaceXml, memberNames, parseInterfaceXml, type InterfaceDef } from '../../conf/interface/index.js';
import { parseMac } from '../../conf/names.js';
import type { AppliedInterface, HostIface } from '../../network/index.js';
import { logger } from '../../util/log.js';
import type { Registry, Table } from '../registry.js';
import type { InterfaceStore } from './store.js';
import { TransactionLog } from './transaction.js';

const log = logger('interfaces');

/** What the service needs of the host: src/network/'s host interface functions. */
export interface InterfaceDriver {
  hostInterfaces(): Promise<HostIface[]>;
  liveInterfaceDef(name: string, all: readonly HostIface[]): Promise<InterfaceDef | undefined>;
  ifaceType(i: HostIface): InterfaceDef['type'];
  startInterface(def: InterfaceDef): Promise<AppliedInterface>;
  stopInterface(def: InterfaceDef, applied: AppliedInterface | undefined): Promise<void>;
}

export interface InterfaceServiceDeps {
  store: InterfaceStore;
  registry: Registry;
  driver: InterfaceDriver;
}

const notNamed = (name: string): VireoError => VireoError.of('NO_INTERFACE', `couldn't find interface named '${name}'`);

export class InterfaceService {
  /** The configs by name (interfaces have no UUID: the name is the key twice). */
  private readonly table: Table<InterfaceDef>;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly tx: TransactionLog;

  constructor(private readonly deps: InterfaceServiceDeps) {
    this.table = deps.registry.table<InterfaceDef>('interface', {
      nameTaken: (name) => VireoError.of('OPERATION_INVALID', `interface '${name}' is already defined`),
      uuidTaken: (name) => VireoError.of('OPERATION_INVALID', `interface '${name}' is already defined`),
    });
    this.tx = new TransactionLog(deps.store, {
      configs: () => this.table.values(),
      isActive: async (name) => this.isActive(name, await deps.driver.hostInterfaces()),
      define: (def) => this.saveDef(def),
      undefine: (name) => this.removeDef(name),
      start: (name) => this.startLocked(name),
      destroy: (name) => this.destroyLocked(name),
    });
  }

  /** Run `fn` after every change queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Load configs, then bring up those with start mode onboot that are not up (before networks and guests). */
  async init(): Promise<void> {
    await this.deps.store.init();
    for (const { file, xml } of await this.deps.store.configs.list()) {
      try {
        const def = parseInterfaceXml(xml, { sourceName: file });
        this.table.add(def.name, def.name, def);
      } catch (e) {
        log.error(`ignoring unreadable interface config ${file}`, { error: String(e) });
      }
    }
    const onboot = this.table.values().filter((d) => d.start === 'onboot');
    // Only asked when needed: a session daemon without configs never runs `ip`.
    const all = onboot.length === 0 ? [] : await this.deps.driver.hostInterfaces();
    for (const def of onboot) {
      if (this.isActive(def.name, all)) continue;
      await this.serial(() => this.startLocked(def.name)).catch((e: unknown) => log.error(`onboot start of interface ${def.name} failed`, { error: String(e) }));
    }
  }

  private isActive(name: string, all: readonly HostIface[]): boolean {
    return all.some((i) => i.name === name && i.up);
  }

  private summaryOf(name: string, all: readonly HostIface[]): InterfaceSummary {
    const dev = all.find((i) => i.name === name);
    const def = this.table.getByName(name);
    const type = dev !== undefined ? this.deps.driver.ifaceType(dev) : def!.type;
    return { name, type, mac: dev?.mac ?? def?.mac ?? null, active: dev?.up === true, persistent: def !== undefined };
  }

  /** Every interface iface-list may show: the kernel's (without bridge and bond ports) and the configs. */
  async list(): Promise<InterfaceSummary[]> {
    const all = await this.deps.driver.hostInterfaces();
    const names = new Set([...all.filter((i) => i.master === undefined).map((i) => i.name), ...this.table.values().map((d) => d.name)]);
    return [...names].map((n) => this.summaryOf(n, all));
  }

  /** Find an interface by name (devices, ports included, and configs), then by MAC (not ports: they share their master's). */
  async lookup(ref: string): Promise<InterfaceSummary> {
    const all = await this.deps.driver.hostInterfaces();
    if (all.some((i) => i.name === ref) || this.table.getByName(ref) !== undefined) return this.summaryOf(ref, all);
    const mac = parseMac(ref);
    if (mac === undefined || !/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(ref)) throw notNamed(ref);
    const found = (await this.list()).filter((s) => s.mac === mac);
    if (found.length === 0) throw VireoError.of('NO_INTERFACE', `couldn't find interface with MAC address '${ref}'`);
    if (found.length > 1) throw VireoError.of('MULTIPLE_INTERFACES', `multiple interfaces with MAC address '${ref}': ${found.map((f) => f.name).join(', ')}`);
    return found[0]!;
  }

  /** iface-dumpxml: the kernel's view of a device; the config with `inactive` or when the device is absent. */
  async dumpXml(ref: string, opts: { inactive?: boolean }): Promise<string> {
    const { name } = await this.lookup(ref);
    const def = this.table.getByName(name);
    if (opts.inactive === true && def !== undefined) return formatInterfaceXml(def);
    const live = await this.deps.driver.liveInterfaceDef(name, await this.deps.driver.hostInterfaces());
    if (live !== undefined) return formatInterfaceXml(live);
    if (def !== undefined) return formatInterfaceXml(def);
    throw notNamed(ref);
  }

  private async saveDef(def: InterfaceDef): Promise<void> {
    await this.deps.store.saveConfig(def);
    const old = this.table.getByName(def.name);
    if (old !== undefined) this.table.remove(def.name, old);
    this.table.add(def.name, def.name, def);
    // As netcf rewrites a member's ifcfg when a bridge or bond takes it: its own config goes.
    for (const m of memberNames(def)) if (this.table.getByName(m) !== undefined) await this.removeDef(m);
  }

  private async removeDef(name: string): Promise<void> {
    const def = this.table.getByName(name);
    if (def === undefined) return;
    await this.deps.store.configs.remove(name);
    this.table.remove(name, def);
  }

  /** iface-define: a new config, or a changed one (the live device is left as it is until it is restarted). */
  define(xml: string): Promise<InterfaceSummary> {
    const def = parseInterfaceXml(xml);
    return this.serial(async () => {
      await this.saveDef(def);
      return this.summaryOf(def.name, await this.deps.driver.hostInterfaces());
    });
  }

  /** iface-undefine: forget a config; the device stays as it is. */
  undefine(ref: string): Promise<InterfaceSummary> {
    return this.serial(async () => {
      const { name } = await this.lookup(ref);
      if (this.table.getByName(name) === undefined) throw VireoError.of('OPERATION_INVALID', `interface '${name}' has no config to undefine`);
      const before = this.summaryOf(name, await this.deps.driver.hostInterfaces());
      await this.removeDef(name);
      return { ...before, persistent: false };
    });
  }

  start(ref: string): Promise<InterfaceSummary> {
    return this.serial(async () => {
      const { name } = await this.lookup(ref);
      await this.startLocked(name);
      return this.summaryOf(name, await this.deps.driver.hostInterfaces());
    });
  }

  private async startLocked(name: string): Promise<void> {
    const def = this.table.getByName(name);
    if (def === undefined) throw VireoError.of('OPERATION_INVALID', `interface '${name}' has no config to start`, { hint: `define one with iface-define (iface-dumpxml ${name} shows its current state)` });
    const applied = await this.deps.driver.startInterface(def);
    try {
      await this.deps.store.status.save({ version: 1, name, xml: formatInterfaceXml(def), applied });
    } catch (e) {
      await this.deps.driver.stopInterface(def, applied).catch(() => {});
      throw e;
    }
  }

  destroy(ref: string): Promise<InterfaceSummary> {
    return this.serial(async () => {
      const { name } = await this.lookup(ref);
      await this.destroyLocked(name);
      return this.summaryOf(name, await this.deps.driver.hostInterfaces());
    });
  }

  private async destroyLocked(name: string): Promise<void> {
    const all = await this.deps.driver.hostInterfaces();
    if (!this.isActive(name, all)) throw VireoError.of('OPERATION_INVALID', `interface '${name}' is not active`);
    const status = await this.deps.store.status.read(name).catch((e: unknown) => {
      log.error(`interface ${name}: its status cannot be read; its members get no addresses back`, { error: String(e) });
      return undefined;
    });
    // The definition that was started, else the config, else what the kernel has.
    const def = (status !== undefined ? parseInterfaceXml(status.xml) : undefined) ?? this.table.getByName(name) ?? (await this.deps.driver.liveInterfaceDef(name, all))!;
    await this.deps.driver.stopInterface(def, status?.applied);
    await this.deps.store.status.remove(name);
  }

  /**
   * iface-bridge: define a bridge NAMED `bridge` that takes `iface` as its port, with the
   * addresses, default routes and MTU `iface` has now (so the host keeps them), and its start
   * mode (onboot when it has no config).
   */
  bridge(ifaceName: string, bridge: string, opts: { stp: boolean; delay?: number }): Promise<InterfaceSummary> {
    return this.serial(async () => {
      const all = await this.deps.driver.hostInterfaces();
      const dev = all.find((i) => i.name === ifaceName);
      if (dev === undefined) throw notNamed(ifaceName);
      if (dev.kind === 'bridge') throw VireoError.of('OPERATION_INVALID', `Existing device ${ifaceName} is already a bridge`);
      if (dev.master !== undefined) throw VireoError.of('OPERATION_INVALID', `interface '${ifaceName}' is already attached to '${dev.master}'`);
      if (all.some((i) => i.name === bridge) || this.table.getByName(bridge) !== undefined) throw VireoError.of('OPERATION_INVALID', `Network device ${bridge} already exists`);
      const live = (await this.deps.driver.liveInterfaceDef(ifaceName, all))!;
      const own = this.table.getByName(ifaceName);
      const member: InterfaceDef = { type: 'ethernet', name: ifaceName, protocols: [], ...(dev.mac === undefined ? {} : { mac: dev.mac }) };
      const def: InterfaceDef = {
        type: 'bridge', name: bridge, start: own?.start ?? 'onboot', mtu: dev.mtu, protocols: live.protocols,
        bridge: { stp: opts.stp, ...(opts.delay === undefined ? {} : { delay: opts.delay }), members: [member] },
      };
      // Reject what the XML could not carry (a name the schema refuses) before anything is saved.
      const checked = parseInterfaceXml(formatInterfaceXml(def));
      await this.saveDef(checked);
      return this.summaryOf(bridge, all);
    });
  }

  /**
   * iface-unbridge: take the bridge down (its port gets its addresses back), forget its config
   * and define its one port with the bridge's start mode, MTU and addressing. Returns the port.
   */
  unbridge(bridgeRef: string): Promise<InterfaceSummary> {
    return this.serial(async () => {
      const { name } = await this.lookup(bridgeRef);
      const def = this.table.getByName(name) ?? (await this.deps.driver.liveInterfaceDef(name, await this.deps.driver.hostInterfaces()));
      if (def?.bridge === undefined) throw VireoError.of('OPERATION_INVALID', `Device ${name} is not a bridge`);
      const members = def.bridge.members;
      if (members.length === 0) throw VireoError.of('OPERATION_INVALID', 'No interface attached to bridge');
      if (members.length > 1) throw VireoError.of('OPERATION_INVALID', 'Multiple interfaces attached to bridge');
      const m = members[0]!;
      const port: InterfaceDef = {
        type: m.type, name: m.name, protocols: def.protocols,
        ...(def.start === undefined ? {} : { start: def.start }), ...(def.mtu === undefined ? {} : { mtu: def.mtu }),
        ...(m.mac === undefined ? {} : { mac: m.mac }), ...(m.vlan === undefined ? {} : { vlan: m.vlan }),
      };
      if (this.isActive(name, await this.deps.driver.hostInterfaces())) await this.destroyLocked(name);
      await this.removeDef(name);
      await this.saveDef(port);
      return this.summaryOf(port.name, await this.deps.driver.hostInterfaces());
    });
  }

  /** iface-begin / iface-commit / iface-rollback. */
  begin(): Promise<void> {
    return this.serial(() => this.tx.begin());
  }

  commit(): Promise<void> {
    return this.serial(() => this.tx.commit());
  }

  rollback(): Promise<void> {
    return this.serial(() => this.tx.rollback());
  }
}
