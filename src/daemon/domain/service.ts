/**
 * The domain service: the only code that decides a domain's state. Requests from the API arrive
 * here; names and UUIDs are allocated in the daemon's registry; changes to one domain run as
 * jobs of its queue; QEMU is driven through the lifecycle modules (start, events, stop, reconnect).
 */
import { promises as fs } from 'node:fs';
import { parseDomainXml, formatDomainXml } from '../../conf/domain-xml.js';
import type { DomainDef } from '../../conf/domain-model.js';
import type { DescriptionRequest, DeviceRequest, DeviceResult, DomainBlockInfo, DomainDevices, DomainIfAddr, LinkState, DomainJob, DomainSummary, MetadataRequest, ModificationImpact } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import type { KvmStatus } from '../../host/kvm.js';
import type { CgroupMounts } from '../../host/cgroup-path.js';
import type { ConsoleStream } from '../../qemu/console.js';
import type { PortAllocator } from '../../host/ports.js';
import { readLogTail, type LogRotator } from '../../util/logrotate.js';
import { expandHostModel } from '../../qemu/argv.js';
import { persistentHostState } from '../../qemu/prepare.js';
import { processCpuTimeNs } from '../../util/proc.js';
import { logger } from '../../util/log.js';
import { Revert } from '../../util/revert.js';
import type { Registry, Table } from '../registry.js';
import { Store } from './store.js';
import { Domain, type Runtime } from './domain.js';
import { descriptionOf, devicesOf, jobOf, metadataOf, withDescription, withMetadata } from './info.js';
import { monitorOf, saveStatus, transition, type EventExtra, type LifecycleContext } from './context.js';
import { launch } from './start.js';
import { managedSavePath, scanManagedSaves, startDomain } from './managed-save.js';
import { checkUndefineSnapshots } from './snapshot-store.js';
import { stopProcess } from './stop.js';
import { reconnect } from './reconnect.js';
import { domxmlToNative } from './native.js';
import { blockInfo } from './blockinfo.js';
import { validateDomainXml } from './schema.js';
import { checkMode, pinMachine } from './checks.js';
import { deviceRequest } from './hotplug.js';
import type { DomainHost } from './ops.js';
import { findNic, nicAddresses, type NicContext } from './nics.js';
import type { VolumeContext } from './disks.js';

const log = logger('domains');

export interface DomainServiceDeps {
  store: Store;
  registry: Registry;
  kvm: KvmStatus;
  logs: LogRotator;
  ports: PortAllocator;
  nics: NicContext;
  /** Where volume disks' volumes are (the storage pools). */
  volumes: VolumeContext;
  /** The host's cgroups for guests (undefined: none) and the default resource partition. */
  cgroups?: { mounts: CgroupMounts | undefined; partition: string };
  /** Publish a lifecycle event. */
  emit(dom: Domain, event: string, detail: string, extra?: EventExtra): void;
  /** Publish a tunable event. */
  emitTunable?(dom: Domain, params: Array<[string, string]>): void;
}

const notRunning = (): VireoError => VireoError.of('OPERATION_INVALID', 'domain is not running');

export class DomainService {
  readonly store: Store;
  readonly kvm: KvmStatus;
  private readonly table: Table<Domain>;
  private nextId = 1;
  private readonly ctx: LifecycleContext;

  constructor(private readonly deps: DomainServiceDeps) {
    this.store = deps.store;
    this.kvm = deps.kvm;
    this.table = deps.registry.table<Domain>('domain', {
      nameTaken: (name, uuid) => VireoError.of('DOMAIN_EXISTS', `domain '${name}' already exists with uuid ${uuid}`),
      uuidTaken: (uuid, name) => VireoError.of('DOMAIN_EXISTS', `domain '${name}' is already defined with uuid ${uuid}`),
    });
    this.ctx = {
      store: this.store,
      kvm: this.kvm,
      logs: deps.logs,
      ports: deps.ports,
      nics: deps.nics,
      volumes: deps.volumes,
      cgroups: deps.cgroups?.mounts,
      cgroupPartition: deps.cgroups?.partition ?? '/machine',
      allocateId: () => this.nextId++,
      changed: (dom, event, detail, extra) => this.changed(dom, event, detail, extra),
      changedTunables: (dom, params) => deps.emitTunable?.(dom, params),
    };
  }

