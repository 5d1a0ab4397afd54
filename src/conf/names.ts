/**
 * Identifiers in domain definitions: names, UUIDs and MAC addresses.
 *
 * Each check returns the reason a value is wrong (a phrase that completes "… is invalid: ")
 * or undefined, so callers can report it with the place it came from.
 */

import { randomBytes, randomUUID } from 'node:crypto';

/** Longest domain name, in UTF-8 bytes: it becomes a file name (NAME.xml) under the state dirs. */
export const MAX_DOMAIN_NAME_BYTES = 200;

/** Why `name` cannot be a domain name, or undefined when it can. */
export function domainNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.trim().length === 0) return 'the name is only whitespace';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name contains a control character';
  if (name.includes('/')) return "the name contains '/'";
  if (name === '.' || name === '..') return `'${name}' is not a usable name`;
  if (name.startsWith('.')) return "the name starts with '.'";
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_DOMAIN_NAME_BYTES) {
    return `the name is ${bytes} bytes long; at most ${MAX_DOMAIN_NAME_BYTES} bytes (UTF-8) are allowed`;
  }
  return undefined;
}

/**
 * Parse a UUID the way libvirt accepts it: 32 hex digits, with '-' or ' ' allowed between
 * byte pairs and surrounding whitespace. Returns the canonical lower-case dashed form.
 */
export function parseUuid(text: string): string | undefined {
  const m = /^\s*((?:[- ]*[0-9a-fA-F]{2}){16})\s*$/.exec(text);
  if (m === null || m[1] === undefined) return undefined;
  const hex = m[1].replace(/[- ]/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A fresh random (version 4) UUID, lower-case and dashed. */
export function generateUuid(): string {
  return randomUUID();
}

/** Parse a MAC address (six ':'-separated groups of 1–2 hex digits) into lower-case aa:bb:cc:dd:ee:ff. */
export function parseMac(text: string): string | undefined {
  const parts = text.trim().split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => p.toLowerCase().padStart(2, '0')).join(':');
}

/** True when the address is a multicast (group) address, which a NIC cannot own. */
export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** A random MAC in QEMU's locally administered 52:54:00 range. */
export function generateMac(): string {
  return ['52', '54', '00', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
