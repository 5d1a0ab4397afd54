/**
 * On-disk state of the daemon's storage pools: persistent configs (etc/storage/NAME.xml),
 * autostart links (etc/storage/autostart/NAME.xml) and status files of active pools
 * (run/storage/NAME.json: the definition the pool runs with), as libvirt keeps them.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import { formatPoolXml, type PoolDef } from '../../conf/storage/index.js';
import { readFileIfExists, writeFileAtomic } from '../../util/atomic.js';
import { ConfigFiles } from '../config-files.js';

/** What survives a daemon restart about an active pool. */
export interface PoolStatus {
  version: 1;
  name: string;
  uuid: string;
  persistent: boolean;
  xml: string;
}

export class PoolStore {
  readonly configs: ConfigFiles;
  readonly statusDir: string;
  /** Where the host daemon's 'default' pool keeps its volumes. */
  readonly imagesDir: string;

  constructor(readonly layout: StateLayout) {
    this.configs = new ConfigFiles(path.join(layout.etc, 'storage'), 'pool-edit');
    this.statusDir = path.join(layout.run, 'storage');
    this.imagesDir = path.join(layout.lib, 'images');
  }

  /** Make the directories; true on the first start of this state. */
  async init(): Promise<boolean> {
    const first = await this.configs.init();
    await fs.mkdir(this.statusDir, { recursive: true, mode: 0o700 });
    return first;
  }

  async saveConfig(def: PoolDef): Promise<void> {
    await this.configs.save(def.name, formatPoolXml(def));
  }

  async saveStatus(def: PoolDef, persistent: boolean): Promise<void> {
    const s: PoolStatus = { version: 1, name: def.name, uuid: def.uuid, persistent, xml: formatPoolXml(def) };
    await writeFileAtomic(path.join(this.statusDir, `${def.name}.json`), JSON.stringify(s, null, 1) + '\n', 0o600, { durable: false });
  }

  async removeStatus(name: string): Promise<void> {
    await fs.rm(path.join(this.statusDir, `${name}.json`), { force: true });
  }

  /** Every status file, or why one cannot be read. */
  async listStatus(): Promise<({ file: string; status: PoolStatus } | { file: string; problem: string })[]> {
    const out: ({ file: string; status: PoolStatus } | { file: string; problem: string })[] = [];
    for (const f of (await fs.readdir(this.statusDir)).sort()) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const file = path.join(this.statusDir, f);
      try {
        const text = await readFileIfExists(file);
        if (text === undefined) continue;
        const v = JSON.parse(text) as Partial<PoolStatus>;
        if (v.version !== 1 || typeof v.name !== 'string' || typeof v.uuid !== 'string' || typeof v.xml !== 'string') throw new Error('not a pool status record');
        out.push({ file, status: v as PoolStatus });
      } catch (e) {
        out.push({ file, problem: e instanceof Error ? e.message : String(e) });
      }
    }
    return out;
  }
}