  /** Load configs, find running guests again, then start autostart guests. */
  async init(): Promise<void> {
    await this.store.init();
    for (const { file, xml } of await this.store.configs.list()) {
      try {
        const def = parseDomainXml(xml);
        const dom = new Domain(def, true);
        dom.autostart = await this.store.configs.isAutostart(def.name);
        this.table.add(def.name, def.uuid, dom);
      } catch (e) {
        log.error(`ignoring unreadable config ${file}`, { error: String(e) });
      }
    }
    await scanManagedSaves(this.ctx, this.table.values());
    const entries = await this.store.listStatus();
    this.nextId = Math.max(0, ...entries.map((e) => ('record' in e ? e.record.id : 0))) + 1;
    await Promise.all(entries.map(async (entry) => {
      if (!('record' in entry)) return this.blockUnreadable(entry.file, entry.name, entry.problem);
      const rec = entry.record;
      try {
        let dom = this.table.get(rec.uuid);
        if (dom === undefined) {
          dom = new Domain(parseDomainXml(rec.xml, { live: true }), false);
          this.table.add(rec.name, rec.uuid, dom);
        }
        await reconnect(this.ctx, dom, rec);
        if (!dom.active && dom.persistent === undefined) this.table.remove(dom.uuid, dom);
      } catch (e) {
        this.blockUnreadable(entry.file, rec.name, e instanceof Error ? e.message : String(e));
      }
    }));
    for (const dom of this.table.values()) {
      if (dom.autostart && !dom.active && dom.blocked === undefined) {
        this.start(dom.uuid, {}).catch((e: unknown) => log.error(`autostart of ${dom.name} failed`, { error: String(e) }));
      }
    }
  }

  /**
   * A status file vireod cannot read: report it, leave whatever QEMU it describes alone, and
   * refuse to start that domain (a second QEMU might run beside the first) until it is fixed.
   */
  private blockUnreadable(file: string, name: string, problem: string): void {
    const message = `operation failed: the status file '${file}' of domain '${name}' cannot be read (${problem}); vireod leaves its QEMU alone`;
    log.error(message);
    const dom = this.table.getByName(name);
    if (dom !== undefined) {
      dom.blocked = `${message}; if no QEMU of this domain runs, remove the file and restart vireod`;
      dom.restoreState('no state', 'unknown');
    }
  }

  private changed(dom: Domain, event: string, detail: string, extra?: EventExtra): void {
    this.deps.emit(dom, event, detail, extra);
    // A transient domain exists only while it runs.
    if (!dom.active && dom.persistent === undefined && dom.state === 'shut off') this.table.remove(dom.uuid, dom);
  }

  /** Find a domain by id, then UUID, then name (virsh's order). */
  lookup(ref: string): Domain {
    if (/^\d+$/.test(ref)) {
      const id = Number(ref);
      for (const d of this.table.values()) if (d.id === id) return d;
    }
    const byUuid = this.table.get(ref.toLowerCase());
    if (byUuid !== undefined) return byUuid;
    const compact = ref.toLowerCase().replace(/-/g, '');
    if (/^[0-9a-f]{32}$/.test(compact)) {
      for (const d of this.table.values()) if (d.uuid.replace(/-/g, '') === compact) return d;
    }
    const byName = this.table.getByName(ref);
    if (byName !== undefined) return byName;
    throw VireoError.of('NO_DOMAIN', `no domain with matching name or id or uuid '${ref}'`);
  }

  async summary(dom: Domain): Promise<DomainSummary> {
    const cpu = dom.runtime !== undefined ? await processCpuTimeNs(dom.runtime.pid) : 0;
    return dom.summary(cpu);
  }

