/**
 * pool-capabilities: libvirt 9.0's storagepoolCapabilities document, pool types in its order with
 * the same format lists; `supported` says which types this vireo can run (their backends).
 */
import { el, serializeXml, type XmlOut } from '../xml.js';
import { FS_FORMATS, LOGICAL_FORMATS, NETFS_FORMATS } from './pool-model.js';
import { KNOWN_VOL_FORMATS } from './vol-model.js';

interface TypeCaps {
  type: string;
  pool?: { default: string; formats: readonly string[] };
  vol?: { default: string; formats: readonly string[] };
}

const FILE_VOLS = { default: 'raw', formats: KNOWN_VOL_FORMATS };
const TYPES: readonly TypeCaps[] = [
  { type: 'dir', vol: FILE_VOLS },
  { type: 'fs', pool: { default: 'auto', formats: FS_FORMATS }, vol: FILE_VOLS },
  { type: 'netfs', pool: { default: 'auto', formats: NETFS_FORMATS }, vol: FILE_VOLS },
  { type: 'logical', pool: { default: 'lvm2', formats: LOGICAL_FORMATS } },
  {
    type: 'disk',
    pool: { default: 'unknown', formats: ['unknown', 'dos', 'dvh', 'gpt', 'mac', 'bsd', 'pc98', 'sun', 'lvm2'] },
    vol: { default: 'none', formats: ['none', 'linux', 'fat16', 'fat32', 'linux-swap', 'linux-lvm', 'linux-raid', 'extended'] },
  },
  { type: 'iscsi' },
  { type: 'iscsi-direct' },
  { type: 'scsi' },
  { type: 'mpath' },
  { type: 'rbd', vol: { default: 'raw', formats: [] } },
  { type: 'sheepdog' },
  { type: 'gluster', vol: FILE_VOLS },
  { type: 'zfs' },
  { type: 'vstorage', vol: FILE_VOLS },
];

function options(name: string, enumName: string, o: { default: string; formats: readonly string[] }): XmlOut {
  const values = el('enum', { name: enumName }, o.formats.map((f) => el('value', {}, f)));
  // libvirt prints an empty list as an open and a close tag (depth 3).
  if (values.children.length === 0) values.text = '\n      ';
  return el(name, {}, [el('defaultFormat', { type: o.default }), values]);
}

/** The pool capabilities XML; `supported` lists the pool types this daemon runs. */
export function poolCapabilitiesXml(supported: readonly string[]): string {
  return serializeXml(el('storagepoolCapabilities', {}, TYPES.map((t) => {
    const out = el('pool', { type: t.type, supported: supported.includes(t.type) ? 'yes' : 'no' }, [
      t.pool !== undefined && options('poolOptions', 'sourceFormatType', t.pool),
      t.vol !== undefined && options('volOptions', 'targetFormatType', t.vol),
    ]);
    if (out.children.length === 0) out.text = '\n  ';
    return out;
  })));
}
