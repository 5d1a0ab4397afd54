/**
 * The storage pool service: pools (pool-* commands), the only code that decides a pool's state.
 * Names and UUIDs come from the daemon's registry (kind 'pool'); what touches the host is the
 * pool type's backend (src/storage/). Volumes are in ./volumes.ts.
 *
 * As libvirt: build, delete and undefine of an active pool are refused; undefine of an active
 * pool is refused too (libvirt 9.0: "is still active"); a transient pool is gone once stopped;
 * active pools come back active after a vireod restart; autostart pools start before guests.
 */
import type { PoolEvent, PoolSummary } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { parseUuid } from '../../conf/names.js';
import {
  formatPoolSourcesXml, formatPoolXml, parsePoolSourceXml, parsePoolXml, poolCapabilitiesXml, POOL_TYPES, type PoolDef, type PoolType,
} from '../../conf/storage/index.js';
import { xmlEscape } from '../../conf/xml.js';
import { backendFor, RUNNABLE_POOL_TYPES, supportedPoolTypes } from '../../storage/index.js';
import { logger } from '../../util/log.js';
import type { Registry, Table } from '../registry.js';
import { Pool } from './pool.js';
import type { PoolStore } from './store.js';

const log = logger('pools');

export interface PoolServiceDeps {
  store: PoolStore;
  registry: Registry;
  emit(ev: PoolEvent): void;
}

const notFound = (ref: string): VireoError => VireoError.of('NO_STORAGE_POOL', `no storage pool with matching name '${ref}'`);

/** The storage a pool uses, for libvirt's "Storage source conflict" check. */
function storageOf(def: PoolDef): string {
  const s = def.source;
  switch (def.type) {
    case 'dir': return `path:${def.target?.path ?? ''}`;
    case 'fs': return `dev:${s.devices[0]?.path ?? ''}`;
    case 'netfs': return `net:${s.hosts[0]?.name ?? ''}:${s.dir ?? ''}`;
    case 'logical': return `vg:${s.name ?? ''}`;
    case 'iscsi-direct': return `iscsi:${s.hosts[0]?.name ?? ''}:${s.devices[0]?.path ?? ''}`;
  }
}

export class PoolService {
  private readonly table: Table<Pool>;
  /** Pool types this host runs (tools and kernel parts checked at init). */
  private supported: readonly PoolType[] = RUNNABLE_POOL_TYPES;

  constructor(private readonly deps: PoolServiceDeps) {
    this.table = deps.registry.table<Pool>('pool', {
      nameTaken: (name, uuid) => VireoError.of('STORAGE_POOL_EXISTS', `pool '${name}' already exists with uuid ${uuid}`),
      uuidTaken: (uuid, name) => VireoError.of('STORAGE_POOL_EXISTS', `pool '${name}' is already defined with uuid ${uuid}`),
    });
  }

  /** Load configs, take active pools up again, start autostart ones; `createDefault`: libvirt's 'default' pool on a first start. */
  async init(opts: { createDefault?: boolean } = {}): Promise<void> {
    const { store } = this.deps;
    const firstStart = await store.init();
    this.supported = await supportedPoolTypes();
    for (const { file, xml } of await store.configs.list()) {
      try {
        const def = parsePoolXml(xml, { sourceName: file });
        const pool = new Pool(def, true);
        pool.autostart = await store.configs.isAutostart(def.name);
        this.table.add(def.name, def.uuid, pool);
      } catch (e) {
        log.error(`ignoring unreadable storage pool config ${file}`, { error: String(e) });
      }
    }
    for (const entry of await store.status.list()) {
      if (!('status' in entry)) {
        log.error(`the pool status file '${entry.file}' cannot be read (${entry.problem})`);
        continue;
      }
      const st = entry.status;
      try {
        const live = parsePoolXml(st.xml, { sourceName: entry.file });
        let pool = this.table.get(st.uuid);
        if (pool === undefined) {
          pool = new Pool(live, false);
          this.table.add(st.name, st.uuid, pool);
        }
        pool.live = live;
        // A pool that says whether it is still up (mounted) is taken as it is found, as
        // libvirt's check: not mounted again behind the user's back.
        const backend = backendFor(live.type);
        await (backend.check !== undefined ? backend.check(live) : backend.start(live));
        pool.active = true;
        await this.scan(pool);
        log.info(`pool ${st.name}: active again`);
      } catch (e) {
        log.error(`pool ${st.name}: cannot take it up again; it is inactive`, { error: String(e) });
        const pool = this.table.get(st.uuid);
        if (pool !== undefined) await this.markStopped(pool);
      }
    }
    if (opts.createDefault === true && firstStart) await this.defineDefault();
    for (const pool of this.table.values()) {
      if (pool.autostart && !pool.active) {
        await this.start(pool.uuid, {}).catch((e: unknown) => log.error(`autostart of pool ${pool.name} failed`, { error: String(e) }));
      }
    }
  }

