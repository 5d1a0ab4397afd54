/**
 * On-disk state of the daemon's virtual networks: persistent configs (etc/networks/NAME.xml),
 * autostart links (etc/networks/autostart/NAME.xml) and status files of active networks
 * (run/networks/NAME.json: the live definition), as libvirt keeps them. Every write is atomic.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import { formatNetworkXml, type NetworkDef } from '../../conf/network/index.js';
import { ConfigFiles } from '../config-files.js';
import { StatusFiles, type StatusRecord } from '../status-files.js';

/** What survives a daemon restart about an active network. */
export interface NetworkStatus extends StatusRecord {
  uuid: string;
  persistent: boolean;
  /** The live definition as XML. */
  xml: string;
}

export class NetworkStore {
  readonly configs: ConfigFiles;
  readonly status: StatusFiles<NetworkStatus>;
  /** dnsmasq's files (config, leases, pid) of each network. */
  readonly dnsmasqDir: string;

  constructor(readonly layout: StateLayout) {
    this.configs = new ConfigFiles(path.join(layout.etc, 'networks'), 'net-edit');
    this.status = new StatusFiles<NetworkStatus>(path.join(layout.run, 'networks'), 'a network', (v) => typeof v.uuid === 'string' && typeof v.xml === 'string');
    this.dnsmasqDir = path.join(layout.lib, 'dnsmasq');
  }

  /** Make the directories; true on the first start of this state (the config directory was new). */
  async init(): Promise<boolean> {
    const first = await this.configs.init();
    await this.status.init();
    // dnsmasq drops to user nobody and re-reads its hosts files there on SIGHUP: its directory is
    // 0755 and every directory above it must let others through (0711 at least, as /var/lib is).
    await fs.mkdir(this.dnsmasqDir, { recursive: true, mode: 0o755 });
    await fs.chmod(this.dnsmasqDir, 0o755);
    // Only the system daemon runs dnsmasq; walk up until a directory already lets others through.
    if (process.getuid?.() !== 0) return first;
    for (let d = path.dirname(this.dnsmasqDir); d !== path.dirname(d); d = path.dirname(d)) {
      const { mode } = await fs.stat(d);
      if ((mode & 0o001) !== 0) break;
      await fs.chmod(d, (mode & 0o7777) | 0o011);
    }
    return first;
  }

  async saveConfig(def: NetworkDef): Promise<void> {
    await this.configs.save(def.name, formatNetworkXml(def));
  }
}
