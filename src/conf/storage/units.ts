/**
 * Sizes as libvirt reads them: a number with a unit (XML `unit='G'`, virsh `1G`). One-letter
 * units and the IEC names are powers of 1024, the SI names (KB, MB...) powers of 1000, as in
 * libvirt's virScaleInteger; bytes and 'b' are 1. Values are whole bytes up to 2^53 (8 PiB),
 * which JavaScript numbers carry exactly.
 */

const POWERS: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/** Bytes per `unit` (case-insensitive), or undefined when libvirt knows no such unit. */
export function unitScale(unit: string): number | undefined {
  const u = unit.toLowerCase();
  if (u === '' || u === 'b' || u === 'byte' || u === 'bytes') return 1;
  const power = POWERS[u[0] ?? ''];
  if (power === undefined) return undefined;
  const rest = u.slice(1);
  if (rest === '' || rest === 'ib') return 1024 ** power;
  if (rest === 'b') return 1000 ** power;
  return undefined;
}

/** Why a scaled size is wrong: a phrase for "invalid ..." messages. */
export type SizeProblem = 'unit' | 'number' | 'overflow';

/** `value` (decimal digits) times `unit`; `defaultUnit` applies when unit is ''. */
export function scaleSize(value: string, unit: string, defaultUnit = 'bytes'): number | SizeProblem {
  const scale = unitScale(unit === '' ? defaultUnit : unit);
  if (scale === undefined) return 'unit';
  const t = value.trim();
  if (!/^\d+$/.test(t)) return 'number';
  const n = Number(t) * scale;
  if (!Number.isSafeInteger(n)) return 'overflow';
  return n;
}

/** A size written as virsh takes it on the command line: "10G", "512M", "1048576", "2GiB". */
export function parseSizeArg(text: string, defaultUnit = 'bytes'): number | SizeProblem {
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (m === null) return 'number';
  return scaleSize(m[1]!, m[2]!, defaultUnit);
}
