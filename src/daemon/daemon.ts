/**
 * The domain registry and the operations the API exposes. One Daemon per vireod process.
 */
import { EventEmitter } from 'node:events';
import { parseDomainXml, formatDomainXml } from '../conf/domain-xml.js';
import type { DomainDef } from '../conf/domain-model.js';
import type { StateLayout } from '../api/paths.js';
import type { DescriptionRequest, DomainDevices, DomainEvent, DomainJob, DomainSummary, MetadataRequest, ModificationImpact } from '../api/types.js';
import { descriptionOf, devicesOf, jobOf, metadataOf, withDescription, withMetadata } from './domain-info.js';
import { VireoError } from '../api/errors.js';
import { probeKvm, type KvmStatus } from '../host/kvm.js';
import { DEFAULT_EMULATOR, qemuMachines, qemuVersion } from '../host/qemu-binary.js';
import { processCpuTimeNs } from '../util/proc.js';
import { logger } from '../util/log.js';
import { LogRotator, limitsFromEnv, readLogTail } from '../util/logrotate.js';
import { PortAllocator } from '../host/ports.js';
import { Store } from './store.js';
import { Domain } from './domain.js';
import type { ConsoleStream } from '../qemu/console.js';
import type { QmpClient } from '../qemu/qmp/client.js';
import { launch, reconnect, stopProcess, saveStatus, type LifecycleContext } from './lifecycle.js';
import { nativeCommandLine } from './native.js';
import { expandHostModel } from '../qemu/argv.js';
import { validateDomainXml } from './schema.js';
import { persistentHostState } from '../qemu/prepare.js';
import { promises as fs } from 'node:fs';

const log = logger('daemon');

export interface DaemonEvents {
  event: [DomainEvent];
}

export class Daemon extends EventEmitter<DaemonEvents> {
  readonly store: Store;
  private readonly domains = new Map<string, Domain>(); // by uuid
  private nextId = 1;
  kvm!: KvmStatus;
  private ctx!: LifecycleContext;

  constructor(readonly layout: StateLayout) {
    super();
    this.store = new Store(layout);
  }

  /** Load configs, find running guests again, then start autostart guests. */
  async init(): Promise<void> {
    await this.store.init();
    this.kvm = await probeKvm();
    // Learn the emulator's version now, in the background, so the first start does not pay for it.
    qemuVersion().catch((e: unknown) => log.warn(`cannot run the default emulator: ${String(e)}`));
    qemuMachines().catch(() => {}); // likewise its machine types, for the first define

    this.ctx = {
      store: this.store,
      kvm: this.kvm,
      logs: new LogRotator(limitsFromEnv()),
      ports: new PortAllocator(),
      allocateId: () => this.nextId++,
      changed: (dom, event, detail) => this.changed(dom, event, detail),
    };
    for (const { file, xml } of await this.store.listConfigs()) {
      try {
        const def = parseDomainXml(xml);
        const dom = new Domain(def, true);
        dom.autostart = await this.store.isAutostart(def.name);
        this.domains.set(def.uuid, dom);
      } catch (e) {
        log.error(`ignoring unreadable config ${file}`, { error: String(e) });
      }
    }
    const records = await this.store.listStatus();
    this.nextId = Math.max(0, ...records.map((r) => r.id)) + 1;
    await Promise.all(records.map(async (rec) => {
      let dom = this.domains.get(rec.uuid);
      if (dom === undefined) {
        dom = new Domain(parseDomainXml(rec.xml, { live: true }), false);
        this.domains.set(rec.uuid, dom);
      }
      await reconnect(this.ctx, dom, rec).catch((e: unknown) => log.error(`reconnect ${rec.name}`, { error: String(e) }));
    }));
    for (const dom of this.domains.values()) {
      if (dom.autostart && !dom.active) {
        this.start(dom.uuid, {}).catch((e: unknown) => log.error(`autostart of ${dom.name} failed`, { error: String(e) }));
      }
    }
  }

  private changed(dom: Domain, event: string, detail: string): void {
    const ev: DomainEvent = event === 'reboot'
      ? { type: 'reboot', domain: { name: dom.name, uuid: dom.uuid, id: dom.id }, timestamp: Date.now() }
      : { type: 'lifecycle', domain: { name: dom.name, uuid: dom.uuid, id: dom.id }, event, detail, timestamp: Date.now() };
    this.emit('event', ev);
    // A transient domain exists only while it runs.
    if (!dom.active && dom.persistent === undefined && dom.state === 'shut off') this.domains.delete(dom.uuid);
  }

