/**
 * Domain snapshots with libvirt 9.0's rules and words (compared with libvirt-ref): internal
 * snapshots of a shut-off guest's qcow2 disks (qemu-img snapshot -c/-a/-d on each), of a running
 * guest's disks and memory (QMP snapshot jobs, snapshot-live.ts), their
 * metadata (snapshot-store.ts), the tree and the current snapshot. A snapshot's metadata is
 * recorded only after every disk took it; a failure part way removes what was made.
 */
import { VireoError } from '../../api/errors.js';
import type { SnapshotSummary } from '../../api/snapshot-types.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { formatDomainXml } from '../../conf/domain-xml.js';
import { formatSnapshotXml } from '../../conf/snapshot-format.js';
import type { SnapshotDisk } from '../../conf/snapshot-model.js';
import { parseSnapshotXml } from '../../conf/snapshot-parse.js';
import { MomentTree, type MomentFilter } from '../../conf/snapshot-tree.js';
import { internalSnapshot } from '../../storage/qemu-img.js';
import type { Domain } from './domain.js';
import type { DomainHost } from './ops.js';
import { deleteLive, loadLive, saveLive } from './snapshot-live.js';
import {
  currentSnapshot, dropSnapshot, loadSnapshots, saveSnapshot, setCurrentSnapshot, type Snapshot,
} from './snapshot-store.js';

/** snapshot-list's selection: the tree's, and by location. */
export type SnapshotListFilter = MomentFilter & { internal?: boolean; external?: boolean };

const notFound = (name: string): VireoError => VireoError.of('NO_DOMAIN_SNAPSHOT', `no domain snapshot with matching name '${name}'`);

const location = (s: Snapshot): 'internal' | 'external' =>
  s.memory?.snapshot === 'external' || (s.disks ?? []).some((d) => d.snapshot === 'external') ? 'external' : 'internal';

/** The disks an internal snapshot covers: every writable disk, each a qcow2 file (libvirt's refusal otherwise). */
function internalDisks(def: DomainDef): Array<{ target: string; path: string }> {
  const out: Array<{ target: string; path: string }> = [];
  for (const d of def.devices.disks) {
    if (d.device !== 'disk' || d.readonly) continue;
    if (d.format !== 'qcow2' || d.sourceType !== 'file' || d.source === undefined) {
      const type = d.sourceType !== 'file' ? d.sourceType : d.format ?? 'raw';
      throw VireoError.of('CONFIG_UNSUPPORTED', `internal snapshot for disk ${d.target} unsupported for storage type ${type}`);
    }
    out.push({ target: d.target, path: d.source });
  }
  return out;
}

/** The domain and its recorded snapshots. */
async function load(host: DomainHost, ref: string): Promise<{ dom: Domain; list: Snapshot[]; tree: MomentTree<Snapshot> }> {
  const dom = host.lookup(ref);
  const list = await loadSnapshots(host.ctx, dom.name);
  return { dom, list, tree: new MomentTree(list) };
}

async function summary(host: DomainHost, dom: Domain, tree: MomentTree<Snapshot>, s: Snapshot): Promise<SnapshotSummary> {
  const current = (await currentSnapshot(host.ctx, dom.name)) === s.name;
  return {
    name: s.name, ...(s.parent !== undefined ? { parent: s.parent } : {}), creationTime: s.creationTime, state: s.state,
    location: location(s), current, children: tree.children(s.name).length, descendants: tree.descendants(s.name).length,
  };
}