  /** libvirt's 'default' pool as its package makes it: a dir pool of images, built, autostart. */
  private async defineDefault(): Promise<void> {
    if (this.table.getByName('default') !== undefined) return;
    const dir = this.deps.store.imagesDir;
    await this.define(`<pool type='dir'><name>default</name><target><path>${xmlEscape(dir)}</path></target></pool>`);
    await this.build('default', {});
    await this.setAutostart('default', true);
    log.info(`defined the 'default' storage pool in ${dir}, autostart`);
  }

  /** Find a pool by UUID, then name. */
  lookup(ref: string): Pool {
    const pool = this.table.get(parseUuid(ref) ?? ref.toLowerCase()) ?? this.table.getByName(ref);
    if (pool === undefined) throw notFound(ref);
    return pool;
  }

  /** Every pool (the volumes service searches them by key and path). */
  pools(): Pool[] {
    return this.table.values();
  }

  list(): PoolSummary[] {
    return this.table.values().map((p) => p.summary());
  }

  capabilities(): string {
    return poolCapabilitiesXml(this.supported);
  }

  /** find-storage-pool-sources: what the host offers for `type`, as libvirt's <sources> XML. */
  async findSources(typeName: string, specXml: string | undefined): Promise<string> {
    const type = POOL_TYPES.find((t) => t === typeName);
    if (type === undefined) throw VireoError.of('INVALID_ARG', `unknown storage pool type ${typeName}`);
    const backend = backendFor(type);
    if (backend.findSources === undefined) {
      throw VireoError.of('NO_SUPPORT', `this function is not supported by the connection driver: pool type '${type}' does not support source discovery`);
    }
    const spec = specXml === undefined ? { hosts: [], devices: [] } : parsePoolSourceXml(specXml, type);
    return formatPoolSourcesXml(await backend.findSources(spec));
  }

  private emit(pool: Pool, event: PoolEvent['event']): void {
    this.deps.emit({ type: 'pool-lifecycle', pool: { name: pool.name, uuid: pool.uuid }, event, timestamp: Date.now() });
  }

  /** Refuse a definition whose storage another pool already uses. */
  private checkConflict(def: PoolDef): void {
    const mine = storageOf(def);
    const other = this.table.values().find((p) => p.uuid !== def.uuid && storageOf(p.def) === mine);
    if (other !== undefined) throw VireoError.of('STORAGE_POOL_EXISTS', `Storage source conflict with pool: '${other.name}'`);
  }

  private checkSame(def: PoolDef, existing: Pool | undefined): void {
    if (existing === undefined || (existing.name === def.name && existing.uuid === def.uuid)) return;
    if (existing.name === def.name) throw VireoError.of('STORAGE_POOL_EXISTS', `pool '${def.name}' already exists with uuid ${existing.uuid}`);
    throw VireoError.of('STORAGE_POOL_EXISTS', `pool '${existing.name}' is already defined with uuid ${def.uuid}`);
  }

  async define(xml: string): Promise<PoolSummary> {
    const def = parsePoolXml(xml);
    const existing = this.table.get(def.uuid) ?? this.table.getByName(def.name);
    this.checkSame(def, existing);
    this.checkConflict(def);
    if (existing === undefined) {
      const reservation = this.table.reserve(def.name, def.uuid);
      try {
        await this.deps.store.saveConfig(def);
      } catch (e) {
        reservation.release();
        throw e;
      }
      const pool = new Pool(def, true);
      reservation.commit(pool);
      this.emit(pool, 'Defined');
      return pool.summary();
    }
    return existing.serial(async () => {
      if (this.table.get(existing.uuid) !== existing) return this.define(xml);
      if (existing.active && existing.def.type !== def.type) throw VireoError.of('OPERATION_INVALID', `cannot change the type of active pool '${def.name}'`);
      await this.deps.store.saveConfig(def);
      existing.persistent = def;
      this.emit(existing, 'Defined');
      return existing.summary();
    });
  }

  /** pool-create: start a transient pool from XML (`build` first with --build). */
  async create(xml: string, opts: { build?: boolean; overwrite?: boolean; noOverwrite?: boolean }): Promise<PoolSummary> {
    const def = parsePoolXml(xml);
    this.checkSame(def, this.table.get(def.uuid) ?? this.table.getByName(def.name));
    this.checkConflict(def);
    const reservation = this.table.reserve(def.name, def.uuid);
    const pool = new Pool(def, false);
    try {
      const backend = backendFor(def.type);
      if (opts.build === true) await backend.build(def, opts);
      await this.bringUp(pool);
    } catch (e) {
      reservation.release();
      throw e;
    }
    reservation.commit(pool);
    this.emit(pool, 'Started');
    return pool.summary();
  }

