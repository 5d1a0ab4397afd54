/**
 * The persistent configs of one resource kind as libvirt keeps them: `DIR/NAME.xml` with a
 * header saying how to edit it, autostart as symlinks in `DIR/autostart/`. Writes are atomic and
 * durable. Shared by the domain and network stores (and the pool and volume ones to come).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, removeFileDurable, readFileIfExists } from '../util/atomic.js';

export class ConfigFiles {
  readonly autostartDir: string;

  /** `editCommand`: the vireo command that edits one (e.g. 'edit', 'net-edit'), named in the header. */
  constructor(readonly dir: string, private readonly editCommand: string) {
    this.autostartDir = path.join(dir, 'autostart');
  }

  /** Make the directories; true when the config directory is new (the first start of this state). */
  async init(): Promise<boolean> {
    const made = await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.autostartDir, { recursive: true, mode: 0o700 });
    return made !== undefined;
  }

  path(name: string): string {
    return path.join(this.dir, `${name}.xml`);
  }

  async save(name: string, xml: string): Promise<void> {
    const header = `<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\nOVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n  vireo ${this.editCommand} ${name}\nor other application using the vireo API.\n-->\n\n`;
    await writeFileAtomic(this.path(name), header + xml);
  }

  /** Remove a config and its autostart link. */
  async remove(name: string): Promise<void> {
    await this.setAutostart(name, false);
    await removeFileDurable(this.path(name));
  }

  /** Every config: file name and XML text. */
  async list(): Promise<{ file: string; xml: string }[]> {
    const out: { file: string; xml: string }[] = [];
    for (const f of (await fs.readdir(this.dir)).sort()) {
      if (!f.endsWith('.xml') || f.startsWith('.')) continue;
      const file = path.join(this.dir, f);
      const xml = await readFileIfExists(file);
      if (xml !== undefined) out.push({ file, xml });
    }
    return out;
  }

  async isAutostart(name: string): Promise<boolean> {
    return fs.lstat(path.join(this.autostartDir, `${name}.xml`)).then(() => true, () => false);
  }

  async setAutostart(name: string, on: boolean): Promise<void> {
    const link = path.join(this.autostartDir, `${name}.xml`);
    await fs.rm(link, { force: true });
    if (on) await fs.symlink(this.path(name), link);
  }
}