  /** Every running domain with its live definition (which volumes it uses: volume-use.ts). */
  running(): { name: string; liveDef: DomainDef }[] {
    return this.table.values().flatMap((d) => (d.runtime === undefined ? [] : [{ name: d.name, liveDef: d.runtime.liveDef }]));
  }

  async list(): Promise<DomainSummary[]> {
    return Promise.all(this.table.values().map((d) => this.summary(d)));
  }

  /**
   * The domain a definition replaces, or undefined for a new one. Refuses a definition whose
   * name or UUID belongs to another domain.
   */
  private existingFor(def: DomainDef): Domain | undefined {
    const sameUuid = this.table.get(def.uuid);
    const sameName = this.table.getByName(def.name);
    if (sameName !== undefined && sameName !== sameUuid) {
      throw VireoError.of('DOMAIN_EXISTS', `domain '${def.name}' already exists with uuid ${sameName.uuid}`);
    }
    if (sameUuid !== undefined && sameUuid.name !== def.name) {
      if (sameUuid.active) throw VireoError.of('OPERATION_INVALID', `cannot rename active domain '${sameUuid.name}' to '${def.name}'`);
      throw VireoError.of('DOMAIN_EXISTS', `domain '${sameUuid.name}' is already defined with uuid ${def.uuid}`);
    }
    return sameUuid;
  }

  /** The definition a new one with this name or UUID replaces (its devices keep their addresses). */
  private previousDef(id: { name: string; uuid: string }): DomainDef | undefined {
    const dom = this.table.get(id.uuid) ?? this.table.getByName(id.name);
    return dom?.persistent ?? dom?.def;
  }

  async define(xml: string, opts: { validate?: boolean } = {}): Promise<DomainSummary> {
    if (opts.validate === true) await validateDomainXml(xml);
    const def = parseDomainXml(xml, { previous: (id) => this.previousDef(id) });
    // From the check to the reservation nothing awaits: a concurrent define of the same name
    // finds the reservation (see registry.ts).
    const existing = this.existingFor(def);
    if (existing === undefined) {
      const reservation = this.table.reserve(def.name, def.uuid);
      try {
        await pinMachine(def);
        await this.store.saveConfig(def);
      } catch (e) {
        reservation.release();
        throw e;
      }
      const dom = new Domain(def, true);
      reservation.commit(dom);
      this.changed(dom, 'Defined', 'Added');
      return this.summary(dom);
    }
    await pinMachine(def);
    return existing.jobs.run('define', 'short', async () => {
      // An undefine that ran before this job may have removed the domain: define it anew.
      if (this.table.get(existing.uuid) !== existing) return this.define(formatDomainXml(def));
      await this.store.saveConfig(def);
      existing.persistent = def;
      this.changed(existing, 'Defined', 'Updated');
      if (existing.active) await saveStatus(this.ctx, existing);
      return this.summary(existing);
    });
  }

  /**
   * Forget a persistent domain. A UEFI variable store is kept or removed only when told
   * (`nvram`/`keepNvram`, as virsh); an emulated TPM's state goes unless `keepTpm`.
   */
  async undefine(ref: string, opts: { nvram?: boolean; keepNvram?: boolean; keepTpm?: boolean; managedSave?: boolean; snapshotsMetadata?: boolean } = {}): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    return dom.jobs.run('undefine', 'short', async () => {
      if (this.table.get(dom.uuid) !== dom) throw VireoError.of('NO_DOMAIN', `no domain with matching name or id or uuid '${ref}'`);
      if (dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', `cannot undefine transient domain`);
      const state = await persistentHostState(dom.persistent, this.store.layout.lib);
      if (state.nvram !== undefined && opts.nvram !== true && opts.keepNvram !== true) {
        throw VireoError.of('OPERATION_INVALID', 'cannot undefine domain with nvram');
      }
      if (dom.managedSave && opts.managedSave !== true) {
        throw new VireoError('OPERATION_INVALID', 'Refusing to undefine while domain managed save image exists');
      }
      await checkUndefineSnapshots(this.ctx, dom, opts.snapshotsMetadata === true);
      if (dom.managedSave) {
        await fs.rm(managedSavePath(this.ctx, dom.name), { force: true });
        dom.managedSave = false;
      }
      // The config goes first: once it is gone the domain is undefined, whatever fails after.
      await this.store.configs.remove(dom.name);
      const summary = await this.summary(dom);
      dom.makeTransient();
      dom.autostart = false;
      if (dom.active) await saveStatus(this.ctx, dom);
      else this.table.remove(dom.uuid, dom);
      this.changed(dom, 'Undefined', 'Removed');
      if (state.nvram !== undefined && opts.nvram === true) await fs.rm(state.nvram, { force: true });
      if (state.tpm !== undefined && opts.keepTpm !== true) await fs.rm(state.tpm, { recursive: true, force: true });
      return { ...summary, persistent: false, autostart: false };
    });
  }

