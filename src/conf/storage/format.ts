/**
 * PoolDef and VolumeDef -> XML laid out as libvirt 9.0's pool-dumpxml and vol-dumpxml print it
 * (element order, the open/close form of an empty <source>), valid against storagepool.rng and
 * storagevol.rng.
 */
import { el, serializeXml, type XmlOut } from '../xml.js';
import { FS_POOL_NS, type Permissions, type PoolDef, type PoolSizes, type PoolSource } from './pool-model.js';
import type { Timestamps, VolumeDef } from './vol-model.js';

const bytes = (name: string, n: number): XmlOut => el(name, { unit: 'bytes' }, String(n));

/** libvirt prints modes as 4 octal digits. */
export const octalMode = (mode: number): string => mode.toString(8).padStart(4, '0');

function formatPermissions(p: Permissions | undefined): XmlOut | undefined {
  if (p === undefined) return undefined;
  return el('permissions', {}, [
    p.mode !== undefined && el('mode', {}, octalMode(p.mode)),
    p.owner !== undefined && el('owner', {}, String(p.owner)),
    p.group !== undefined && el('group', {}, String(p.group)),
    p.label !== undefined && el('label', {}, p.label),
  ]);
}

/** A pool's <source>, as in the pool and in find-storage-pool-sources' list. */
function sourceElement(s: PoolSource): XmlOut {
  return el('source', {}, [
    ...s.hosts.map((h) => el('host', { name: h.name, port: h.port })),
    ...s.devices.map((d) => el('device', { path: d.path })),
    s.dir !== undefined && el('dir', { path: s.dir }),
    s.name !== undefined && el('name', {}, s.name),
    s.initiatorIqn !== undefined && el('initiator', {}, [el('iqn', { name: s.initiatorIqn })]),
    s.format !== undefined && el('format', { type: s.format }),
  ]);
}

/** find-storage-pool-sources' answer: libvirt's <sources> document. */
export function formatPoolSourcesXml(sources: readonly PoolSource[]): string {
  const root = el('sources', {}, sources.map(sourceElement));
  // An empty list is an open and a close tag on their own lines, as libvirt prints it.
  if (root.children.length === 0) root.text = '\n';
  return serializeXml(root);
}

/** Print a pool; `sizes` are those of an active pool (zeros otherwise). */
export function formatPoolXml(def: PoolDef, sizes: PoolSizes = { capacity: 0, allocation: 0, available: 0 }): string {
  const source = sourceElement(def.source);
  // libvirt prints an empty <source> as an open and a close tag on their own lines.
  if (source.children.length === 0) source.text = '\n  ';
  const opts = def.mountOpts ?? [];
  const root = el('pool', { type: def.type, 'xmlns:fs': opts.length > 0 ? FS_POOL_NS : undefined }, [
    el('name', {}, def.name),
    el('uuid', {}, def.uuid),
    bytes('capacity', sizes.capacity),
    bytes('allocation', sizes.allocation),
    bytes('available', sizes.available),
    source,
    def.target !== undefined && el('target', {}, [el('path', {}, def.target.path), formatPermissions(def.target.permissions)]),
    opts.length > 0 && el('fs:mount_opts', {}, opts.map((o) => el('fs:option', { name: o }))),
  ]);
  return serializeXml(root);
}

/** libvirt's "seconds.nanoseconds", the fraction left out when it is zero. */
function formatTime(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  return frac === 0n ? String(sec) : `${sec}.${String(frac).padStart(9, '0')}`;
}

function formatTimestamps(t: Timestamps | undefined): XmlOut | undefined {
  if (t === undefined) return undefined;
  return el('timestamps', {}, [
    el('atime', {}, formatTime(t.atime)),
    el('mtime', {}, formatTime(t.mtime)),
    el('ctime', {}, formatTime(t.ctime)),
    el('btime', {}, formatTime(t.btime)),
  ]);
}

/** Print a volume as vol-dumpxml does. */
export function formatVolumeXml(v: VolumeDef): string {
  const t = v.target;
  const b = v.backingStore;
  const root = el('volume', { type: v.type }, [
    el('name', {}, v.name),
    v.key !== undefined && el('key', {}, v.key),
    v.capacity !== undefined && bytes('capacity', v.capacity),
    v.allocation !== undefined && bytes('allocation', v.allocation),
    v.physical !== undefined && bytes('physical', v.physical),
    el('target', {}, [
      t.path !== undefined && el('path', {}, t.path),
      t.format !== undefined && el('format', { type: t.format }),
      formatPermissions(t.permissions),
      formatTimestamps(t.timestamps),
      t.compat !== undefined && el('compat', {}, t.compat),
      t.clusterSize !== undefined && el('clusterSize', { unit: 'B' }, String(t.clusterSize)),
      t.lazyRefcounts !== undefined && el('features', {}, t.lazyRefcounts ? [el('lazy_refcounts')] : []),
    ]),
    b !== undefined && el('backingStore', {}, [
      el('path', {}, b.path),
      b.format !== undefined && el('format', { type: b.format }),
      formatPermissions(b.permissions),
      formatTimestamps(b.timestamps),
    ]),
  ]);
  return serializeXml(root);
}
