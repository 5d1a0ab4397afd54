/**
 * On-disk state of host interface configs: the configs (etc/interfaces/NAME.xml, as netcf keeps
 * ifcfg files), what each start did that its stop must undo (run/interfaces/NAME.json: gone
 * with a reboot, as the devices are) and the open iface-begin transaction
 * (lib/interfaces/transaction.json: it survives vireod restarts, as netcf's snapshot does).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import { formatInterfaceXml, type InterfaceDef } from '../../conf/interface/index.js';
import type { AppliedInterface } from '../../network/index.js';
import { readFileIfExists, removeFileDurable, writeFileAtomic } from '../../util/atomic.js';
import { ConfigFiles } from '../config-files.js';
import { StatusFiles, type StatusRecord } from '../status-files.js';

/** What survives a restart about a started interface. */
export interface InterfaceStatus extends StatusRecord {
  /** The definition that was started (the config may change meanwhile). */
  xml: string;
  applied: AppliedInterface;
}

/** The snapshot iface-begin takes: every config, and which of them were active. */
export interface InterfaceTransaction {
  version: 1;
  configs: Record<string, string>;
  active: string[];
}

export class InterfaceStore {
  readonly configs: ConfigFiles;
  readonly status: StatusFiles<InterfaceStatus>;
  readonly transactionFile: string;

  constructor(layout: StateLayout) {
    this.configs = new ConfigFiles(path.join(layout.etc, 'interfaces'), 'iface-edit');
    this.status = new StatusFiles<InterfaceStatus>(path.join(layout.run, 'interfaces'), 'an interface', (v) => typeof v.xml === 'string' && typeof v.applied === 'object');
    this.transactionFile = path.join(layout.lib, 'interfaces', 'transaction.json');
  }

  async init(): Promise<void> {
    await this.configs.init();
    await this.status.init();
    await fs.mkdir(path.dirname(this.transactionFile), { recursive: true, mode: 0o700 });
  }

  async saveConfig(def: InterfaceDef): Promise<void> {
    await this.configs.save(def.name, formatInterfaceXml(def));
  }

  async readTransaction(): Promise<InterfaceTransaction | undefined> {
    const text = await readFileIfExists(this.transactionFile);
    if (text === undefined) return undefined;
    const v = JSON.parse(text) as Partial<InterfaceTransaction>;
    if (v.version !== 1 || typeof v.configs !== 'object' || !Array.isArray(v.active)) throw new Error(`${this.transactionFile} is not an interface transaction`);
    return v as InterfaceTransaction;
  }

  async saveTransaction(t: InterfaceTransaction): Promise<void> {
    await writeFileAtomic(this.transactionFile, JSON.stringify(t, null, 1) + '\n');
  }

  async removeTransaction(): Promise<void> {
    await removeFileDurable(this.transactionFile);
  }
}
