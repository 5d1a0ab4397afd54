/**
 * Volumes an upload was cut off in (lib/storage-uploads.json): their content is part old, part
 * new, so they are marked until a whole upload, a wipe or a delete, and the mark survives daemon
 * restarts and host reboots. Keyed by the volume's file path, which is unique across pools.
 */
import * as path from 'node:path';
import type { StateLayout } from '../../api/paths.js';
import { readFileIfExists, writeFileAtomic } from '../../util/atomic.js';
import { logger } from '../../util/log.js';

const log = logger('storage');

export class IncompleteMarks {
  private readonly file: string;
  private readonly marks = new Map<string, string>();

  constructor(layout: StateLayout) {
    this.file = path.join(layout.lib, 'storage-uploads.json');
  }

  async load(): Promise<void> {
    const text = await readFileIfExists(this.file);
    if (text === undefined) return;
    try {
      for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, unknown>)) if (typeof v === 'string') this.marks.set(k, v);
    } catch (e) {
      log.error('cannot read the marks of cut-off uploads', { file: this.file, error: e instanceof Error ? e.message : String(e) });
    }
  }

  get(file: string): string | undefined {
    return this.marks.get(file);
  }

  async set(file: string, what: string): Promise<void> {
    this.marks.set(file, what);
    await this.save();
  }

  async clear(file: string): Promise<void> {
    if (this.marks.delete(file)) await this.save();
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.marks), null, 1) + '\n', 0o600);
  }
}