  async create(xml: string, opts: { paused?: boolean; validate?: boolean }): Promise<DomainSummary> {
    if (opts.validate === true) await validateDomainXml(xml);
    const def = parseDomainXml(xml);
    const existing = this.existingFor(def);
    if (existing !== undefined) {
      await pinMachine(def);
      await existing.jobs.run('create', 'short', async () => {
        if (existing.active) throw VireoError.of('OPERATION_INVALID', `domain '${def.name}' is already active`);
        await launch(this.ctx, existing, def, { paused: opts.paused === true });
      });
      return this.summary(existing);
    }
    const reservation = this.table.reserve(def.name, def.uuid);
    const dom = new Domain(def, false);
    try {
      await pinMachine(def);
      await launch(this.ctx, dom, def, { paused: opts.paused === true });
    } catch (e) {
      reservation.release();
      throw e;
    }
    reservation.commit(dom);
    return this.summary(dom);
  }

  async start(ref: string, opts: { paused?: boolean; forceBoot?: boolean }): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    await dom.jobs.run('start', 'short', async () => {
      if (dom.active) throw VireoError.of('OPERATION_INVALID', 'domain is already running');
      if (this.table.get(dom.uuid) !== dom) throw VireoError.of('NO_DOMAIN', `no domain with matching name or id or uuid '${ref}'`);
      await startDomain(this.host, dom, opts); // restores a managed save (managed-save.ts)
    });
    return this.summary(dom);
  }

  /** Run a state change on an active domain, with the runtime it started on. */
  private async onActive(ref: string, job: string, fn: (dom: Domain, rt: Runtime) => Promise<void>): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    await dom.jobs.run(job, 'short', async () => {
      const rt = dom.runtime;
      if (rt === undefined) throw notRunning();
      await fn(dom, rt);
    });
    return this.summary(dom);
  }

  /**
   * Stop at once. destroy is the escape hatch: it takes no job and waits for none. The jobs it
   * overtakes fail with OPERATION_ABORTED; a job blocked on a hung monitor is freed when destroy
   * closes the monitor.
   */
  async destroy(ref: string, opts: { graceful?: boolean }): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    if (dom.runtime === undefined) throw notRunning();
    if (opts.graceful !== true) dom.jobs.overtake('destroy');
    const done = await stopProcess(this.ctx, dom, 'destroyed', { graceful: opts.graceful === true });
    if (!done) throw VireoError.of('OPERATION_FAILED', `failed to kill qemu process with SIGTERM`);
    return this.summary(dom);
  }

  shutdown(ref: string, opts: { mode?: string }): Promise<DomainSummary> {
    checkMode(opts.mode);
    return this.onActive(ref, 'shutdown', async (dom) => {
      await (await monitorOf(dom)).systemPowerdown();
    });
  }

  reboot(ref: string, opts: { mode?: string }): Promise<DomainSummary> {
    checkMode(opts.mode);
    return this.onActive(ref, 'reboot', async (dom, rt) => {
      // on_reboot='destroy': the guest's power-off ends it; otherwise it is reset and continued.
      if (dom.def.onReboot !== 'destroy') rt.fakeReboot = true;
      await (await monitorOf(dom)).systemPowerdown();
    });
  }

  reset(ref: string): Promise<DomainSummary> {
    return this.onActive(ref, 'reset', async (dom) => {
      await (await monitorOf(dom)).systemReset();
    });
  }

  suspend(ref: string): Promise<DomainSummary> {
    return this.onActive(ref, 'suspend', async (dom, rt) => {
      if (dom.state === 'paused') return; // libvirt accepts suspending a paused domain
      rt.pauseReason = 'user';
      await (await monitorOf(dom)).stop();
      transition(this.ctx, dom, rt, 'suspend');
      await saveStatus(this.ctx, dom);
    });
  }

  resume(ref: string): Promise<DomainSummary> {
    return this.onActive(ref, 'resume', async (dom, rt) => {
      if (dom.state !== 'paused') throw VireoError.of('OPERATION_INVALID', 'domain is not paused');
      await (await monitorOf(dom)).cont();
      transition(this.ctx, dom, rt, 'resume');
      await saveStatus(this.ctx, dom);
    });
  }

  async setAutostart(ref: string, enabled: boolean): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    if (dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot set autostart for transient domain');
    await this.store.configs.setAutostart(dom.name, enabled);
    dom.autostart = enabled;
    return this.summary(dom);
  }

  /** Disks, interfaces and displays (domblklist, domiflist, domdisplay): live, or the stored ones. */
  devices(ref: string, opts: { inactive?: boolean; securityInfo?: boolean }): DomainDevices {
    const dom = this.lookup(ref);
    return devicesOf(opts.inactive === true && dom.persistent !== undefined ? dom.persistent : dom.def, opts);
  }

  /** The job a running domain is busy with (domjobinfo, domcontrol). */
  job(ref: string): DomainJob {
    const dom = this.lookup(ref);
    if (!dom.active) throw notRunning();
    return jobOf(dom);
  }

  /** domifaddr: the guest NICs' addresses, from the networks' DHCP leases or the host's ARP table. */
  async interfaceAddresses(ref: string, source: 'lease' | 'arp' | 'agent'): Promise<DomainIfAddr[]> {
    const dom = this.lookup(ref);
    if (dom.runtime === undefined) throw notRunning();
    if (source === 'agent') throw VireoError.of('NO_SUPPORT', 'QEMU guest agent is not configured', { hint: 'use --source lease or --source arp' });
    return nicAddresses(dom.runtime.liveDef, this.ctx.nics, source);
  }

  /** domif-getlink: a NIC's link state, of the running guest or (config) the stored definition. */
  linkState(ref: string, iface: string, opts: { config?: boolean }): LinkState {
    const dom = this.lookup(ref);
    const def = opts.config === true ? this.selectDef(ref, { config: true }) : dom.def;
    const { nic } = findNic(def, iface);
    return { interface: iface, state: nic.linkState ?? 'up' };
  }

  /** domif-setlink: take a NIC's link up or down in the running guest (QMP set_link), or in the config. */
  async setLinkState(ref: string, iface: string, state: 'up' | 'down', opts: { config?: boolean }): Promise<void> {
    if (opts.config === true) {
      await this.editDefinition(ref, { config: true }, (def) => {
        const next = structuredClone(def);
        const { nic } = findNic(next, iface);
        if (state === 'up') delete nic.linkState;
        else nic.linkState = 'down';
        return next;
      });
      return;
    }
    await this.onActive(ref, 'setlink', async (dom, rt) => {
      const { nic, index } = findNic(rt.liveDef, iface);
      await (await monitorOf(dom)).setLink(nic.alias ?? `net${index}`, state === 'up');
      if (state === 'up') delete nic.linkState;
      else nic.linkState = 'down';
      await saveStatus(this.ctx, dom);
    });
  }

  /** attach-device/detach-device/update-device (and attach-/detach-interface): see hotplug.ts. */
  attachDevice(ref: string, r: DeviceRequest): Promise<DeviceResult> {
    return deviceRequest(this.host, ref, 'attach', r);
  }

  detachDevice(ref: string, r: DeviceRequest): Promise<DeviceResult> {
    return deviceRequest(this.host, ref, 'detach', r);
  }

  updateDevice(ref: string, r: DeviceRequest): Promise<DeviceResult> {
    return deviceRequest(this.host, ref, 'update', r);
  }

  /** The service as the operation modules (hotplug.ts, ...) see it: see ops.ts. */
  get host(): DomainHost {
    return {
      ctx: this.ctx, lookup: (ref) => this.lookup(ref), qmp: monitorOf, all: () => this.table.values(),
      existing: (def) => this.existingFor(def), reserve: (name, uuid) => this.table.reserve(name, uuid),
    };
  }

  /** domjobabort: stop the long job the domain runs (its error says why not). */
  abortJob(ref: string): void {
    const dom = this.lookup(ref);
    if (!dom.active) throw notRunning();
    dom.jobs.abort();
  }

  /** The definition virsh's --live/--config/--current select for reading. */
  private selectDef(ref: string, f: ModificationImpact): DomainDef {
    const dom = this.lookup(ref);
    if (f.live === true && f.config === true) throw VireoError.of('INVALID_ARG', "flags 'affect live' and 'affect config' are mutually exclusive");
    if (f.live === true && !dom.active) throw notRunning();
    if (f.config === true) {
      if (dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'transient domains do not have any persistent config');
      return dom.persistent;
    }
    return dom.def;
  }

  /**
   * Change the live and/or the stored definition (--live/--config; neither: the live one of a
   * running domain, else the stored one), as one job; the live change is kept in the status file.
   */
  private async editDefinition(ref: string, f: ModificationImpact, change: (def: DomainDef) => DomainDef): Promise<void> {
    const dom = this.lookup(ref);
    await dom.jobs.run('modify', 'short', async () => {
      const live = f.live === true || (f.config !== true && dom.active);
      const config = f.config === true || (f.live !== true && !dom.active);
      if (live && !dom.active) throw notRunning();
      if (config && dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'transient domains do not have any persistent config');
      // Compute both before changing either: a failure leaves everything as it was.
      const nextConfig = config ? change(dom.persistent as DomainDef) : undefined;
      const nextLive = live ? change(dom.def) : undefined;
      if (nextConfig !== undefined) {
        await this.store.saveConfig(nextConfig);
        dom.persistent = nextConfig;
      }
      if (nextLive !== undefined && dom.runtime !== undefined) {
        dom.runtime.liveDef = nextLive;
        await saveStatus(this.ctx, dom);
      }
    });
  }

  /** The title or description (desc). */
  description(ref: string, opts: ModificationImpact & { title?: boolean }): string | null {
    return descriptionOf(this.selectDef(ref, opts), opts.title === true);
  }

  setDescription(ref: string, r: DescriptionRequest): Promise<void> {
    return this.editDefinition(ref, r, (def) => withDescription(def, r.title === true, r.text));
  }

  /** The metadata element of one namespace (metadata). */
  metadata(ref: string, uri: string, opts: ModificationImpact): string {
    return metadataOf(this.selectDef(ref, opts), uri);
  }

  setMetadata(ref: string, r: MetadataRequest): Promise<void> {
    return this.editDefinition(ref, r, (def) => withMetadata(def, r.uri, r.key, r.xml));
  }

  /** domrename: a shut-off persistent domain gets a new name (its config file and autostart link move). */
  async rename(ref: string, name: string): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    await dom.jobs.run('rename', 'short', async () => {
      if (dom.active) throw VireoError.of('OPERATION_INVALID', 'cannot rename active domain');
      if (dom.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot rename a transient domain');
      if (name === dom.name) throw VireoError.of('OPERATION_INVALID', "Can't rename domain to itself");
      if (this.table.nameTaken(name)) throw VireoError.of('OPERATION_INVALID', `domain with name '${name}' already exists`);
      const old = dom.persistent;
      // Through the XML parser: the new name meets every rule a defined name meets.
      const next = parseDomainXml(formatDomainXml({ ...old, name }));
      const autostart = dom.autostart;
      await Revert.run(async (revert) => {
        // Taken now, before any await: a define of the new name meanwhile is refused.
        this.table.rename(dom.uuid, name);
        revert.add(() => this.table.rename(dom.uuid, old.name), 'the new name');
        await this.store.saveConfig(next);
        revert.add(() => this.store.configs.remove(next.name), 'the new config');
        if (autostart) await this.store.configs.setAutostart(next.name, true);
        await this.store.configs.remove(old.name);
      });
      this.changed(dom, 'Undefined', 'Renamed'); // under the old name
      dom.persistent = next;
      this.changed(dom, 'Defined', 'Renamed');
    });
    return this.summary(dom);
  }

  /**
   * A domain's XML. Passwords only with `securityInfo` (as virsh's --security-info); `updateCpu`
   * shows a host-model CPU as the CPU the guest really gets.
   */
  dumpXml(ref: string, opts: { inactive?: boolean; securityInfo?: boolean; updateCpu?: boolean }): string {
    const dom = this.lookup(ref);
    const inactive = opts.inactive === true && dom.persistent !== undefined;
    let def = inactive ? (dom.persistent as DomainDef) : dom.def;
    if (opts.updateCpu === true) def = expandHostModel(def, this.kvm.usable && def.type === 'kvm' ? 'kvm' : 'tcg');
    const fmt = { omitSecrets: opts.securityInfo !== true, ...(dom.active && !inactive ? { id: dom.id! } : {}) };
    return formatDomainXml(def, fmt);
  }

  /** `domxml-to-native qemu-argv`: the command line vireod would start QEMU with, as one shell line. */
  domxmlToNative(format: string, source: { xml?: string; domain?: string }): Promise<string> {
    const ctx = { store: this.store, kvmUsable: this.kvm.usable, volumes: this.deps.volumes };
    return domxmlToNative(format, source.domain !== undefined ? this.lookup(source.domain).def : source.xml, ctx);
  }

  /** domblkinfo: one disk's sizes (`device`: target or source path), or every disk's (blockinfo.ts). */
  blockInfo(ref: string, device?: string): Promise<DomainBlockInfo[]> {
    const dom = this.lookup(ref);
    return blockInfo(dom.def, dom.runtime?.qmp, this.deps.volumes, device);
  }

  /**
   * The console stream of a running domain. `devname` is a libvirt device alias: 'console0' (the
   * default: the first console, which is serial 0) or 'serialN'.
   */
  console(ref: string, devname?: string): ConsoleStream {
    const dom = this.lookup(ref);
    const rt = dom.runtime;
    if (rt === undefined) throw new VireoError('OPERATION_INVALID', 'The domain is not running');
    const name = devname ?? 'console0';
    const m = /^(console|serial)(\d+)$/.exec(name);
    if (m === null) throw new VireoError('INVALID_ARG', `cannot find character device ${name}`, { hint: 'use console0 or serialN' });
    const port = m[1] === 'console' && m[2] === '0' ? 0 : Number(m[2]);
    const stream = rt.consoles.get(port);
    if (stream === undefined) {
      const serial = rt.liveDef.devices.serials.find((sp) => sp.port === port);
      if (serial === undefined) throw new VireoError('INVALID_ARG', `cannot find character device ${name}`);
      throw VireoError.of('INTERNAL', `character device ${name} is not using a PTY (its type is '${serial.source.type}')`);
    }
    return stream;
  }

  /** Recent console output; for a shut-off domain, the end of what its last run printed. */
  async consoleTail(ref: string, devname?: string): Promise<Buffer> {
    const dom = this.lookup(ref);
    if (dom.active) return this.console(ref, devname).recent();
    const port = Number(/(\d+)$/.exec(devname ?? '0')?.[1] ?? 0);
    return readLogTail(this.store.serialLog(dom.name, port), 64 * 1024);
  }

  /** Detach from every guest (they keep running). */
  close(): void {
    for (const d of this.table.values()) {
      const rt = d.runtime;
      if (rt === undefined) continue;
      rt.finalized = true; // stop handling events; the guest itself is left alone
      rt.qmp?.close();
      for (const c of rt.consoles.values()) c.close();
    }
  }
}
