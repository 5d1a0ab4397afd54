/**
 * libvirt storage volume XML -> VolumeDef, strict. What a dump carries as runtime state (key,
 * physical, timestamps, a target path) is accepted: vol-dumpxml output reads back. Encryption,
 * cluster sizes and the like are refused by name.
 */
import { VireoError } from '../../api/errors.js';
import { parseXml } from '../xml.js';
import { XNode } from '../xml-reader.js';
import { checkName, cleanPath, parsePermissions, sizeElement } from './parse-common.js';
import { KNOWN_VOL_FORMATS, type Timestamps, type VolType, type VolumeDef } from './vol-model.js';

const VOL_TYPES: readonly VolType[] = ['file', 'block', 'dir', 'network', 'netdir'];

/** Parse and check libvirt volume XML. */
export function parseVolumeXml(xml: string, opts: { sourceName?: string } = {}): VolumeDef {
  const rootEl = parseXml(xml, opts.sourceName ?? '(storage_volume_definition)');
  if (rootEl.name !== 'volume') {
    throw VireoError.of('XML_INVALID', `unexpected root element <${rootEl.name}> at line ${rootEl.line}; a storage volume definition starts with <volume>`);
  }
  const root = XNode.root(rootEl);
  root.check({ attrs: ['type'], one: ['name', 'key', 'source', 'capacity', 'allocation', 'physical', 'target', 'backingStore'] });
  const nameNode = root.child('name');
  if (nameNode === undefined) throw root.invalid('missing volume name element');
  // libvirt's own refusal of a '/' in a volume name, before the other name checks.
  const written = nameNode.text();
  if (written.includes('/')) throw VireoError.of('OPERATION_INVALID', `volume name '${written}' cannot contain '/'`);
  const def: VolumeDef = { name: checkName(nameNode, 'volume'), target: {} };
  const type = root.enumAttr('type', VOL_TYPES);
  if (type !== undefined) def.type = type;
  const key = root.child('key');
  if (key !== undefined) def.key = key.check({ text: true }).text();
  const source = root.child('source');
  if (source !== undefined) source.check({}); // libvirt fills it for logical volumes (extents); an empty one is fine
  for (const k of ['capacity', 'allocation', 'physical'] as const) {
    const n = root.child(k);
    if (n !== undefined) def[k] = sizeElement(n);
  }
  const target = root.child('target');
  if (target !== undefined) {
    target.check({ one: ['path', 'format', 'permissions', 'timestamps', 'compat', 'features', 'nocow', 'encryption', 'clusterSize'] });
    for (const tag of ['encryption', 'nocow']) {
      const n = target.child(tag);
      if (n !== undefined) throw n.unsupported(`<${tag}> in a volume's <target> is not supported yet`);
    }
    const p = target.child('path');
    if (p !== undefined) def.target.path = cleanPath(p, p.check({ text: true }).requireText(), 'volume path');
    const f = target.child('format');
    if (f !== undefined) def.target.format = f.check({ attrs: ['type'] }).enumAttr('type', KNOWN_VOL_FORMATS, 'raw');
    const perms = target.child('permissions');
    if (perms !== undefined) def.target.permissions = parsePermissions(perms);
    const ts = target.child('timestamps');
    if (ts !== undefined) def.target.timestamps = parseTimestamps(ts);
    const compat = target.child('compat');
    if (compat !== undefined) {
      const c = compat.check({ text: true }).text();
      if (!/^\d+\.\d+$/.test(c)) throw compat.invalid(`invalid compat version '${c}': expected e.g. 0.10 or 1.1`);
      def.target.compat = c;
    }
    const cluster = target.child('clusterSize');
    if (cluster !== undefined) {
      const size = sizeElement(cluster);
      if (size < 512 || size > 2 * 1024 * 1024 || (size & (size - 1)) !== 0) throw cluster.invalid(`invalid cluster size ${size}: a power of two from 512 bytes to 2 MiB`);
      def.target.clusterSize = size;
    }
    const features = target.child('features');
    if (features !== undefined) {
      features.check({ one: ['lazy_refcounts'] });
      def.target.lazyRefcounts = features.child('lazy_refcounts') !== undefined;
    }
  }
  const backing = root.child('backingStore');
  if (backing !== undefined) {
    backing.check({ one: ['path', 'format', 'permissions', 'timestamps'] });
    const p = backing.child('path');
    if (p === undefined) throw backing.invalid('missing path in backing store');
    def.backingStore = { path: p.check({ text: true }).requireText() };
    const f = backing.child('format');
    if (f !== undefined) def.backingStore.format = f.check({ attrs: ['type'] }).enumAttr('type', KNOWN_VOL_FORMATS, 'raw');
    const perms = backing.child('permissions');
    if (perms !== undefined) def.backingStore.permissions = parsePermissions(perms);
    const ts = backing.child('timestamps');
    if (ts !== undefined) def.backingStore.timestamps = parseTimestamps(ts);
  }
  return def;
}

/** `<timestamps>` of a dump (runtime state, kept so that a dump reads back unchanged). */
function parseTimestamps(node: XNode): Timestamps {
  node.check({ one: ['atime', 'mtime', 'ctime', 'btime'] });
  const time = (k: string): bigint => {
    const n = node.child(k);
    if (n === undefined) return 0n;
    const m = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(n.check({ text: true }).text());
    if (m === null) throw n.invalid(`invalid time '${n.text()}': expected seconds[.nanoseconds]`);
    return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  };
  return { atime: time('atime'), mtime: time('mtime'), ctime: time('ctime'), btime: time('btime') };
}
