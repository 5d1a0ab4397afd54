/**
 * virsh's auto-sized table layout (tools/vsh-table.c behaviour): every cell is printed as
 * " " + text, every column but the last is padded to its widest cell plus two spaces, and the
 * divider under the header is sum(width + 3) dashes. Without a header (-q) the widths come from
 * the rows alone, so quiet output is narrower than the normal one.
 */

/** Printable ASCII without `\x`: nothing to escape, one column per character. */
const PLAIN = /^(?:[\x20-\x5b\x5d-\x7e]|\\(?!x))*$/;

/** Cell text with control characters (and a backslash that would read as `\x`) shown as `\xNN`. */
export function escapeCell(text: string): string {
  if (PLAIN.test(text)) return text; // the common case, and vol-list prints thousands of cells
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || (code === 0x5c && text[i + 1] === 'x')) {
      out += '\\x' + code.toString(16).padStart(2, '0');
    } else {
      out += text[i];
    }
  }
  return out;
}

/** Ranges of code points a terminal draws two columns wide (East Asian wide/fullwidth, emoji). */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff],
  [0xa000, 0xa4cf], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60],
  [0xffe0, 0xffe6], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufeff]$/u;

/** Columns a string takes on a terminal, the way wcwidth() counts them. */
export function displayWidth(text: string): number {
  if (PLAIN.test(text)) return text.length;
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x7f) {
      w += 1;
    } else if (ZERO_WIDTH.test(ch)) {
      continue;
    } else {
      w += WIDE.some(([lo, hi]) => cp >= lo && cp <= hi) ? 2 : 1;
    }
  }
  return w;
}

/** Render a table; `showHeader` false (quiet mode) drops the header and divider. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], showHeader = true): string {
  const all = (showHeader ? [header, ...rows] : rows).map((r) => r.map(escapeCell));
  // Each cell's width once (a pool's vol-list has thousands of cells).
  const cellWidths = all.map((r) => r.map(displayWidth));
  const widths = header.map((_, col) => cellWidths.reduce((m, r) => Math.max(m, r[col] ?? 0), 0));
  const line = (cells: readonly string[], cw: readonly number[]): string => {
    let s = '';
    cells.forEach((cell, col) => {
      s += ' ' + cell;
      if (col < cells.length - 1) s += ' '.repeat((widths[col] as number) - (cw[col] ?? 0) + 2);
    });
    return s + '\n';
  };
  let out = '';
  if (showHeader) {
    out += line(all[0] as string[], cellWidths[0] as number[]);
    out += '-'.repeat(widths.reduce((sum, w) => sum + w + 3, 0)) + '\n';
  }
  for (let i = showHeader ? 1 : 0; i < all.length; i++) out += line(all[i] as string[], cellWidths[i] as number[]);
  return out;
}
