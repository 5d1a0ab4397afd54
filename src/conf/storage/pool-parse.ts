/**
 * libvirt storage pool XML -> PoolDef, strict: every element and attribute is modelled or
 * refused by name and line. Runtime figures (capacity, allocation, available) are accepted and
 * dropped, as libvirt does. What libvirt fills at define is filled here: the UUID, the default
 * source format, a logical pool's volume group name and target path.
 */
import { VireoError } from '../../api/errors.js';
import { generateUuid, parseUuid } from '../names.js';
import { parseXml } from '../xml.js';
import { XNode } from '../xml-reader.js';
import { checkName, cleanPath, parsePermissions, sizeElement } from './parse-common.js';
import {
  FS_FORMATS, LOGICAL_FORMATS, NETFS_FORMATS, OTHER_POOL_TYPES, POOL_TYPES, type PoolDef, type PoolSource, type PoolType,
} from './pool-model.js';

/** What each type's <source> may hold. */
const SOURCE_PARTS: Record<PoolType, readonly string[]> = {
  dir: [],
  fs: ['device', 'format'],
  netfs: ['host', 'dir', 'format'],
  logical: ['device', 'name', 'format'],
  'iscsi-direct': ['host', 'device', 'initiator'],
};
const FORMATS: Partial<Record<PoolType, readonly string[]>> = { fs: FS_FORMATS, netfs: NETFS_FORMATS, logical: LOGICAL_FORMATS };
const DEFAULT_FORMAT: Partial<Record<PoolType, string>> = { fs: 'auto', netfs: 'auto', logical: 'lvm2' };

/** Parse and check libvirt pool XML. */
export function parsePoolXml(xml: string, opts: { sourceName?: string } = {}): PoolDef {
  const rootEl = parseXml(xml, opts.sourceName ?? '(storage_pool_definition)');
  if (rootEl.name !== 'pool') {
    throw VireoError.of('XML_INVALID', `unexpected root element <${rootEl.name}> at line ${rootEl.line}; a storage pool definition starts with <pool>`);
  }
  const root = XNode.root(rootEl);
  root.check({ attrs: ['type'], one: ['name', 'uuid', 'capacity', 'allocation', 'available', 'source', 'target'] });
  const typeText = root.attr('type');
  if (typeText === undefined) throw root.invalid('storage pool missing type attribute');
  const type = POOL_TYPES.find((t) => t === typeText);
  if (type === undefined) {
    const known = (OTHER_POOL_TYPES as readonly string[]).includes(typeText);
    throw VireoError.of('XML_UNSUPPORTED', `${known ? 'storage pool type' : 'unknown storage pool type'} '${typeText}' is not supported (<pool> at line ${root.line}); supported: ${POOL_TYPES.join(', ')}`);
  }
  for (const k of ['capacity', 'allocation', 'available']) {
    const n = root.child(k);
    if (n !== undefined) sizeElement(n);
  }
  const nameNode = root.child('name');
  if (nameNode === undefined) throw root.invalid('missing pool source name element: a pool needs <name>');
  const name = checkName(nameNode, 'pool');
  const uuidNode = root.child('uuid');
  let uuid = generateUuid();
  if (uuidNode !== undefined) {
    const text = uuidNode.check({ text: true }).text();
    const parsed = parseUuid(text);
    if (parsed === undefined) throw uuidNode.invalid(`malformed uuid element '${text}'`);
    uuid = parsed;
  }
  const sourceNode = root.child('source');
  const source = parseSource(sourceNode, type);
  const def: PoolDef = { type, name, uuid, source };
  const where = sourceNode ?? root;
  const need = (ok: boolean, message: string): void => {
    if (!ok) throw where.invalid(message);
  };
  switch (type) {
    case 'fs': need(source.devices.length === 1, 'an fs pool needs exactly one <device path> in <source>'); break;
    case 'netfs':
      need(source.hosts.length === 1, 'a netfs pool needs one <host name> in <source>');
      need(source.dir !== undefined, 'missing storage pool source path: a netfs pool needs <dir path> in <source>');
      break;
    case 'iscsi-direct':
      need(source.hosts.length === 1, 'an iscsi-direct pool needs one <host name> in <source>');
      need(source.devices.length === 1, 'an iscsi-direct pool needs the target IQN as <device path> in <source>');
      need(source.initiatorIqn !== undefined, 'missing initiator IQN: an iscsi-direct pool needs <initiator><iqn name/></initiator> in <source>');
      break;
    case 'logical': source.name ??= name; break;
    case 'dir': break;
  }
  const targetNode = root.child('target');
  if (type === 'iscsi-direct') {
    if (targetNode !== undefined) throw targetNode.unsupported('an iscsi-direct pool has no target: QEMU reaches its volumes itself');
    return def;
  }
  if (targetNode === undefined) throw root.invalid(`missing storage pool target path: a ${type} pool needs <target><path>`);
  targetNode.check({ one: ['path', 'permissions'] });
  const pathNode = targetNode.child('path');
  if (pathNode === undefined) throw targetNode.invalid('missing storage pool target path');
  // libvirt puts a volume group's devices under /dev/VG whatever the XML says.
  const path = type === 'logical' ? `/dev/${source.name!}` : cleanPath(pathNode, pathNode.check({ text: true }).requireText(), 'target path');
  def.target = { path };
  const perms = targetNode.child('permissions');
  if (perms !== undefined) def.target.permissions = parsePermissions(perms);
  return def;
}

