/**
 * Strict reading of configuration XML: every element and attribute must be declared as
 * supported where it appears, so nothing a user wrote is ever silently dropped. Errors name
 * the element path (e.g. `<devices>/<disk>/<driver>`) and the input line.
 */

import { VireoError } from '../api/errors.js';
import { textOf, type XmlElement } from './xml.js';

/** What may appear on and inside an element. */
export interface Shape {
  /** Supported attributes. */
  attrs?: readonly string[];
  /** Child elements that may appear at most once. */
  one?: readonly string[];
  /** Child elements that may repeat. */
  many?: readonly string[];
  /** Child elements accepted and deliberately ignored (e.g. <address>, <alias>). */
  ignore?: readonly string[];
  /** Whether the element carries text (otherwise only whitespace is allowed between children). */
  text?: boolean;
}

/** An element being read, with its path for messages. */
export class XNode {
  constructor(
    readonly el: XmlElement,
    readonly path: string,
    private readonly isRoot = false,
  ) {}

  /** Wrap a document's root element. */
  static root(el: XmlElement): XNode {
    return new XNode(el, `<${el.name}>`, true);
  }

  get line(): number {
    return this.el.line;
  }

  /** "<devices>/<disk> at line 12" */
  where(): string {
    return `${this.path} at line ${this.el.line}`;
  }

  /** Check attributes, children and text against `shape`; throws XML_UNSUPPORTED/XML_INVALID naming the culprit. */
  check(shape: Shape): this {
    const attrs = shape.attrs ?? [];
    for (const name of Object.keys(this.el.attrs)) {
      if (!attrs.includes(name)) {
        const supported = attrs.length === 0 ? 'none' : attrs.join(', ');
        throw VireoError.of(
          'XML_UNSUPPORTED',
          `unsupported attribute '${name}' on ${this.where()}; supported here: ${supported}`,
        );
      }
    }
    const one = shape.one ?? [];
    const many = shape.many ?? [];
    const ignore = shape.ignore ?? [];
    const seen = new Set<string>();
    for (const child of this.el.children) {
      if (child.kind === 'text') {
        if (shape.text !== true && child.text.trim() !== '') {
          throw VireoError.of(
            'XML_INVALID',
            `unexpected text '${abbreviate(child.text.trim())}' inside ${this.where()}`,
          );
        }
        continue;
      }
      const name = child.name;
      if (one.includes(name)) {
        if (seen.has(name)) {
          throw VireoError.of(
            'XML_INVALID',
            `duplicate element ${this.childPath(name)} at line ${child.line}; it may appear only once`,
          );
        }
        seen.add(name);
      } else if (!many.includes(name) && !ignore.includes(name)) {
        const listed = [...one, ...many];
        const supported = listed.length === 0 ? 'none' : listed.join(', ');
        throw VireoError.of(
          'XML_UNSUPPORTED',
          `unsupported element ${this.childPath(name)} at line ${child.line}; supported here: ${supported}`,
        );
      }
    }
    return this;
  }

  /** The one child named `name`, if present (call check() first to rule out duplicates). */
  child(name: string): XNode | undefined {
    return this.children(name)[0];
  }

  /** All children named `name`, in document order. */
  children(name: string): XNode[] {
    const out: XNode[] = [];
    for (const c of this.el.children) {
      if (c.kind === 'element' && c.name === name) out.push(new XNode(c, this.childPath(name)));
    }
    return out;
  }

