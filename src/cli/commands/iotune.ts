/**
 * blkdeviotune: list or change a disk's I/O limits, with virsh 9.0's options and listing (each
 * setting as `name: value`, the name padded to 15 columns, in libvirt's order).
 */
import type { IoTuneRequest } from '../../api/types.js';
import { attempt, CmdFailure, fail } from '../errors.js';
import { parseSize } from '../poolformat.js';
import { checkImpact, domainOpt, impact } from './devices.js';
import type { Args, CommandDef, Ctx, OptDef } from './types.js';
import { flag } from './opts.js';

/** libvirt's order: the listing's and the options'. */
const NUMBERS = [
  'total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec', 'total_iops_sec', 'read_iops_sec', 'write_iops_sec',
  'total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max', 'total_iops_sec_max', 'read_iops_sec_max', 'write_iops_sec_max',
  'size_iops_sec',
] as const;
const LENGTHS = [
  'total_bytes_sec_max_length', 'read_bytes_sec_max_length', 'write_bytes_sec_max_length',
  'total_iops_sec_max_length', 'read_iops_sec_max_length', 'write_iops_sec_max_length',
] as const;

const option = (k: string): string => k.replace(/_/g, '-');

const HELP: Record<string, string> = {
  total_bytes_sec: 'total throughput limit, as scaled integer (default bytes)',
  read_bytes_sec: 'read throughput limit, as scaled integer (default bytes)',
  write_bytes_sec: 'write throughput limit, as scaled integer (default bytes)',
  total_iops_sec: 'total I/O operations limit per second',
  read_iops_sec: 'read I/O operations limit per second',
  write_iops_sec: 'write I/O operations limit per second',
  total_bytes_sec_max: 'total max, as scaled integer (default bytes)',
  read_bytes_sec_max: 'read max, as scaled integer (default bytes)',
  write_bytes_sec_max: 'write max, as scaled integer (default bytes)',
  total_iops_sec_max: 'total I/O operations max',
  read_iops_sec_max: 'read I/O operations max',
  write_iops_sec_max: 'write I/O operations max',
  size_iops_sec: 'I/O size in bytes',
  total_bytes_sec_max_length: 'duration in seconds to allow total max bytes',
  read_bytes_sec_max_length: 'duration in seconds to allow read max bytes',
  write_bytes_sec_max_length: 'duration in seconds to allow write max bytes',
  total_iops_sec_max_length: 'duration in seconds to allow total I/O operations max',
  read_iops_sec_max_length: 'duration in seconds to allow read I/O operations max',
  write_iops_sec_max_length: 'duration in seconds to allow write I/O operations max',
};

function value(k: string, text: string): number {
  const scaled = k.includes('bytes_sec') && !k.endsWith('_length');
  const n = scaled ? parseSize(text) : /^\d+$/.test(text.trim()) ? Number(text) : null;
  if (n === null || !Number.isSafeInteger(n)) fail(`Scaled numeric value '${text}' for <${option(k)}> option is malformed or out of range`, 'Unable to parse integer parameter');
  return n;
}

async function blkdeviotune(ctx: Ctx, args: Args): Promise<void> {
  const ref = args.need('domain');
  const disk = args.need('device');
  checkImpact(args);
  const values: IoTuneRequest['values'] = {};
  for (const k of [...NUMBERS, ...LENGTHS]) {
    const text = args.str(option(k));
    if (text !== undefined) values[k] = value(k, text);
  }
  const group = args.str('group-name');
  if (group !== undefined) values.group_name = group;
  const c = await ctx.client();
  const f = await impact(c, ref, args);
  if (Object.keys(values).length > 0) {
    await attempt(ref, 'Unable to change block I/O throttle', () => c.setIoTune(ref, { disk, values, ...f }));
    return;
  }
  const t = await attempt(ref, null, () => c.ioTune(ref, disk, f)).catch((e: unknown) => {
    // virsh asks for the number of settings first: a guest that is not running fails there.
    const lines = e instanceof CmdFailure ? e.lines : [String(e)];
    if (lines[0]?.startsWith('failed to get domain') === true) throw e;
    const first = lines[0]?.endsWith('domain is not running') === true ? 'Unable to get number of block I/O throttle parameters' : 'Unable to get block I/O throttle parameters';
    return fail(first, ...lines);
  });
  const line = (k: string): string => `${k.padEnd(15)}: ${t[k] ?? 0}\n`;
  ctx.print([...NUMBERS.map(line), line('group_name').replace(/: 0\n$/, ': \n'), ...LENGTHS.map(line)].join(''));
}

export const iotuneCommands: readonly CommandDef[] = [
  {
    name: 'blkdeviotune', group: 'domain', writes: true,
    help: 'Set or query a block device I/O tuning parameters.',
    desc: 'Set or query the I/O limits of disk DEVICE (its target or source path): without settings, list them\n'
      + "(QEMU's in the running guest, or the stored definition's with --config); with settings, change those\n"
      + 'and keep the others (0 removes one), in the running guest (--live) and/or the stored definition (--config).',
    opts: [
      domainOpt,
      { name: 'device', type: 'data', required: true, help: 'block device' },
      ...[...NUMBERS].map((k): OptDef => ({ name: option(k), type: 'string', help: HELP[k]! })),
      { name: 'group-name', type: 'string', help: 'group name to share I/O quota between multiple drives' },
      ...[...LENGTHS].map((k): OptDef => ({ name: option(k), type: 'string', help: HELP[k]! })),
      flag('config', 'affect next boot'),
      flag('live', 'affect running domain'),
      flag('current', 'affect current domain'),
    ],
    run: blkdeviotune,
  },
];