  /** Find a domain by id, then UUID, then name (virsh's order). */
  lookup(ref: string): Domain {
    if (/^\d+$/.test(ref)) {
      const id = Number(ref);
      for (const d of this.domains.values()) if (d.id === id) return d;
    }
    const byUuid = this.domains.get(ref.toLowerCase());
    if (byUuid !== undefined) return byUuid;
    const compact = ref.toLowerCase().replace(/-/g, '');
    if (/^[0-9a-f]{32}$/.test(compact)) {
      for (const d of this.domains.values()) if (d.uuid.replace(/-/g, '') === compact) return d;
    }
    for (const d of this.domains.values()) if (d.name === ref) return d;
    throw new VireoError('NO_DOMAIN', `Domain not found: no domain with matching name or id or uuid '${ref}'`);
  }

  private byName(name: string): Domain | undefined {
    for (const d of this.domains.values()) if (d.name === name) return d;
    return undefined;
  }

  async summary(dom: Domain): Promise<DomainSummary> {
    const cpu = dom.runtime !== undefined ? await processCpuTimeNs(dom.runtime.pid) : 0;
    return dom.summary(cpu);
  }

  async list(): Promise<DomainSummary[]> {
    return Promise.all([...this.domains.values()].map((d) => this.summary(d)));
  }

  /** Refuse a definition whose name or UUID belongs to another domain. */
  private checkUnique(def: DomainDef): Domain | undefined {
    const sameUuid = this.domains.get(def.uuid);
    const sameName = this.byName(def.name);
    if (sameName !== undefined && sameName !== sameUuid) {
      throw new VireoError('DOMAIN_EXISTS', `operation failed: domain '${def.name}' already exists with uuid ${sameName.uuid}`);
    }
    if (sameUuid !== undefined && sameUuid.name !== def.name) {
      if (sameUuid.active) throw new VireoError('DOMAIN_EXISTS', `Requested operation is not valid: cannot rename active domain '${sameUuid.name}' to '${def.name}'`);
      throw new VireoError('DOMAIN_EXISTS', `operation failed: domain '${sameUuid.name}' is already defined with uuid ${def.uuid}`);
    }
    return sameUuid;
  }

  /** The definition a new one with this name or UUID replaces (its devices keep their addresses). */
  private previousDef(id: { name: string; uuid: string }): DomainDef | undefined {
    const dom = this.domains.get(id.uuid) ?? this.byName(id.name);
    return dom?.persistent ?? dom?.def;
  }

  async define(xml: string, opts: { validate?: boolean } = {}): Promise<DomainSummary> {
    if (opts.validate === true) await validateDomainXml(xml);
    const def = parseDomainXml(xml, { previous: (id) => this.previousDef(id) });
    await pinMachine(def);
    const existing = this.checkUnique(def);
    if (existing === undefined) {
      const dom = new Domain(def, true);
      await this.store.saveConfig(def);
      this.domains.set(def.uuid, dom);
      this.changed(dom, 'Defined', 'Added');
      return this.summary(dom);
    }
    return existing.jobs.run('define', 'short', async () => {
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
  async undefine(ref: string, opts: { nvram?: boolean; keepNvram?: boolean; keepTpm?: boolean } = {}): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    return dom.jobs.run('undefine', 'short', async () => {
      if (dom.persistent === undefined) throw new VireoError('OPERATION_INVALID', `Requested operation is not valid: cannot undefine transient domain`);
      const state = await persistentHostState(dom.persistent, this.layout.lib);
      if (state.nvram !== undefined && opts.nvram !== true && opts.keepNvram !== true) {
        throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: cannot undefine domain with nvram');
      }
      await this.store.removeConfig(dom.name);
      if (state.nvram !== undefined && opts.nvram === true) await fs.rm(state.nvram, { force: true });
      if (state.tpm !== undefined && opts.keepTpm !== true) await fs.rm(state.tpm, { recursive: true, force: true });
      const summary = await this.summary(dom);
      dom.makeTransient();
      dom.autostart = false;
      if (dom.active) {
        await saveStatus(this.ctx, dom);
        this.changed(dom, 'Undefined', 'Removed');
        return { ...summary, persistent: false, autostart: false };
      }
      this.domains.delete(dom.uuid);
      this.changed(dom, 'Undefined', 'Removed');
      return { ...summary, persistent: false, autostart: false };
    });
  }

  async create(xml: string, opts: { paused?: boolean; validate?: boolean }): Promise<DomainSummary> {
    if (opts.validate === true) await validateDomainXml(xml);
    const def = parseDomainXml(xml);
    await pinMachine(def);
    const existing = this.checkUnique(def);
    if (existing?.active === true) throw new VireoError('OPERATION_INVALID', `Requested operation is not valid: domain '${def.name}' is already active`);
    const dom = existing ?? new Domain(def, false);
    if (existing === undefined) this.domains.set(def.uuid, dom);
    try {
      await dom.jobs.run('create', 'short', () => launch(this.ctx, dom, def, { paused: opts.paused === true }));
    } catch (e) {
      if (existing === undefined) this.domains.delete(def.uuid);
      throw e;
    }
    return this.summary(dom);
  }

  async start(ref: string, opts: { paused?: boolean }): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    await dom.jobs.run('start', 'short', async () => {
      if (dom.active) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: domain is already running');
      await launch(this.ctx, dom, structuredClone(dom.def), { paused: opts.paused === true });
    });
    return this.summary(dom);
  }

  /** Run a state change on an active domain. */
  private async onActive(ref: string, job: string, fn: (dom: Domain) => Promise<void>): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    await dom.jobs.run(job, 'short', async () => {
      if (!dom.active) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: domain is not running');
      await fn(dom);
    });
    return this.summary(dom);
  }

