/**
 * LVM through its commands: reports read as JSON (`--reportformat json --units b --nosuffix`)
 * and parsed at the edge into typed values. Knows no pools: volume groups, physical and logical
 * volumes only.
 */
import { promises as fs } from 'node:fs';
import { VireoError } from '../api/errors.js';
import { childFailed, mustRun, runTool } from './tool.js';

export interface VgFacts {
  name: string;
  size: number;
  free: number;
  extentSize: number;
}

export interface LvFacts {
  name: string;
  path: string;
  uuid: string;
  size: number;
  attr: string;
  /** The origin LV of a snapshot ('' otherwise). */
  origin: string;
  segtype: string;
  /** The space its segments take (libvirt's allocation; a sparse volume's copy-on-write space). */
  allocated: number;
}

const num = (v: unknown): number => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The rows of one report kind ('vg', 'lv', 'pv') in LVM's JSON. */
export function reportRows(json: string, kind: string): Record<string, unknown>[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw VireoError.of('INTERNAL', `an LVM report is not JSON: ${json.slice(0, 200)}`, { cause: e });
  }
  const report = (v as { report?: unknown } | null)?.report;
  if (!Array.isArray(report)) throw VireoError.of('INTERNAL', `an LVM report has no 'report' list: ${json.slice(0, 200)}`);
  const rows: Record<string, unknown>[] = [];
  for (const part of report) {
    const list = (part as Record<string, unknown> | null)?.[kind];
    if (Array.isArray(list)) for (const r of list) if (typeof r === 'object' && r !== null) rows.push(r as Record<string, unknown>);
  }
  return rows;
}

export function parseVgs(json: string): VgFacts[] {
  return reportRows(json, 'vg').map((r) => ({ name: str(r.vg_name), size: num(r.vg_size), free: num(r.vg_free), extentSize: num(r.vg_extent_size) }));
}

/**
 * Logical volumes a pool shows, one per LV (lvs prints a row per segment when asked for
 * segment fields; their sizes add up to the allocation, as libvirt counts it). Hidden LVs
 * ([name]) and thin pools are LVM's own and left out, as libvirt does.
 */
export function parseLvs(json: string): LvFacts[] {
  const byUuid = new Map<string, LvFacts>();
  for (const r of reportRows(json, 'lv')) {
    const uuid = str(r.lv_uuid);
    const seen = byUuid.get(uuid);
    if (seen !== undefined) {
      seen.allocated += num(r.seg_size);
      continue;
    }
    byUuid.set(uuid, {
      name: str(r.lv_name), path: str(r.lv_path), uuid, size: num(r.lv_size), attr: str(r.lv_attr),
      origin: str(r.origin), segtype: str(r.segtype), allocated: num(r.seg_size),
    });
  }
  return [...byUuid.values()].filter((lv) => lv.name !== '' && !lv.name.startsWith('[') && !lv.attr.startsWith('t'));
}

const REPORT = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];

/** Every volume group LVM sees (vgs), or the one named. */
export async function listVgs(name?: string): Promise<VgFacts[]> {
  const args = [...REPORT, '-o', 'vg_name,vg_size,vg_free,vg_extent_size', ...(name === undefined ? [] : [name])];
  const r = await runTool('vgs', args, { what: 'reading LVM volume groups' });
  // vgs exits 5 for a named group that does not exist; its JSON is then an empty list.
  if (r.code !== 0 && name === undefined) throw childFailed('vgs', args, r);
  return parseVgs(r.stdout || '{"report":[]}');
}

/** Every physical volume LVM sees, with its volume group ('' for none). */
export async function listPvs(): Promise<{ pv: string; vg: string }[]> {
  const out = await mustRun('pvs', [...REPORT, '-o', 'pv_name,vg_name'], { what: 'reading LVM physical volumes' });
  return reportRows(out, 'pv').map((r) => ({ pv: str(r.pv_name), vg: str(r.vg_name) }));
}

/** The physical volumes of a volume group (their device paths). */
export async function vgDevices(vg: string): Promise<string[]> {
  return (await listPvs()).filter((p) => p.vg === vg).map((p) => p.pv);
}

/** The logical volumes of `vg`. */
export async function listLvs(vg: string): Promise<LvFacts[]> {
  const out = await mustRun('lvs', [...REPORT, '-o', 'lv_name,lv_path,lv_uuid,lv_size,lv_attr,origin,segtype,seg_size', vg], {
    what: `reading the logical volumes of '${vg}'`,
  });
  return parseLvs(out);
}

/**
 * Whether this kernel has device-mapper, which LVM needs to make or activate a logical volume.
 * /dev/mapper/control is no proof: LVM makes that node itself, driver or not.
 */
export async function hasDeviceMapper(): Promise<boolean> {
  const misc = await fs.readFile('/proc/misc', 'utf8').catch(() => '');
  return /\sdevice-mapper$/m.test(misc);
}