  /** Start through the backend, read the pool, record the status. */
  private async bringUp(pool: Pool): Promise<void> {
    const def = pool.def;
    const backend = backendFor(def.type);
    await backend.start(def);
    try {
      pool.active = true;
      await this.scan(pool);
      await this.deps.store.status.save({ version: 1, name: def.name, uuid: def.uuid, persistent: pool.persistent !== undefined, xml: formatPoolXml(def) });
    } catch (e) {
      pool.active = false;
      pool.volumes.clear();
      await backend.stop(def).catch(() => undefined);
      throw e;
    }
  }

  /** Read the pool's figures and volumes. */
  async scan(pool: Pool): Promise<void> {
    const found = await backendFor(pool.def.type).refresh(pool.def);
    pool.sizes = found.sizes;
    pool.targetPermissions = found.targetPermissions;
    pool.volumes.clear();
    for (const v of found.volumes) pool.volumes.set(v.name, v);
  }

  async start(ref: string, opts: { build?: boolean; overwrite?: boolean; noOverwrite?: boolean }): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    await pool.serial(async () => {
      if (pool.active) throw VireoError.of('OPERATION_INVALID', `storage pool '${pool.name}' is already active`);
      pool.live = structuredClone(pool.persistent ?? pool.def);
      if (opts.build === true) await backendFor(pool.def.type).build(pool.def, opts);
      try {
        await this.bringUp(pool);
      } catch (e) {
        pool.live = undefined;
        throw e;
      }
    });
    this.emit(pool, 'Started');
    return pool.summary();
  }

  async build(ref: string, opts: { overwrite?: boolean; noOverwrite?: boolean }): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    return pool.serial(async () => {
      if (pool.active) throw VireoError.of('OPERATION_INVALID', `storage pool '${pool.name}' is already active`);
      await backendFor(pool.def.type).build(pool.def, opts);
      return pool.summary();
    });
  }

  async destroy(ref: string): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    return pool.serial(async () => {
      pool.requireActive();
      pool.checkIdle();
      await backendFor(pool.def.type).stop(pool.def);
      await this.markStopped(pool);
      this.emit(pool, 'Stopped');
      const summary = pool.summary();
      if (pool.persistent === undefined) this.table.remove(pool.uuid, pool);
      return summary;
    });
  }

  private async markStopped(pool: Pool): Promise<void> {
    pool.active = false;
    pool.volumes.clear();
    await this.deps.store.status.remove(pool.name);
    if (pool.persistent !== undefined) pool.live = undefined;
  }

  async delete(ref: string): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    return pool.serial(async () => {
      if (pool.active) throw VireoError.of('OPERATION_INVALID', `storage pool '${pool.name}' is still active`);
      await backendFor(pool.def.type).delete(pool.def);
      this.emit(pool, 'Deleted');
      return pool.summary();
    });
  }

  async undefine(ref: string): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    return pool.serial(async () => {
      if (pool.active) throw VireoError.of('OPERATION_INVALID', `storage pool '${pool.name}' is still active`);
      if (pool.persistent === undefined) throw VireoError.of('OPERATION_INVALID', `storage pool '${pool.name}' is transient`);
      await this.deps.store.configs.remove(pool.name);
      this.table.remove(pool.uuid, pool);
      this.emit(pool, 'Undefined');
      return { ...pool.summary(), persistent: false, autostart: false };
    });
  }

  async refresh(ref: string): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    return pool.serial(async () => {
      pool.requireActive();
      pool.checkIdle();
      try {
        await this.scan(pool);
      } catch (e) {
        // As libvirt: a pool whose storage cannot be read any more is stopped (a transient one goes).
        await backendFor(pool.def.type).stop(pool.def).catch((err: unknown) => log.warn(`cannot stop pool ${pool.name} after a failed refresh: ${String(err)}`));
        await this.markStopped(pool);
        this.emit(pool, 'Stopped');
        if (pool.persistent === undefined) this.table.remove(pool.uuid, pool);
        throw e;
      }
      this.emit(pool, 'Refreshed');
      return pool.summary();
    });
  }

  async setAutostart(ref: string, enabled: boolean): Promise<PoolSummary> {
    const pool = this.lookup(ref);
    return pool.serial(async () => {
      if (pool.persistent === undefined) throw VireoError.of('OPERATION_INVALID', 'cannot set autostart for transient pool');
      await this.deps.store.configs.setAutostart(pool.name, enabled);
      pool.autostart = enabled;
      return pool.summary();
    });
  }

  dumpXml(ref: string, opts: { inactive?: boolean }): string {
    const { def, sizes } = this.lookup(ref).shown(opts.inactive === true);
    return formatPoolXml(def, sizes);
  }
}
