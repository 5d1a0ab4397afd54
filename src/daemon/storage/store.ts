/**
 * On-disk state of the daemon's storage pools: persistent configs (etc/storage/NAME.xml),
 * autostart links (etc/storage/autostart/NAME.xml) and status files of active pools
 * (run/storage/NAME.json: the definition the pool runs with), as libvirt keeps them.
 */
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import { formatPoolXml, type PoolDef } from '../../conf/storage/index.js';
import { ConfigFiles } from '../config-files.js';
import { StatusFiles, type StatusRecord } from '../status-files.js';

/** What survives a daemon restart about an active pool. */
export interface PoolStatus extends StatusRecord {
  uuid: string;
  persistent: boolean;
  xml: string;
}

export class PoolStore {
  readonly configs: ConfigFiles;
  readonly status: StatusFiles<PoolStatus>;
  /** Where the host daemon's 'default' pool keeps its volumes. */
  readonly imagesDir: string;

  constructor(readonly layout: StateLayout) {
    this.configs = new ConfigFiles(path.join(layout.etc, 'storage'), 'pool-edit');
    this.status = new StatusFiles<PoolStatus>(path.join(layout.run, 'storage'), 'a pool', (v) => typeof v.uuid === 'string' && typeof v.xml === 'string');
    this.imagesDir = path.join(layout.lib, 'images');
  }

  /** Make the directories; true on the first start of this state. */
  async init(): Promise<boolean> {
    const first = await this.configs.init();
    await this.status.init();
    return first;
  }

  async saveConfig(def: PoolDef): Promise<void> {
    await this.configs.save(def.name, formatPoolXml(def));
  }
}
