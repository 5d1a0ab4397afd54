/**
 * On-disk state of a daemon: persistent configs (etc/domains/NAME.xml), autostart links,
 * and status files of running domains (run/domains/NAME.json). Every write is atomic.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import type { DomainState } from '../../api/types.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { formatDomainXml } from '../../conf/domain-xml.js';
import { writeFileAtomic, readFileIfExists } from '../../util/atomic.js';
import { ConfigFiles } from '../config-files.js';

/** What survives a daemon restart about a running domain. */
export interface StatusRecord {
  version: 1;
  /**
   * 'starting': written before QEMU is spawned (pid 0 until it is), so that a daemon that dies
   * in the middle of a start finds the half-started QEMU and ends it. Absent: running.
   */
  phase?: 'starting' | 'running';
  name: string;
  uuid: string;
  id: number;
  pid: number;
  pidStart: number;
  state: DomainState;
  reason: string;
  startedAt: number;
  monitor: string;
  runDir: string;
  persistent: boolean;
  /** Taps made for the guest's NICs, to delete when it stops. */
  taps?: string[];
  /** The guest's cgroup below each hierarchy's root (host/cgroup-path.ts), found again on reconnect. */
  cgroup?: string;
  /** The live definition as XML. */
  xml: string;
}

export class Store {
  readonly configs: ConfigFiles;
  readonly statusDir: string;

  constructor(readonly layout: StateLayout) {
    this.configs = new ConfigFiles(path.join(layout.etc, 'domains'), 'edit');
    this.statusDir = path.join(layout.run, 'domains');
  }

  async init(): Promise<void> {
    await this.configs.init();
    for (const d of [this.statusDir, this.layout.lib, this.layout.log]) await fs.mkdir(d, { recursive: true, mode: 0o700 });
  }

  /**
   * The directory of a running domain's sockets. Named for its id and at most 20 characters of
   * its name (as libvirt's domain-ID-NAME): socket paths must fit in sun_path's 108 bytes
   * whatever the name's length, and the id keeps two names with one prefix apart.
   */
  runDir(id: number, name: string): string {
    return path.join(this.statusDir, `${id}-${[...name].slice(0, 20).join('')}`);
  }

  logFile(name: string): string {
    return path.join(this.layout.log, `${name}.log`);
  }

  serialLog(name: string, port: number): string {
    return path.join(this.layout.log, `${name}.serial${port}.log`);
  }

  async saveConfig(def: DomainDef): Promise<void> {
    await this.configs.save(def.name, formatDomainXml(def));
  }

  async saveStatus(rec: StatusRecord): Promise<void> {
    // Status describes live processes, which a host crash ends anyway: atomic, without fsync.
    await writeFileAtomic(path.join(this.statusDir, `${rec.name}.json`), JSON.stringify(rec, null, 1) + '\n', 0o600, { durable: false });
  }

  async removeStatus(name: string): Promise<void> {
    await fs.rm(path.join(this.statusDir, `${name}.json`), { force: true });
  }

  /**
   * Every status file: the record, or why it cannot be read. One bad file must not stop the
   * daemon (it would leave every other guest unmanaged): the caller reports it and leaves
   * that guest's QEMU alone.
   */
  async listStatus(): Promise<({ file: string; record: StatusRecord } | { file: string; name: string; problem: string })[]> {
    const out: ({ file: string; record: StatusRecord } | { file: string; name: string; problem: string })[] = [];
    for (const f of (await fs.readdir(this.statusDir)).sort()) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const file = path.join(this.statusDir, f);
      const name = f.slice(0, -'.json'.length);
      try {
        const text = await readFileIfExists(file);
        if (text === undefined) continue;
        out.push({ file, record: parseStatus(text) });
      } catch (e) {
        out.push({ file, name, problem: e instanceof Error ? e.message : String(e) });
      }
    }
    return out;
  }
}

/** A status file's content, checked field by field. */
function parseStatus(text: string): StatusRecord {
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== 'object') throw new Error('not a JSON object');
  const r = v as Record<string, unknown>;
  if (r.version !== 1) throw new Error(`unknown status version ${JSON.stringify(r.version)}`);
  for (const k of ['name', 'uuid', 'state', 'reason', 'monitor', 'runDir', 'xml']) {
    if (typeof r[k] !== 'string') throw new Error(`field '${k}' is missing or not a string`);
  }
  for (const k of ['id', 'pid', 'pidStart', 'startedAt']) {
    if (typeof r[k] !== 'number') throw new Error(`field '${k}' is missing or not a number`);
  }
  if (r.phase !== undefined && r.phase !== 'starting' && r.phase !== 'running') throw new Error(`unknown phase ${JSON.stringify(r.phase)}`);
  return r as unknown as StatusRecord;
}
