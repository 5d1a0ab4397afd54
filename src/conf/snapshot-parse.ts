/**
 * libvirt domainsnapshot XML -> SnapshotDef, strict: every element and attribute is modelled or
 * refused by name and line. The <domain> inside is kept as XML text; the daemon parses it with
 * the domain parser when it needs the definition.
 */
import { VireoError } from '../api/errors.js';
import { fromXmlTree, namespaceDecls, parseXml, serializeXml, toXmlTree } from './xml.js';
import { XNode } from './xml-reader.js';
import { SNAPSHOT_STATES, type SnapshotDef, type SnapshotDisk, type SnapshotLocation } from './snapshot-model.js';

const LOCATIONS: readonly SnapshotLocation[] = ['no', 'internal', 'external', 'manual'];
const MEMORY_LOCATIONS = ['no', 'internal', 'external'] as const;

/** Elements of libvirt's snapshot schema that vireo does not model, with why. */
const NOT_YET: Record<string, string> = {
  inactiveDomain: 'snapshots with a separate <inactiveDomain> are not supported yet',
  cookie: 'migration cookies in snapshots (<cookie>) are not supported',
  active: '<active> is libvirt-internal state, not part of a snapshot definition',
};

/** Parse and check snapshot XML (snapshot-create, snapshot-edit, --redefine). */
export function parseSnapshotXml(xml: string, opts: { sourceName?: string } = {}): SnapshotDef {
  const rootEl = parseXml(xml, opts.sourceName ?? '(domain_snapshot)');
  if (rootEl.name !== 'domainsnapshot') {
    throw VireoError.of(
      'XML_INVALID',
      `unexpected root element <${rootEl.name}> at line ${rootEl.line}; a snapshot definition starts with <domainsnapshot>`,
    );
  }
  const root = XNode.root(rootEl);
  for (const child of root.elementChildren()) {
    const reason = NOT_YET[child.el.name];
    if (reason !== undefined) throw VireoError.of('XML_UNSUPPORTED', `unsupported element ${child.where()}: ${reason}`);
  }
  root.check({ one: ['name', 'description', 'state', 'parent', 'creationTime', 'memory', 'disks', 'domain'] });
  const def: SnapshotDef = {};
  const name = root.child('name');
  if (name !== undefined) def.name = snapshotName(name.check({ text: true }));
  const desc = root.child('description');
  if (desc !== undefined) def.description = desc.check({ text: true }).rawText();
  const state = root.child('state');
  if (state !== undefined) def.state = state.check({ text: true }).enumText(SNAPSHOT_STATES);
  const parent = root.child('parent');
  if (parent !== undefined) {
    parent.check({ one: ['name'] });
    const pn = parent.child('name');
    if (pn === undefined) throw parent.invalid('missing <name> in <parent>');
    def.parent = snapshotName(pn.check({ text: true }));
  }
  const ct = root.child('creationTime');
  if (ct !== undefined) def.creationTime = ct.check({ text: true }).intText(0, Number.MAX_SAFE_INTEGER);
  const mem = root.child('memory');
  if (mem !== undefined) {
    mem.check({ attrs: ['snapshot', 'file'] });
    const file = mem.attr('file');
    const snapshot = mem.enumAttr('snapshot', MEMORY_LOCATIONS, file !== undefined ? 'external' : 'no');
    if (file !== undefined && snapshot !== 'external') {
      throw mem.invalid(`memory state cannot be saved with snapshot type '${snapshot}'`);
    }
    def.memory = file !== undefined ? { snapshot, file: absolute(mem, file) } : { snapshot };
  }
  const disks = root.child('disks');
  if (disks !== undefined) {
    disks.check({ many: ['disk'] });
    def.disks = disks.children('disk').map(parseDisk);
    const seen = new Set<string>();
    for (const d of def.disks) {
      if (seen.has(d.name)) throw disks.invalid(`disk '${d.name}' specified twice`);
      seen.add(d.name);
    }
  }
  const dom = root.child('domain');
  if (dom !== undefined) def.domainXml = serializeXml(fromXmlTree(toXmlTree(dom.el, namespaceDecls(rootEl))));
  return def;
}

function parseDisk(n: XNode): SnapshotDisk {
  n.check({ attrs: ['name', 'snapshot', 'type'], one: ['driver', 'source'] });
  const disk: SnapshotDisk = { name: n.requireAttr('name') };
  if (disk.name === '') throw n.invalid("empty disk name");
  const type = n.attr('type');
  if (type !== undefined && type !== 'file') throw n.unsupported(`external snapshots of type '${type}' are not supported; only 'file'`);
  const driver = n.child('driver');
  const source = n.child('source');
  let snapshot = n.enumAttr('snapshot', LOCATIONS);
  // libvirt: a <driver> or <source> implies an external snapshot of that disk.
  if (snapshot === undefined && (driver !== undefined || source !== undefined)) snapshot = 'external';
  if (snapshot !== undefined) disk.snapshot = snapshot;
  if ((driver !== undefined || source !== undefined) && snapshot !== 'external') {
    throw n.invalid(`only external snapshots of disk '${disk.name}' may carry <driver> or <source>`);
  }
  if (driver !== undefined) {
    driver.check({ attrs: ['type'] });
    const t = driver.attr('type');
    if (t !== undefined) {
      if (!/^[a-z0-9]+$/.test(t)) throw driver.invalidAttr('type', t, 'expected a format name such as qcow2');
      disk.driverType = t;
    }
  }
  if (source !== undefined) {
    source.check({ attrs: ['file'] });
    const f = source.attr('file');
    if (f !== undefined) disk.sourceFile = absolute(source, f);
  }
  return disk;
}

function absolute(n: XNode, path: string): string {
  if (!path.startsWith('/')) throw n.invalid(`path '${path}' must be absolute`);
  return path;
}

/** Snapshot names become file names in the metadata directory and appear in tables: no '/', no newline. */
export function snapshotName(n: XNode): string {
  const name = n.requireText();
  const problem = snapshotNameProblem(name);
  // libvirt's words exactly, without the element's location: the name is often from a command line.
  if (problem !== undefined) throw VireoError.of('XML_INVALID', problem);
  return name;
}

/** Why `name` cannot name a snapshot, or undefined. */
export function snapshotNameProblem(name: string): string | undefined {
  if (name === '') return 'snapshot name must not be empty';
  if (name.includes('/')) return `invalid snapshot name '${name}': name can't contain '/'`;
  if (/[\n\r\t]/.test(name)) return `invalid snapshot name '${name}': it cannot contain control characters`;
  if (name === '.' || name === '..') return `invalid snapshot name '${name}'`;
  return undefined;
}
