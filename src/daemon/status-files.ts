/**
 * Status files of one resource kind (run/KIND/NAME.json): what survives a daemon restart about
 * an active network, pool or interface. Written atomically but not synced: they describe state
 * that a host crash ends anyway (bridges, mounts, devices), as the domains' status files do.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../util/atomic.js';

/** Every status record starts with these. */
export interface StatusRecord {
  version: 1;
  name: string;
}

/** A status file read back, or why it could not be. */
export type StatusEntry<T> = { file: string; status: T } | { file: string; problem: string };

export class StatusFiles<T extends StatusRecord> {
  /**
   * `kind` names the records in errors ('a network': "not a network status record"); `valid`
   * checks the fields beyond version and name.
   */
  constructor(readonly dir: string, private readonly kind: string, private readonly valid: (v: Partial<T>) => boolean) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  async save(s: T): Promise<void> {
    await writeFileAtomic(this.file(s.name), JSON.stringify(s, null, 1) + '\n', 0o600, { durable: false });
  }

  async remove(name: string): Promise<void> {
    await fs.rm(this.file(name), { force: true });
  }

  private parse(text: string): T {
    const v = JSON.parse(text) as Partial<T>;
    if (v.version !== 1 || typeof v.name !== 'string' || !this.valid(v)) throw new Error(`not ${this.kind} status record`);
    return v as T;
  }

  /** One record; undefined when there is none; throws when it cannot be read. */
  async read(name: string): Promise<T | undefined> {
    const text = await readFileIfExists(this.file(name));
    if (text === undefined) return undefined;
    try {
      return this.parse(text);
    } catch (e) {
      throw new Error(`${this.file(name)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Every record, or why one cannot be read (the caller reports it and leaves that resource as it is). */
  async list(): Promise<StatusEntry<T>[]> {
    const out: StatusEntry<T>[] = [];
    for (const f of (await fs.readdir(this.dir)).sort()) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      const file = path.join(this.dir, f);
      try {
        const text = await readFileIfExists(file);
        if (text !== undefined) out.push({ file, status: this.parse(text) });
      } catch (e) {
        out.push({ file, problem: e instanceof Error ? e.message : String(e) });
      }
    }
    return out;
  }
}
