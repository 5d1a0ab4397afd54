/**
 * Where a domain's snapshot metadata lives: lib/snapshot/DOMAIN/NAME.xml (snapshot-dumpxml's
 * document) and lib/snapshot/DOMAIN/current (the current snapshot's name), written atomically,
 * so snapshots outlive vireod restarts. Removed with the domain at undefine.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../../api/errors.js';
import { formatSnapshotXml } from '../../conf/snapshot-format.js';
import type { SnapshotDef } from '../../conf/snapshot-model.js';
import { parseSnapshotXml } from '../../conf/snapshot-parse.js';
import { readFileIfExists, writeFileAtomic } from '../../util/atomic.js';
import type { LifecycleContext } from './context.js';

/** A recorded snapshot: always named, timed and in a state. */
export type Snapshot = SnapshotDef & { name: string; creationTime: number; state: NonNullable<SnapshotDef['state']> };

/** The metadata directory of `domain`'s snapshots. */
export function snapshotDir(ctx: LifecycleContext, domain: string): string {
  return path.join(ctx.store.layout.lib, 'snapshot', domain);
}

/**
 * The order snapshots were made in: the file `order`, a name per line. Creation times have whole
 * seconds, and libvirt lists a parent's children newest first by insertion, so two made in one
 * second need this to come out in the order they were made.
 */
async function readOrder(dir: string): Promise<string[]> {
  return ((await readFileIfExists(path.join(dir, 'order'))) ?? '').split('\n').filter((n) => n !== '');
}

async function writeOrder(dir: string, names: readonly string[]): Promise<void> {
  await writeFileAtomic(path.join(dir, 'order'), names.map((n) => `${n}\n`).join(''));
}

/** Every snapshot of the domain, oldest first (the order they were made in; else creation time, then name). */
export async function loadSnapshots(ctx: LifecycleContext, domain: string): Promise<Snapshot[]> {
  const dir = snapshotDir(ctx, domain);
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  const out: Snapshot[] = [];
  for (const f of files.filter((n) => n.endsWith('.xml'))) {
    const xml = await readFileIfExists(path.join(dir, f));
    if (xml === undefined) continue;
    const def = parseSnapshotXml(xml, { sourceName: path.join(dir, f) });
    if (def.name === undefined || def.creationTime === undefined || def.state === undefined) continue;
    out.push(def as Snapshot);
  }
  const order = await readOrder(dir);
  const rank = (n: string): number => {
    const i = order.indexOf(n);
    return i < 0 ? Infinity : i;
  };
  return out.sort((a, b) => a.creationTime - b.creationTime || rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Record (or replace) one snapshot's metadata. */
export async function saveSnapshot(ctx: LifecycleContext, domain: string, s: Snapshot): Promise<void> {
  const dir = snapshotDir(ctx, domain);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(dir, `${s.name}.xml`), formatSnapshotXml(s));
  const order = await readOrder(dir);
  if (!order.includes(s.name)) await writeOrder(dir, [...order, s.name]);
}

/** Forget one snapshot's metadata. */
export async function dropSnapshot(ctx: LifecycleContext, domain: string, name: string): Promise<void> {
  const dir = snapshotDir(ctx, domain);
  await fs.rm(path.join(dir, `${name}.xml`), { force: true });
  const order = await readOrder(dir);
  if (order.includes(name)) await writeOrder(dir, order.filter((n) => n !== name));
}

/** The current snapshot's name, if one is set. */
export async function currentSnapshot(ctx: LifecycleContext, domain: string): Promise<string | undefined> {
  const t = await readFileIfExists(path.join(snapshotDir(ctx, domain), 'current'));
  return t === undefined || t.trim() === '' ? undefined : t.trim();
}

/** Set (or clear, with undefined) the current snapshot. */
export async function setCurrentSnapshot(ctx: LifecycleContext, domain: string, name: string | undefined): Promise<void> {
  const dir = snapshotDir(ctx, domain);
  if (name === undefined) {
    await fs.rm(path.join(dir, 'current'), { force: true });
    return;
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(dir, 'current'), `${name}\n`);
}

/** Remove all of a domain's snapshot metadata (undefine --snapshots-metadata). */
export async function removeSnapshotDir(ctx: LifecycleContext, domain: string): Promise<void> {
  await fs.rm(snapshotDir(ctx, domain), { recursive: true, force: true });
}

/**
 * undefine: a shut-off domain with snapshots is refused unless their metadata goes too (libvirt's
 * rule; a running one keeps them until it stops, as libvirt's does). With `remove` they are removed.
 */
export async function checkUndefineSnapshots(ctx: LifecycleContext, dom: { name: string; active: boolean }, remove: boolean): Promise<void> {
  const n = (await fs.readdir(snapshotDir(ctx, dom.name)).catch(() => [] as string[])).filter((f) => f.endsWith('.xml')).length;
  if (n > 0 && !remove && !dom.active) throw VireoError.of('OPERATION_INVALID', `cannot delete inactive domain with ${n} snapshots`);
  if (remove) await removeSnapshotDir(ctx, dom.name);
}
