/**
 * SnapshotDef -> domainsnapshot XML laid out as libvirt 9.0's snapshot-dumpxml prints it (element
 * order name, description, state, parent, creationTime, memory, disks, domain), valid against
 * domainsnapshot.rng.
 */
import { el, serializeXml, type XmlOut } from './xml.js';
import type { SnapshotDef, SnapshotDisk } from './snapshot-model.js';

/** Print a snapshot definition (final newline included). */
export function formatSnapshotXml(def: SnapshotDef): string {
  const root = el('domainsnapshot', {}, [
    def.name !== undefined && el('name', {}, def.name),
    def.description !== undefined && el('description', {}, def.description),
    def.state !== undefined && el('state', {}, def.state),
    def.parent !== undefined && el('parent', {}, [el('name', {}, def.parent)]),
    def.creationTime !== undefined && el('creationTime', {}, String(def.creationTime)),
    def.memory !== undefined && el('memory', { snapshot: def.memory.snapshot, file: def.memory.file }),
    def.disks !== undefined && el('disks', {}, def.disks.map(formatDisk)),
  ]);
  const out = serializeXml(root);
  if (def.domainXml === undefined) return out;
  // The domain is its own formatted document: indent it one level and put it before the close tag.
  const inner = def.domainXml.replace(/\n$/, '').split('\n').map((l) => `  ${l}`).join('\n');
  const close = '</domainsnapshot>\n';
  const body = out.endsWith('/>\n') ? out.replace(/\/>\n$/, '>\n') : out.slice(0, -close.length);
  return `${body}${inner}\n${close}`;
}

function formatDisk(d: SnapshotDisk): XmlOut {
  const external = d.driverType !== undefined || d.sourceFile !== undefined;
  return el('disk', { name: d.name, snapshot: d.snapshot, type: external ? 'file' : undefined }, [
    d.driverType !== undefined && el('driver', { type: d.driverType }),
    d.sourceFile !== undefined && el('source', { file: d.sourceFile }),
  ]);
}
