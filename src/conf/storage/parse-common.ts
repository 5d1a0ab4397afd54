/** Parts shared by pool and volume XML: sizes with units, permissions, names. */
import { domainNameProblem } from '../names.js';
import type { XNode } from '../xml-reader.js';
import type { Permissions } from './pool-model.js';
import { scaleSize } from './units.js';

/** `<capacity unit='G'>10</capacity>` in bytes. */
export function sizeElement(node: XNode): number {
  node.check({ attrs: ['unit'], text: true });
  const unit = node.attr('unit') ?? 'bytes';
  const n = scaleSize(node.text(), unit);
  if (n === 'unit') throw node.invalid(`unknown size unit '${unit}'; use bytes, KiB, MiB, GiB, TiB (or K, M, G, T), KB, MB, GB, TB`);
  if (n === 'number') throw node.invalid(`invalid size '${node.text()}': expected a whole number`);
  if (n === 'overflow') throw node.invalid(`size '${node.text()}${unit}' is too large`);
  return n;
}

/** `<permissions>`: octal mode, numeric owner and group (-1: leave as is), label. */
export function parsePermissions(node: XNode): Permissions {
  node.check({ one: ['mode', 'owner', 'group', 'label'] });
  const perms: Permissions = {};
  const mode = node.child('mode');
  if (mode !== undefined) {
    const t = mode.check({ text: true }).text();
    if (!/^[0-7]{1,4}$/.test(t)) throw mode.invalid(`malformed octal mode '${t}'`);
    perms.mode = parseInt(t, 8);
  }
  for (const key of ['owner', 'group'] as const) {
    const n = node.child(key);
    if (n === undefined) continue;
    const t = n.check({ text: true }).text();
    if (t === '-1') continue;
    if (!/^\d{1,10}$/.test(t) || Number(t) > 4294967294) throw n.invalid(`malformed ${key} element '${t}': expected a numeric id`);
    perms[key] = Number(t);
  }
  const label = node.child('label');
  if (label !== undefined) perms.label = label.check({ text: true }).text();
  return perms;
}

/** A pool or volume name: a file name under the state or pool directory, so no '/' and no dot files. */
export function checkName(node: XNode, what: 'pool' | 'volume'): string {
  const name = node.check({ text: true }).text();
  const problem = domainNameProblem(name);
  if (problem !== undefined) throw node.invalid(`invalid ${what} name '${name}': ${problem}`);
  return name;
}

/** An absolute path, cleaned as libvirt cleans it (no doubled or trailing '/'). */
export function cleanPath(node: XNode, text: string, what: string): string {
  if (!text.startsWith('/')) throw node.invalid(`${what} '${text}' must be an absolute path`);
  const cleaned = text.replace(/\/+/g, '/');
  return cleaned.length > 1 ? cleaned.replace(/\/$/, '') : cleaned;
}
