/**
 * iface-begin / iface-commit / iface-rollback, as netcf's transactions: begin snapshots every
 * interface config and which were active; commit drops the snapshot; rollback puts the configs
 * back and brings the live state back to the snapshot (interfaces started since are taken down,
 * those taken down are started again, changed ones are restarted from their old config). The
 * snapshot is a file, so a vireod restart keeps the transaction open.
 */
import { VireoError } from '../../api/errors.js';
import { formatInterfaceXml, parseInterfaceXml, type InterfaceDef } from '../../conf/interface/index.js';
import { logger } from '../../util/log.js';
import type { InterfaceStore } from './store.js';

const log = logger('interfaces');

/** What the transaction log needs of the service (called with its queue held). */
export interface TransactionHooks {
  configs(): InterfaceDef[];
  isActive(name: string): Promise<boolean>;
  define(def: InterfaceDef): Promise<void>;
  undefine(name: string): Promise<void>;
  start(name: string): Promise<void>;
  destroy(name: string): Promise<void>;
}

export class TransactionLog {
  constructor(private readonly store: InterfaceStore, private readonly hooks: TransactionHooks) {}

  async begin(): Promise<void> {
    if ((await this.store.readTransaction()) !== undefined) {
      throw VireoError.of('OPERATION_FAILED', 'failed to begin transaction: a transaction is already open (iface-commit or iface-rollback ends it)');
    }
    const configs: Record<string, string> = {};
    const active: string[] = [];
    for (const def of this.hooks.configs()) {
      configs[def.name] = formatInterfaceXml(def);
      if (await this.hooks.isActive(def.name)) active.push(def.name);
    }
    await this.store.saveTransaction({ version: 1, configs, active });
  }

  async commit(): Promise<void> {
    if ((await this.store.readTransaction()) === undefined) throw VireoError.of('OPERATION_FAILED', 'failed to commit transaction: no transaction is open (iface-begin opens one)');
    await this.store.removeTransaction();
  }

  async rollback(): Promise<void> {
    const t = await this.store.readTransaction();
    if (t === undefined) throw VireoError.of('OPERATION_FAILED', 'failed to rollback transaction: no transaction is open (iface-begin opens one)');
    const { hooks } = this;
    const failures: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        log.error(`rollback: ${what} failed`, { error: String(e) });
        failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    const now = new Map(hooks.configs().map((d) => [d.name, formatInterfaceXml(d)]));
    // First take down what is up but should not be, or runs a config that changed.
    for (const [name, xml] of now) {
      const wasActive = t.active.includes(name);
      const changed = t.configs[name] !== xml;
      if ((await hooks.isActive(name)) && (!wasActive || changed)) await attempt(`destroy ${name}`, () => hooks.destroy(name));
    }
    for (const name of now.keys()) if (!(name in t.configs)) await attempt(`undefine ${name}`, () => hooks.undefine(name));
    for (const [name, xml] of Object.entries(t.configs)) {
      if (now.get(name) !== xml) await attempt(`restore the config of ${name}`, () => hooks.define(parseInterfaceXml(xml)));
    }
    // Then bring up what was up.
    for (const name of t.active) {
      if (!(await hooks.isActive(name))) await attempt(`start ${name}`, () => hooks.start(name));
    }
    await this.store.removeTransaction();
    if (failures.length > 0) throw VireoError.of('OPERATION_FAILED', `failed to rollback transaction: ${failures.join('; ')}`);
  }
}