  /** An attribute's raw value. */
  attr(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.el.attrs, name) ? this.el.attrs[name] : undefined;
  }

  /** An attribute that must be present. */
  requireAttr(name: string): string {
    const value = this.attr(name);
    if (value === undefined) throw VireoError.of('XML_INVALID', `missing attribute '${name}' on ${this.where()}`);
    return value;
  }

  /** The element's text exactly as written. */
  rawText(): string {
    return textOf(this.el);
  }

  /** The element's text with surrounding whitespace removed. */
  text(): string {
    return this.rawText().trim();
  }

  /** Text that must not be empty. */
  requireText(): string {
    const t = this.text();
    if (t === '') throw VireoError.of('XML_INVALID', `${this.where()} must not be empty`);
    return t;
  }

  /** An attribute restricted to `supported` values (or `fallback` when absent). */
  enumAttr<T extends string>(name: string, supported: readonly T[], fallback: T): T;
  enumAttr<T extends string>(name: string, supported: readonly T[]): T | undefined;
  enumAttr<T extends string>(name: string, supported: readonly T[], fallback?: T): T | undefined {
    const value = this.attr(name);
    if (value === undefined) return fallback;
    return this.oneOf(value, supported, `attribute '${name}' of ${this.where()}`);
  }

  /** The element's text restricted to `supported` values. */
  enumText<T extends string>(supported: readonly T[]): T {
    return this.oneOf(this.text(), supported, this.where());
  }

  /** A yes/no (or on/off with `onOff`) attribute as a boolean. */
  boolAttr(name: string, style: 'yes-no' | 'on-off' = 'yes-no'): boolean | undefined {
    const value = this.attr(name);
    if (value === undefined) return undefined;
    const [t, f] = style === 'yes-no' ? ['yes', 'no'] : ['on', 'off'];
    if (value === t) return true;
    if (value === f) return false;
    throw this.invalidAttr(name, value, `expected '${t}' or '${f}'`);
  }

  /** An on/off attribute as written. */
  onOffAttr(name: string): 'on' | 'off' | undefined {
    return this.enumAttr(name, ['on', 'off'] as const);
  }

  /** An integer attribute written in decimal or 0x-hex (as libvirt writes addresses), within [min, max]. */
  numAttr(name: string, min: number, max: number): number | undefined {
    const value = this.attr(name);
    if (value === undefined) return undefined;
    const t = value.trim();
    const fail = (expected: string): VireoError => this.invalidAttr(name, value, expected);
    let n: number;
    if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
    else if (/^\d+$/.test(t)) n = Number(t);
    else throw fail('expected a decimal or 0x-prefixed hexadecimal integer');
    if (!Number.isSafeInteger(n) || n < min || n > max) throw fail(`expected an integer from ${min} to ${max}`);
    return n;
  }

  /** The element's children, for checks that need document order. */
  elementChildren(): XNode[] {
    const out: XNode[] = [];
    for (const c of this.el.children) if (c.kind === 'element') out.push(new XNode(c, this.childPath(c.name)));
    return out;
  }

  /** A decimal integer attribute within [min, max]. */
  intAttr(name: string, min: number, max: number): number | undefined {
    const value = this.attr(name);
    return value === undefined ? undefined : this.toInt(value, min, max, (expected) => this.invalidAttr(name, value, expected));
  }

  /** Decimal integer text within [min, max]. */
  intText(min: number, max: number): number {
    const text = this.text();
    return this.toInt(text, min, max, (expected) => this.invalidValue(text, 'value', expected));
  }

  /** An XML_INVALID error about this element's `value` (what: 'value', 'MAC address', ...). */
  invalidValue(value: string, what: string, expected: string): VireoError {
    return VireoError.of('XML_INVALID', `invalid ${what} '${abbreviate(value)}' in ${this.where()}: ${expected}`);
  }

  /** An XML_INVALID error about attribute `name` having `value`. */
  invalidAttr(name: string, value: string, expected: string): VireoError {
    return VireoError.of('XML_INVALID', `invalid ${name}='${abbreviate(value)}' on ${this.where()}: ${expected}`);
  }

  /** An XML_INVALID error located at this element. */
  invalid(message: string): VireoError {
    return VireoError.of('XML_INVALID', `${message} (${this.where()})`);
  }

  /** An XML_UNSUPPORTED error located at this element. */
  unsupported(message: string): VireoError {
    return VireoError.of('XML_UNSUPPORTED', `${message} (${this.where()})`);
  }

  private toInt(value: string, min: number, max: number, fail: (expected: string) => VireoError): number {
    const t = value.trim();
    if (!/^[+-]?\d+$/.test(t)) throw fail('expected a decimal integer');
    const n = Number(t);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw fail(`expected an integer from ${min} to ${max}`);
    return n;
  }

  private oneOf<T extends string>(value: string, supported: readonly T[], what: string): T {
    const found = supported.find((s) => s === value);
    if (found !== undefined) return found;
    throw VireoError.of(
      'XML_UNSUPPORTED',
      `unsupported value '${abbreviate(value)}' for ${what}; supported: ${supported.join(', ')}`,
    );
  }

  private childPath(name: string): string {
    // Paths start below the document root: "<devices>/<disk>", not "<domain>/<devices>/<disk>".
    return this.isRoot ? `<${name}>` : `${this.path}/<${name}>`;
  }
}

function abbreviate(s: string): string {
  const oneLine = s.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