  /** The domain's monitor; right after a restart, waits (up to 5 s) for vireod to take it back. */
  private async qmp(dom: Domain): Promise<QmpClient> {
    const rt = dom.runtime;
    if (rt !== undefined && (rt.qmp === undefined || rt.qmp.isClosed) && rt.monitorReady !== undefined) {
      await Promise.race([rt.monitorReady, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    const q = dom.runtime?.qmp;
    if (q === undefined || q.isClosed) {
      throw new VireoError('QEMU_FAILED', `cannot reach the QEMU monitor of domain '${dom.name}'; vireod keeps retrying and never kills the guest`);
    }
    return q;
  }

  destroy(ref: string, opts: { graceful?: boolean }): Promise<DomainSummary> {
    return this.onActive(ref, 'destroy', async (dom) => {
      const done = await stopProcess(this.ctx, dom, 'destroyed', 'Destroyed', { graceful: opts.graceful === true });
      if (!done) throw new VireoError('OPERATION_FAILED', `operation failed: failed to kill qemu process with SIGTERM`);
    });
  }

  shutdown(ref: string, opts: { mode?: string }): Promise<DomainSummary> {
    checkMode(opts.mode);
    return this.onActive(ref, 'shutdown', async (dom) => {
      await (await this.qmp(dom)).execute('system_powerdown');
    });
  }

  reboot(ref: string, opts: { mode?: string }): Promise<DomainSummary> {
    checkMode(opts.mode);
    return this.onActive(ref, 'reboot', async (dom) => {
      if (dom.def.onReboot === 'destroy') {
        await (await this.qmp(dom)).execute('system_powerdown');
        return;
      }
      dom.runtime!.fakeReboot = true;
      await (await this.qmp(dom)).execute('system_powerdown');
    });
  }

  reset(ref: string): Promise<DomainSummary> {
    return this.onActive(ref, 'reset', async (dom) => {
      await (await this.qmp(dom)).execute('system_reset');
    });
  }

  suspend(ref: string): Promise<DomainSummary> {
    return this.onActive(ref, 'suspend', async (dom) => {
      if (dom.state === 'paused') return; // libvirt accepts suspending a paused domain
      dom.runtime!.pauseReason = 'user';
      await (await this.qmp(dom)).execute('stop');
      dom.setState('paused', 'user');
      await saveStatus(this.ctx, dom);
    });
  }

  resume(ref: string): Promise<DomainSummary> {
    return this.onActive(ref, 'resume', async (dom) => {
      if (dom.state !== 'paused') throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: domain is not paused');
      await (await this.qmp(dom)).execute('cont');
      dom.setState('running', 'unpaused');
      await saveStatus(this.ctx, dom);
    });
  }

  async setAutostart(ref: string, enabled: boolean): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    if (dom.persistent === undefined) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: cannot set autostart for transient domain');
    await this.store.setAutostart(dom.name, enabled);
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
    if (!dom.active) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: domain is not running');
    return jobOf(dom);
  }

  /** The definition virsh's --live/--config/--current select for reading. */
  private selectDef(dom: Domain, f: ModificationImpact): DomainDef {
    if (f.live === true && f.config === true) throw new VireoError('INVALID_ARG', "invalid argument: flags 'affect live' and 'affect config' are mutually exclusive");
    if (f.live === true && !dom.active) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: domain is not running');
    if (f.config === true) {
      if (dom.persistent === undefined) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: transient domains do not have any persistent config');
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
      if (live && !dom.active) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: domain is not running');
      if (config && dom.persistent === undefined) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: transient domains do not have any persistent config');
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
    return descriptionOf(this.selectDef(this.lookup(ref), opts), opts.title === true);
  }

  setDescription(ref: string, r: DescriptionRequest): Promise<void> {
    return this.editDefinition(ref, r, (def) => withDescription(def, r.title === true, r.text));
  }

  /** The metadata element of one namespace (metadata). */
  metadata(ref: string, uri: string, opts: ModificationImpact): string {
    return metadataOf(this.selectDef(this.lookup(ref), opts), uri);
  }

  setMetadata(ref: string, r: MetadataRequest): Promise<void> {
    return this.editDefinition(ref, r, (def) => withMetadata(def, r.uri, r.key, r.xml));
  }

  /** domrename: a shut-off persistent domain gets a new name (its config file and autostart link move). */
  async rename(ref: string, name: string): Promise<DomainSummary> {
    const dom = this.lookup(ref);
    await dom.jobs.run('rename', 'short', async () => {
      if (dom.active) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: cannot rename active domain');
      if (dom.persistent === undefined) throw new VireoError('OPERATION_INVALID', 'Requested operation is not valid: cannot rename a transient domain');
      if (name === dom.name) throw new VireoError('OPERATION_INVALID', "Requested operation is not valid: Can't rename domain to itself");
      if (this.byName(name) !== undefined) throw new VireoError('OPERATION_INVALID', `Requested operation is not valid: domain with name '${name}' already exists`);
      const old = dom.persistent;
      // Through the XML parser: the new name meets every rule a defined name meets.
      const next = parseDomainXml(formatDomainXml({ ...old, name }));
      const autostart = dom.autostart;
      await this.store.saveConfig(next);
      await this.store.removeConfig(old.name);
      if (autostart) await this.store.setAutostart(next.name, true);
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
  async domxmlToNative(format: string, source: { xml?: string; domain?: string }): Promise<string> {
    if (format !== 'qemu-argv') throw new VireoError('INVALID_ARG', `unsupported configuration: Unsupported config type ${format}`, { hint: "the only format is 'qemu-argv'" });
    let def: DomainDef;
    if (source.domain !== undefined) def = this.lookup(source.domain).def;
    else if (source.xml !== undefined) def = parseDomainXml(source.xml);
    else throw new VireoError('INVALID_ARG', "either 'xml' or 'domain' is needed");
    return nativeCommandLine(def, { store: this.store, kvmUsable: this.kvm.usable });
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
      throw new VireoError('OPERATION_FAILED', `internal error: character device ${name} is not using a PTY (its type is '${serial.source.type}')`);
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

  /** Detach from every guest (they keep running) and stop. */
  close(): void {
    for (const d of this.domains.values()) {
      const rt = d.runtime;
      if (rt === undefined) continue;
      rt.finalized = true; // stop handling events; the guest itself is left alone
      rt.qmp?.close();
      for (const c of rt.consoles.values()) c.close();
    }
  }
}

/**
 * Pin a machine alias ('q35', 'pc') to the versioned type it stands for on this QEMU
 * ('pc-q35-7.2'), as libvirt does at define: a QEMU upgrade then never changes the hardware a
 * defined guest sees. A machine type the emulator lacks is refused here, not at start.
 */
async function pinMachine(def: DomainDef): Promise<void> {
  const emulator = def.devices.emulator ?? DEFAULT_EMULATOR;
  const machines = await qemuMachines(emulator);
  const versioned = machines.aliases.get(def.os.machine);
  if (versioned !== undefined) {
    def.os.machine = versioned;
  } else if (!machines.names.has(def.os.machine)) {
    throw new VireoError('XML_UNSUPPORTED', `unsupported configuration: Emulator '${emulator}' does not support machine type '${def.os.machine}'`, {
      hint: `see: ${emulator} -machine help`,
    });
  }
}

function checkMode(mode: string | undefined): void {
  if (mode === undefined || mode === '' || mode === 'acpi') return;
  for (const m of mode.split(',')) {
    if (!['acpi', 'agent', 'initctl', 'signal', 'paravirt'].includes(m)) throw new VireoError('INVALID_ARG', `Unknown mode ${m} value, expecting 'acpi', 'agent', 'initctl', 'signal', or 'paravirt'`);
  }
  if (!mode.split(',').includes('acpi')) throw new VireoError('NO_SUPPORT', `this function is not supported by the connection driver: shutdown mode '${mode}' needs a guest agent; use --mode acpi`);
}
