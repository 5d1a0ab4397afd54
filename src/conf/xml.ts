/**
 * A tiny XML DOM on top of saxes, and a writer that prints XML the way libvirt does.
 *
 * The reader keeps elements and text (CDATA becomes text; comments, processing
 * instructions and the XML declaration are dropped) and records where each element
 * starts, so later validation can name the line a user has to fix.
 */

import { SaxesParser } from 'saxes';
import { VireoError } from '../api/errors.js';

/** A run of character data inside an element. */
export interface XmlText {
  kind: 'text';
  text: string;
}

/** An element with its attributes (in a prototype-free record) and children in document order. */
export interface XmlElement {
  kind: 'element';
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** 1-based line of the element's '<'. */
  line: number;
  /** 1-based column (UTF-16 code units) of the element's '<'. */
  column: number;
}

export type XmlNode = XmlElement | XmlText;

/**
 * The largest XML document vireo reads: 4 MiB of UTF-8, libvirt's limit for a string on its RPC
 * protocol (so libvirt refuses a 6 MiB domain XML too). It bounds the memory and the time one
 * document costs the daemon's single thread.
 */
export const MAX_XML_BYTES = 4 * 1024 * 1024;

/**
 * The deepest element nesting vireo reads: libxml2's default (256), which libvirt inherits. The
 * code that walks parsed trees recurses, so without this a deep document ends in a stack overflow.
 */
export const MAX_XML_DEPTH = 256;

/**
 * The most elements vireo reads in one document. libvirt has no such limit, but it parses in C:
 * here a 4 MiB document of a million empty elements costs ~8 s of the daemon's one thread and a
 * gigabyte of memory, stalling every other client. A very large real domain (hundreds of disks,
 * thousands of vCPU pins) has a few thousand; 50,000 keeps the worst case near half a second.
 */
export const MAX_XML_ELEMENTS = 50_000;

/** The UTF-8 length of `text`, counted without encoding it (conf/ stays free of Buffer). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** XML_TOO_LARGE unless `text` is within MAX_XML_BYTES. */
export function checkXmlSize(text: string, sourceName = '(domain_definition)'): void {
  // Every UTF-16 unit is at least one byte and at most three: count only when it could matter.
  if (text.length * 3 <= MAX_XML_BYTES) return;
  const bytes = utf8Length(text);
  if (bytes <= MAX_XML_BYTES) return;
  const mib = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  throw VireoError.of('XML_TOO_LARGE', `${sourceName}: XML document too large: ${mib(bytes)}; vireo accepts at most ${mib(MAX_XML_BYTES)}`, {
    hint: 'keep bulky data out of the domain XML (e.g. in a file the XML points to)',
  });
}

