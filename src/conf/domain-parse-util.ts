/** Small readers shared by the domain XML parsers. */

import { VireoError } from '../api/errors.js';
import type { XNode } from './xml-reader.js';

/** Largest size we accept, in KiB (keeps every value an exact JS integer). */
const MAX_KIB = Number.MAX_SAFE_INTEGER;

export function missing(node: XNode, what: string): never {
  throw VireoError.of('XML_INVALID', `missing ${what} in ${node.where()}`);
}

export function optionalText(node: XNode | undefined): string | undefined {
  return node === undefined ? undefined : node.check({ text: true }).rawText();
}

/** Size units as libvirt reads them (case-insensitive): 1000-based "KB", 1024-based "K"/"KiB". */
function unitScale(node: XNode, unit: string | undefined, attr: string): bigint {
  if (unit === undefined || unit === '') return 1024n;
  const u = unit.toLowerCase();
  if (u === 'b' || u === 'byte' || u === 'bytes') return 1n;
  const power = 'kmgtpe'.indexOf(u[0] ?? '') + 1;
  const rest = u.slice(1);
  let base: bigint | undefined;
  if (rest === '' || rest === 'ib') base = 1024n;
  else if (rest === 'b') base = 1000n;
  if (power === 0 || base === undefined) {
    throw node.invalidAttr(attr, unit, 'expected b, KiB, KB, MiB, MB, GiB, GB, TiB or TB');
  }
  return base ** BigInt(power);
}

/** Convert `value` in `unit` to KiB, rounded up as libvirt does (`attr` names the unit attribute in errors). */
export function toKiB(node: XNode, value: string, unit: string | undefined, attr: string): number {
  const scale = unitScale(node, unit, attr);
  if (!/^\d+$/.test(value)) throw node.invalidValue(value, 'size', 'expected a non-negative integer');
  const kib = (BigInt(value) * scale + 1023n) / 1024n;
  if (kib > BigInt(MAX_KIB)) throw node.invalidValue(value, 'size', 'the size is too large');
  return Number(kib);
}

/** A size element (<memory unit='MiB'>512</memory>) in KiB. */
export function sizeText(node: XNode): number {
  node.check({ attrs: ['unit'], text: true });
  return toKiB(node, node.text(), node.attr('unit'), 'unit');
}

/** A size attribute with its unit in another attribute (e.g. <hugepages><page size unit>) in KiB. */
export function sizeAttr(node: XNode, name: string, unitAttr: string): number | undefined {
  const value = node.attr(name);
  if (value === undefined) return undefined;
  return toKiB(node, value.trim(), node.attr(unitAttr), unitAttr);
}

/** A CPU or NUMA node list such as '0-3,^2,8' (kept as written, checked for shape). */
export function cpuList(node: XNode, value: string, what: string): string {
  if (!/^\s*\^?\d+(-\d+)?(\s*,\s*\^?\d+(-\d+)?)*\s*$/.test(value)) {
    throw node.invalidValue(value, what, "expected a list such as '0-3,^2,8'");
  }
  return value.trim();
}

/** Yes/no attribute with a default. */
export function yesNo(node: XNode, name: string, fallback: boolean): boolean {
  return node.boolAttr(name) ?? fallback;
}

/** Runtime bookkeeping libvirt prints in live XML; accepted and dropped (aliases are derived). */
export const RUNTIME_ONLY = ['alias'] as const;

/** Per-device boot orders must be unique across disks, interfaces and redirected devices. */
export class BootOrders {
  first: XNode | undefined;
  private readonly used = new Map<number, XNode>();

  read(node: XNode | undefined): number | undefined {
    if (node === undefined) return undefined;
    node.check({ attrs: ['order', 'loadparm'] });
    if (node.attr('loadparm') !== undefined) throw node.unsupported("attribute 'loadparm' applies to s390 guests only");
    if (node.attr('order') === undefined) throw node.invalid("missing attribute 'order'");
    const order = node.intAttr('order', 1, 65535) as number;
    const previous = this.used.get(order);
    if (previous !== undefined) {
      throw node.invalid(`boot order ${order} is already used at line ${previous.line}`);
    }
    this.used.set(order, node);
    this.first ??= node;
    return order;
  }
}