/** snapshot-create / snapshot-create-as: take a snapshot as `xml` describes it; returns its name. */
export async function createSnapshot(host: DomainHost, ref: string, xml: string): Promise<string> {
  const dom = host.lookup(ref);
  const req = parseSnapshotXml(xml);
  return dom.jobs.run('snapshot', 'short', async () => {
    if (req.memory?.snapshot === 'external' || (req.disks ?? []).some((d) => d.snapshot === 'external')) {
      throw VireoError.of('NO_SUPPORT', 'external snapshots are not supported yet');
    }
    const live = dom.active;
    if (!live && req.memory !== undefined && req.memory.snapshot !== 'no') {
      throw VireoError.of('CONFIG_UNSUPPORTED', `memory state cannot be saved with offline or disk-only snapshot`);
    }
    if (live && req.memory?.snapshot === 'no') {
      throw VireoError.of('NO_SUPPORT', 'disk-only snapshots of a running guest are not supported yet');
    }
    const rt = dom.runtime;
    const def = live && rt !== undefined ? rt.liveDef : dom.persistent ?? dom.def;
    const list = await loadSnapshots(host.ctx, dom.name);
    const name = req.name ?? String(Math.floor(Date.now() / 1000));
    if (list.some((s) => s.name === name)) throw VireoError.of('OPERATION_FAILED', `domain moment ${name} already exists`);
    const disks = internalDisks(def);
    for (const d of req.disks ?? []) {
      if (!def.devices.disks.some((x) => x.target === d.name || x.source === d.name)) {
        throw VireoError.of('CONFIG_UNSUPPORTED', `no disk named '${d.name}'`);
      }
      if (d.snapshot === 'no' || d.snapshot === 'manual') throw VireoError.of('NO_SUPPORT', `leaving disk '${d.name}' out of an internal snapshot is not supported`);
    }
    // The domain XML is taken before the save: the guest the snapshot holds is the one it
    // describes; a running one's is its live XML, id included, as libvirt records it.
    const domainXml = live ? formatDomainXml(def, { omitSecrets: true, ...(dom.id !== null ? { id: dom.id } : {}) }) : formatDomainXml(def);
    let state: Snapshot['state'] = 'shutoff';
    if (live) {
      state = (await saveLive(host, dom, name)).state;
    } else {
      const made: string[] = [];
      try {
        for (const d of disks) {
          await internalSnapshot(d.path, 'create', name);
          made.push(d.path);
        }
      } catch (e) {
        // Undo the disks that took it, so a failed snapshot leaves no half of itself behind.
        for (const p of made) await internalSnapshot(p, 'delete', name).catch(() => undefined);
        throw e;
      }
    }
    const parent = await currentSnapshot(host.ctx, dom.name);
    const snapDisks: SnapshotDisk[] = def.devices.disks.map((d) => ({
      name: d.target, snapshot: disks.some((x) => x.target === d.target) ? 'internal' : 'no',
    }));
    const s: Snapshot = {
      name, ...(req.description !== undefined ? { description: req.description } : {}),
      state, ...(parent !== undefined && list.some((x) => x.name === parent) ? { parent } : {}),
      creationTime: Math.floor(Date.now() / 1000), memory: { snapshot: live ? 'internal' : 'no' }, disks: snapDisks,
      domainXml,
    };
    await saveSnapshot(host.ctx, dom.name, s);
    await setCurrentSnapshot(host.ctx, dom.name, name);
    return name;
  });
}

/** snapshot-list. */
export async function listSnapshots(host: DomainHost, ref: string, f: SnapshotListFilter): Promise<SnapshotSummary[]> {
  const { dom, tree } = await load(host, ref);
  if (f.from !== undefined && tree.get(f.from) === undefined) throw notFound(f.from);
  let list = tree.select(f);
  if (f.internal === true || f.external === true) list = list.filter((s) => (location(s) === 'internal' ? f.internal === true : f.external === true));
  return Promise.all(list.map((s) => summary(host, dom, tree, s)));
}

/** snapshot-info (and the current snapshot's, without a name). */
export async function snapshotInfo(host: DomainHost, ref: string, name: string | undefined): Promise<SnapshotSummary> {
  const { dom, tree } = await load(host, ref);
  const want = name ?? (await currentSnapshot(host.ctx, dom.name));
  if (want === undefined) throw VireoError.of('NO_DOMAIN_SNAPSHOT', 'the domain does not have a current snapshot');
  const s = tree.get(want);
  if (s === undefined) throw notFound(want);
  return summary(host, dom, tree, s);
}

/** snapshot-dumpxml. */
export async function snapshotXml(host: DomainHost, ref: string, name: string): Promise<string> {
  const { tree } = await load(host, ref);
  const s = tree.get(name);
  if (s === undefined) throw notFound(name);
  return formatSnapshotXml(s);
}