/** Parse a well-formed XML document into its root element; errors become XML_SYNTAX naming line and column. */
export function parseXml(text: string, sourceName = '(domain_definition)'): XmlElement {
  checkXmlSize(text, sourceName);
  const lineStarts = computeLineStarts(text);
  // xmlns: false is saxes's default; said here, it also types the attributes as plain strings.
  const parser = new SaxesParser({ position: true, xmlns: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;

  parser.on('error', (err: Error) => {
    // saxes prefixes its message with "line:column: "; we state the place in words instead.
    const reason = err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
    throw VireoError.of(
      'XML_SYNTAX',
      `${sourceName}:${parser.line}: XML syntax error at line ${parser.line}, column ${parser.column + 1}: ${reason}`,
      { cause: err },
    );
  });
  parser.on('opentag', (tag) => {
    // parser.position is a UTF-16 index just past the tag; the tag starts at the last '<name' before it.
    const start = text.lastIndexOf(`<${tag.name}`, parser.position);
    const [line, column] = locate(lineStarts, start < 0 ? parser.position : start);
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [key, value] of Object.entries(tag.attributes)) attrs[key] = value;
    const el: XmlElement = { kind: 'element', name: tag.name, attrs, children: [], line, column };
    const parent = stack[stack.length - 1];
    if (parent === undefined) root = el;
    else parent.children.push(el);
    if (stack.length >= MAX_XML_DEPTH) {
      throw VireoError.of(
        'XML_TOO_LARGE',
        `${sourceName}:${line}: XML nested too deeply: element <${tag.name}> at line ${line} is more than ${MAX_XML_DEPTH} levels deep; vireo reads at most ${MAX_XML_DEPTH}`,
      );
    }
    if (++elements > MAX_XML_ELEMENTS) {
      throw VireoError.of(
        'XML_TOO_LARGE',
        `${sourceName}:${line}: XML document too large: more than ${MAX_XML_ELEMENTS} elements (the first one over is <${tag.name}> at line ${line}); vireo reads at most ${MAX_XML_ELEMENTS}`,
      );
    }
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (data: string): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return; // whitespace around the root element
    const last = parent.children[parent.children.length - 1];
    if (last !== undefined && last.kind === 'text') last.text += data;
    else parent.children.push({ kind: 'text', text: data });
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  parser.write(text).close();
  if (root === undefined) {
    throw VireoError.of('XML_SYNTAX', `${sourceName}:1: XML syntax error: the document has no root element`);
  }
  return root;
}

/** The concatenated text directly inside an element (not inside its child elements). */
export function textOf(el: XmlElement): string {
  let out = '';
  for (const child of el.children) if (child.kind === 'text') out += child.text;
  return out;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function locate(lineStarts: number[], index: number): [number, number] {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= index) lo = mid;
    else hi = mid - 1;
  }
  return [lo + 1, index - (lineStarts[lo] ?? 0) + 1];
}

// ---------------------------------------------------------------------------------------------
// Writer

/** An element to print: attributes in insertion order, then either text or child elements. */
export interface XmlOut {
  name: string;
  attrs: Array<[string, string]>;
  text?: string;
  children: XmlOut[];
  /** Mixed content (text and elements), printed on one line as written instead of `text`/`children`. */
  mixed?: Array<XmlOut | string>;
}

/** An element kept verbatim: prefixed name, attributes in order, mixed content. */
export interface XmlTreeNode {
  name: string;
  attrs: Array<[string, string]>;
  children: Array<XmlTreeNode | string>;
}

/**
 * Copy a parsed element into a self-contained tree: namespace declarations it relies on from its
 * ancestors (`inScope`, prefix -> URI) are added to it, so it prints correctly on its own.
 * Whitespace-only text between child elements is dropped; other text is kept as written.
 */
export function toXmlTree(el: XmlElement, inScope: ReadonlyMap<string, string> = new Map()): XmlTreeNode {
  const attrs: Array<[string, string]> = Object.entries(el.attrs);
  const declared = new Set(attrs.filter(([k]) => k === 'xmlns' || k.startsWith('xmlns:')).map(([k]) => k));
  const used = new Set<string>();
  const prefixOf = (name: string): string | undefined => (name.includes(':') ? name.slice(0, name.indexOf(':')) : undefined);
  const collect = (e: XmlElement): void => {
    const p = prefixOf(e.name);
    if (p !== undefined) used.add(p);
    for (const k of Object.keys(e.attrs)) {
      const ap = prefixOf(k);
      if (ap !== undefined && ap !== 'xmlns' && ap !== 'xml') used.add(ap);
    }
    for (const c of e.children) if (c.kind === 'element') collect(c);
  };
  collect(el);
  const extra: Array<[string, string]> = [];
  for (const p of used) {
    const uri = inScope.get(p);
    if (uri !== undefined && !declared.has(`xmlns:${p}`)) extra.push([`xmlns:${p}`, uri]);
  }
  if (prefixOf(el.name) === undefined && !declared.has('xmlns') && inScope.has('')) extra.push(['xmlns', inScope.get('') as string]);
  const hasElements = el.children.some((c) => c.kind === 'element');
  const children: Array<XmlTreeNode | string> = [];
  for (const c of el.children) {
    if (c.kind === 'element') children.push(toXmlTree(c));
    else if (!hasElements || c.text.trim() !== '') children.push(c.text);
  }
  return { name: el.name, attrs: [...extra, ...attrs], children };
}

/** Namespace declarations (prefix -> URI; '' for the default namespace) on an element. */
export function namespaceDecls(el: XmlElement): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(el.attrs)) {
    if (k === 'xmlns') out.set('', v);
    else if (k.startsWith('xmlns:')) out.set(k.slice(6), v);
  }
  return out;
}

