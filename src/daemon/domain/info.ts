/**
 * What the table commands ask of a domain definition (its disks, interfaces and displays), and
 * the small edits desc and metadata make to one. Pure functions of DomainDef; daemon.ts decides
 * which definition (live or stored) they act on.
 */
import { VireoError } from '../../api/errors.js';
import type { DomainDevices, DomainJob } from '../../api/types.js';
import type { DomainDef, XmlTree } from '../../conf/domain-model.js';
import { parseXml, toXmlTree, namespaceDecls } from '../../conf/xml.js';
import type { Domain } from './domain.js';

/** Disks, interfaces and graphics of a definition; passwords only with securityInfo. */
export function devicesOf(def: DomainDef, opts: { securityInfo?: boolean } = {}): DomainDevices {
  const d = def.devices;
  return {
    disks: d.disks.map((x) => ({
      // virsh shows a volume disk by its volume's name and an iSCSI disk by 'IQN/LUN'.
      type: x.sourceType, device: x.device, target: x.target, bus: x.bus, source: x.volume?.volume ?? x.network?.name ?? x.source ?? null,
      ...(x.volume === undefined ? {} : { pool: x.volume.pool }), readonly: x.readonly,
    })),
    interfaces: d.interfaces.map((x) => ({
      name: x.type === 'user' ? null : (x.targetDev ?? null), type: x.type, source: x.source ?? null, model: x.model, mac: x.mac,
    })),
    graphics: d.graphics.map((g) => ({
      type: g.type,
      listen: g.listen,
      // An autoport display has a port only once QEMU has picked one (the live definition).
      port: g.port >= 0 ? g.port : null,
      ...(g.tlsPort !== undefined && g.tlsPort >= 0 ? { tlsPort: g.tlsPort } : {}),
      ...(opts.securityInfo === true && g.passwd !== undefined ? { passwd: g.passwd } : {}),
    })),
  };
}

/** domjobinfo/domcontrol: the job a domain is running, if any. */
export function jobOf(dom: Domain): DomainJob {
  const j = dom.jobs.current;
  const waiting = dom.jobs.waiting;
  return j === undefined ? { job: null, waiting } : { job: { name: j.name, kind: j.kind, elapsedMs: Date.now() - j.startedAt, progress: j.progress ?? null }, waiting };
}

/** The title or description of a definition, null when it has none. */
export function descriptionOf(def: DomainDef, title: boolean): string | null {
  const v = title ? def.title : def.description;
  return v === undefined || v === '' ? null : v;
}

/** A copy of def with a new title or description; empty text removes it. */
export function withDescription(def: DomainDef, title: boolean, text: string): DomainDef {
  if (title && /[\r\n]/.test(text)) throw VireoError.of('INVALID_ARG', "title can't contain newlines");
  const next = structuredClone(def);
  if (title) {
    if (text === '') delete next.title;
    else next.title = text;
  } else if (text === '') {
    delete next.description;
  } else {
    next.description = text;
  }
  return next;
}

/** The namespace URI a metadata element is in (its own declarations only: each element carries them). */
function namespaceOf(el: XmlTree): string | undefined {
  const colon = el.name.indexOf(':');
  const wanted = colon < 0 ? 'xmlns' : `xmlns:${el.name.slice(0, colon)}`;
  return el.attrs.find(([k]) => k === wanted)?.[1];
}

/** Rename an element tree's prefix (every element that used it), dropping its declaration. */
function rePrefix(el: XmlTree, from: string | undefined, to: string | undefined): XmlTree {
  const name = (n: string): string => {
    const colon = n.indexOf(':');
    const p = colon < 0 ? undefined : n.slice(0, colon);
    if (p !== from) return n;
    const local = colon < 0 ? n : n.slice(colon + 1);
    return to === undefined ? local : `${to}:${local}`;
  };
  const decl = from === undefined ? 'xmlns' : `xmlns:${from}`;
  return {
    name: name(el.name),
    attrs: el.attrs.filter(([k]) => k !== decl),
    children: el.children.map((c) => (typeof c === 'string' ? c : rePrefix(c, from, to))),
  };
}

function quoteAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function escapeText(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Print a tree as libxml2 does for `virsh metadata`: double quotes, 2-space indent, no namespace prefix. */
function printTree(el: XmlTree, depth = 0): string {
  const pad = '  '.repeat(depth);
  const open = `<${el.name}${el.attrs.map(([k, v]) => ` ${k}="${quoteAttr(v)}"`).join('')}`;
  if (el.children.length === 0) return `${pad}${open}/>`;
  if (el.children.every((c) => typeof c === 'string')) return `${pad}${open}>${escapeText(el.children.join(''))}</${el.name}>`;
  if (el.children.some((c) => typeof c === 'string')) {
    const inline = (n: XmlTree | string): string => (typeof n === 'string' ? escapeText(n) : printTree(n).trim());
    return `${pad}${open}>${el.children.map(inline).join('')}</${el.name}>`;
  }
  return [`${pad}${open}>`, ...el.children.map((c) => printTree(c as XmlTree, depth + 1)), `${pad}</${el.name}>`].join('\n');
}

const NO_METADATA = 'metadata not found: Requested metadata element is not present';

/** `metadata DOMAIN URI`: the element in that namespace, printed without its prefix. */
export function metadataOf(def: DomainDef, uri: string): string {
  const el = (def.metadata ?? []).find((m) => namespaceOf(m) === uri);
  if (el === undefined) throw new VireoError('NOT_FOUND', NO_METADATA);
  const colon = el.name.indexOf(':');
  return printTree(rePrefix(el, colon < 0 ? undefined : el.name.slice(0, colon), undefined)) + '\n';
}

/**
 * A copy of def with the metadata element of namespace `uri` replaced by `xml` (put in that
 * namespace with prefix `key`), or removed when xml is null.
 */
export function withMetadata(def: DomainDef, uri: string, key: string | undefined, xml: string | null): DomainDef {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) throw VireoError.of('INVALID_ARG', `metadata namespace URI '${uri}' is not an absolute URI`);
  const kept = (def.metadata ?? []).filter((m) => namespaceOf(m) !== uri);
  const next = structuredClone(def);
  if (xml === null) {
    if (kept.length === (def.metadata ?? []).length) throw new VireoError('NOT_FOUND', NO_METADATA);
    if (kept.length === 0) delete next.metadata;
    else next.metadata = kept;
    return next;
  }
  if (key === undefined || key === '') throw new VireoError('INVALID_ARG', 'namespace key is required when modifying metadata');
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw VireoError.of('INVALID_ARG', `'${key}' is not a valid namespace prefix`);
  let parsed;
  try {
    parsed = parseXml(xml, '(metadata_xml)');
  } catch (e) {
    throw new VireoError('XML_SYNTAX', `XML error: the metadata is not well-formed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const tree = toXmlTree(parsed, namespaceDecls(parsed));
  const colon = tree.name.indexOf(':');
  const element = rePrefix(tree, colon < 0 ? undefined : tree.name.slice(0, colon), key);
  element.attrs = [[`xmlns:${key}`, uri], ...element.attrs];
  next.metadata = [...kept, element];
  return next;
}
