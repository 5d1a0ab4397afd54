/** domblkinfo: a domain's disk sizes in virsh 9.0's layouts (one disk as lines, --all as a table). */
import type { DomainBlockInfo } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { renderTable } from '../table.js';
import type { CommandDef } from './types.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A size as domblkinfo --human prints it: three decimals ("4.000 MiB"), unlike vol-info's two. */
export function humanSize(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(3)} ${UNITS[u]!}`;
}

/** One disk's lines, or the --all table ('-' where a size is unknown). */
export function formatBlockInfo(infos: readonly DomainBlockInfo[], o: { all: boolean; human: boolean; quiet: boolean }): string {
  const show = (n: number | null): string => (n === null ? '-' : o.human ? humanSize(n) : String(n));
  if (o.all) {
    const rows = infos.map((i) => [i.target, show(i.capacity), show(i.allocation), show(i.physical)]);
    return renderTable(['Target', 'Capacity', 'Allocation', 'Physical'], rows, !o.quiet);
  }
  const i = infos[0];
  if (i === undefined) return '';
  return `${'Capacity:'.padEnd(15)} ${show(i.capacity)}\n${'Allocation:'.padEnd(15)} ${show(i.allocation)}\n${'Physical:'.padEnd(15)} ${show(i.physical)}\n`;
}

export const blkInfoCommands: readonly CommandDef[] = [{
  name: 'domblkinfo', group: 'monitor', json: true,
  help: 'domain block device size information',
  desc: 'Print a disk\'s capacity (what the guest sees), allocation (what the host holds for it) and physical size (the\n'
    + 'host file or device); with --all, every disk as a table. A running guest\'s come from QEMU.',
  opts: [
    { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' },
    { name: 'device', type: 'string', help: 'block device: its target (see domblklist) or source path' },
    { name: 'human', type: 'bool', help: 'Human readable output' },
    { name: 'all', type: 'bool', help: 'display all block devices info' },
  ],
  async run(ctx, args) {
    const ref = args.need('domain');
    const device = args.str('device');
    const all = args.bool('all');
    if (!all && device === undefined) fail("command 'domblkinfo' requires <device> option");
    const c = await ctx.client();
    const infos = await attempt(ref, null, () => c.blockInfo(ref, all ? undefined : device));
    if (args.bool('json')) return ctx.json(all ? infos : infos[0]);
    ctx.print(formatBlockInfo(infos, { all, human: args.bool('human'), quiet: ctx.quiet }));
  },
}];