/** A verbatim tree as an element to print. */
export function fromXmlTree(tree: XmlTreeNode): XmlOut {
  const out: XmlOut = { name: tree.name, attrs: [...tree.attrs], children: [] };
  const elements = tree.children.filter((c): c is XmlTreeNode => typeof c !== 'string');
  const texts = tree.children.filter((c): c is string => typeof c === 'string');
  if (elements.length === 0) {
    const text = texts.join('');
    if (text !== '') out.text = text;
  } else if (texts.length === 0) {
    out.children = elements.map(fromXmlTree);
  } else {
    out.mixed = tree.children.map((c) => (typeof c === 'string' ? c : fromXmlTree(c)));
  }
  return out;
}

/** Attribute values for el(); undefined drops the attribute. */
export type XmlAttrInput = Record<string, string | number | undefined>;

/** Build an element; `content` is its text, or its children (undefined/false entries are skipped). */
export function el(
  name: string,
  attrs: XmlAttrInput = {},
  content?: string | Array<XmlOut | undefined | false>,
): XmlOut {
  const out: XmlOut = { name, attrs: [], children: [] };
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) out.attrs.push([key, String(value)]);
  }
  if (typeof content === 'string') out.text = content;
  else if (content !== undefined) {
    for (const child of content) if (child !== undefined && child !== false) out.children.push(child);
  }
  return out;
}

// Characters XML 1.0 cannot carry at all; we drop them rather than emit a document no parser accepts.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escape a string for XML text or (with `attribute`) a single- or double-quoted attribute value.
 * All of & < > ' " are escaped, as libvirt does; in attributes tab, CR and LF become character
 * references so a parser's attribute-value normalisation does not change them.
 */
export function xmlEscape(value: string, options: { attribute?: boolean } = {}): string {
  let out = '';
  for (const ch of value.replace(INVALID_XML_CHARS, '')) {
    switch (ch) {
      case '&': out += '&amp;'; break;
      case '<': out += '&lt;'; break;
      case '>': out += '&gt;'; break;
      case "'": out += '&apos;'; break;
      case '"': out += '&quot;'; break;
      case '\r': out += '&#13;'; break;
      case '\n': out += options.attribute === true ? '&#10;' : ch; break;
      case '\t': out += options.attribute === true ? '&#9;' : ch; break;
      default: out += ch;
    }
  }
  return out;
}

/** Print an element tree libvirt style: 2-space indent, single-quoted attributes, `<x/>` when empty, final newline. */
export function serializeXml(root: XmlOut): string {
  const lines: string[] = [];
  write(root, 0, lines);
  return lines.join('\n') + '\n';
}

function openTag(node: XmlOut): string {
  let open = `<${node.name}`;
  for (const [key, value] of node.attrs) open += ` ${key}='${xmlEscape(value, { attribute: true })}'`;
  return open;
}

/** One element on one line, whitespace exactly as in the model (for mixed content). */
function inline(node: XmlOut): string {
  const open = openTag(node);
  const parts = node.mixed ?? (node.children.length > 0 ? node.children : node.text !== undefined && node.text !== '' ? [node.text] : []);
  if (parts.length === 0) return `${open}/>`;
  return `${open}>${parts.map((p) => (typeof p === 'string' ? xmlEscape(p) : inline(p))).join('')}</${node.name}>`;
}

function write(node: XmlOut, depth: number, lines: string[]): void {
  const pad = '  '.repeat(depth);
  if (node.mixed !== undefined) {
    lines.push(pad + inline(node));
    return;
  }
  const open = pad + openTag(node);
  if (node.children.length === 0) {
    if (node.text === undefined || node.text === '') lines.push(`${open}/>`);
    else lines.push(`${open}>${xmlEscape(node.text)}</${node.name}>`);
    return;
  }
  lines.push(`${open}>`);
  for (const child of node.children) write(child, depth + 1, lines);
  lines.push(`${pad}</${node.name}>`);
}
