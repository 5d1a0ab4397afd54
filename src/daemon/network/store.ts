/**
 * On-disk state of the daemon's virtual networks: persistent configs (etc/networks/NAME.xml),
 * autostart links (etc/networks/autostart/NAME.xml) and status files of active networks
 * (run/networks/NAME.json: the live definition), as libvirt keeps them. Every write is atomic.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import { formatNetworkXml, type NetworkDef } from '../../conf/network/index.js';
import { writeFileAtomic, readFileIfExists } from '../../util/atomic.js';
import { ConfigFiles } from '../config-files.js';

/** What survives a daemon restart about an active network. */
export interface NetworkStatus {
  version: 1;
  name: string;
  uuid: string;
  persistent: boolean;
  /** The live definition as XML. */
  xml: string;
}

export class NetworkStore {
  readonly configs: ConfigFiles;
  readonly statusDir: string;
  /** dnsmasq's files (config, leases, pid) of each network. */
  readonly dnsmasqDir: string;

  constructor(readonly layout: StateLayout) {
    this.configs = new ConfigFiles(path.join(layout.etc, 'networks'), 'net-edit');
    this.statusDir = path.join(layout.run, 'networks');
    this.dnsmasqDir = path.join(layout.lib, 'dnsmasq');
  }

  /** Make the directories; true on the first start of this state (the config directory was new). */
  async init(): Promise<boolean> {
    const first = await this.configs.init();
    await fs.mkdir(this.statusDir, { recursive: true, mode: 0o700 });
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

  async saveStatus(s: NetworkStatus): Promise<void> {
    await writeFileAtomic(path.join(this.statusDir, `${s.name}.json`), JSON.stringify(s, null, 1) + '\n', 0o600, { durable: false });
  }

  async removeStatus(name: string): Promise<void> {
    await fs.rm(path.join(this.statusDir, `${name}.json`), { force: true });
  }

  /** Every status file, or why one cannot be read (reported; that network is left as it is). */
  async listStatus(): Promise<({ file: string; status: NetworkStatus } | { file: string; problem: string })[]> {
    const out: ({ file: string; status: NetworkStatus } | { file: string; problem: string })[] = [];
    for (const f of (await fs.readdir(this.statusDir)).sort()) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const file = path.join(this.statusDir, f);
      try {
        const text = await readFileIfExists(file);
        if (text === undefined) continue;
        const v = JSON.parse(text) as Partial<NetworkStatus>;
        if (v.version !== 1 || typeof v.name !== 'string' || typeof v.uuid !== 'string' || typeof v.xml !== 'string') throw new Error('not a network status record');
        out.push({ file, status: v as NetworkStatus });
      } catch (e) {
        out.push({ file, problem: e instanceof Error ? e.message : String(e) });
      }
    }
    return out;
  }
}