/** A <source> alone, as find-storage-pool-sources takes it for a pool type. */
export function parsePoolSourceXml(xml: string, type: PoolType): PoolSource {
  const el = parseXml(xml, '(storage_source_specification)');
  if (el.name !== 'source') throw VireoError.of('XML_INVALID', `unexpected root element <${el.name}> at line ${el.line}; a pool source specification is a <source>`);
  return parseSource(XNode.root(el), type);
}

function parseSource(node: XNode | undefined, type: PoolType): PoolSource {
  const source: PoolSource = { hosts: [], devices: [] };
  const fmt = DEFAULT_FORMAT[type];
  if (fmt !== undefined) source.format = fmt;
  if (node === undefined) return source;
  const parts = SOURCE_PARTS[type];
  const known = ['host', 'device', 'dir', 'name', 'format', 'initiator', 'adapter', 'auth', 'vendor', 'product', 'protocol'];
  node.check({ one: ['dir', 'name', 'format', 'initiator', 'adapter', 'auth', 'vendor', 'product', 'protocol'], many: ['host', 'device'] });
  for (const child of node.elementChildren()) {
    if (!parts.includes(child.el.name) && known.includes(child.el.name)) {
      throw child.unsupported(`<${child.el.name}> is not used by a ${type} pool${parts.length > 0 ? `; its <source> takes ${parts.map((p) => `<${p}>`).join(', ')}` : ''}`);
    }
  }
  for (const h of node.children('host')) {
    h.check({ attrs: ['name', 'port'] });
    const host: { name: string; port?: number } = { name: h.requireAttr('name') };
    const port = h.intAttr('port', 1, 65535);
    if (port !== undefined) host.port = port;
    source.hosts.push(host);
  }
  for (const d of node.children('device')) {
    d.check({ attrs: ['path'] });
    source.devices.push({ path: d.requireAttr('path') });
  }
  const dir = node.child('dir');
  if (dir !== undefined) source.dir = cleanPath(dir.check({ attrs: ['path'] }), dir.requireAttr('path'), 'source dir');
  const name = node.child('name');
  if (name !== undefined) {
    const vg = name.check({ text: true }).requireText();
    if (!/^[A-Za-z0-9+_.-]+$/.test(vg) || vg.startsWith('-')) throw name.invalid(`invalid volume group name '${vg}'`);
    source.name = vg;
  }
  const format = node.child('format');
  if (format !== undefined) source.format = format.check({ attrs: ['type'] }).enumAttr('type', FORMATS[type] ?? [], fmt ?? 'auto');
  const initiator = node.child('initiator');
  if (initiator !== undefined) {
    initiator.check({ one: ['iqn'] });
    const iqn = initiator.child('iqn');
    if (iqn === undefined) throw initiator.invalid('missing initiator IQN');
    source.initiatorIqn = iqn.check({ attrs: ['name'] }).requireAttr('name');
  }
  return source;
}