/** snapshot-current NAME: make `name` the current snapshot. */
export async function setCurrent(host: DomainHost, ref: string, name: string): Promise<void> {
  const { dom, tree } = await load(host, ref);
  if (tree.get(name) === undefined) throw notFound(name);
  await setCurrentSnapshot(host.ctx, dom.name, name);
}

/** snapshot-delete: the snapshot (or only its children, or it and its children); --metadata keeps the disks' data. */
export async function deleteSnapshot(host: DomainHost, ref: string, name: string, o: { children?: boolean; childrenOnly?: boolean; metadata?: boolean }): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('snapshot-delete', 'short', async () => {
    const tree = new MomentTree(await loadSnapshots(host.ctx, dom.name));
    const s = tree.get(name);
    if (s === undefined) throw notFound(name);
    const victims = [...(o.childrenOnly === true || o.children === true ? tree.descendants(name) : []), ...(o.childrenOnly === true ? [] : [s])];
    const def = dom.persistent ?? dom.def;
    const current = await currentSnapshot(host.ctx, dom.name);
    for (const v of victims.reverse()) {
      if (o.metadata !== true && dom.active) {
        await deleteLive(host, dom, v);
      } else if (o.metadata !== true) {
        for (const d of v.disks ?? []) {
          if (d.snapshot !== 'internal') continue;
          const disk = def.devices.disks.find((x) => x.target === d.name);
          if (disk?.source !== undefined) await internalSnapshot(disk.source, 'delete', v.name);
        }
      }
      // Children of a deleted snapshot move up to its parent, as libvirt's do.
      for (const c of tree.children(v.name)) {
        if (victims.includes(c)) continue;
        const moved: Snapshot = { ...c };
        if (v.parent !== undefined) moved.parent = v.parent;
        else delete moved.parent;
        await saveSnapshot(host.ctx, dom.name, moved);
      }
      await dropSnapshot(host.ctx, dom.name, v.name);
    }
    // A deleted current snapshot hands "current" to its nearest ancestor that remains (libvirt's rule).
    const cur = current === undefined ? undefined : tree.get(current);
    if (cur !== undefined && victims.includes(cur)) {
      const heir = tree.ancestors(cur.name).find((a) => !victims.includes(a));
      await setCurrentSnapshot(host.ctx, dom.name, heir?.name);
    }
  });
}

/** snapshot-revert of a shut-off guest to an internal shut-off snapshot: each disk goes back (qemu-img snapshot -a). */
export async function revertSnapshot(host: DomainHost, ref: string, name: string): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run('snapshot-revert', 'short', async () => {
    const tree = new MomentTree(await loadSnapshots(host.ctx, dom.name));
    const s = tree.get(name);
    if (s === undefined) throw notFound(name);
    if (location(s) === 'external') throw VireoError.of('NO_SUPPORT', 'reverting to an external snapshot is not supported yet');
    if (dom.active) {
      await loadLive(host, dom, s);
      await setCurrentSnapshot(host.ctx, dom.name, name);
      return;
    }
    if (s.state === 'running' || s.state === 'paused') {
      throw VireoError.of('NO_SUPPORT', `reverting a shut-off domain to snapshot ${name}, taken while it was ${s.state}, is not supported yet`, { hint: 'start the guest first, then revert' });
    }
    const def = dom.persistent ?? dom.def;
    for (const d of s.disks ?? []) {
      if (d.snapshot !== 'internal') continue;
      const disk = def.devices.disks.find((x) => x.target === d.name);
      if (disk?.source === undefined) throw VireoError.of('OPERATION_FAILED', `disk '${d.name}' of snapshot ${name} is no longer in the domain`);
      await internalSnapshot(disk.source, 'apply', name);
    }
    await setCurrentSnapshot(host.ctx, dom.name, name);
  });
}

/** How many snapshots a domain has (undefine refuses while there are any). */
export async function snapshotCount(host: DomainHost, dom: Domain): Promise<number> {
  return (await loadSnapshots(host.ctx, dom.name)).length;
}
