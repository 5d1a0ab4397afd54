/**
 * Storage volume commands (virsh's "Storage Volume" group) with virsh 9.0's messages: vol-create,
 * vol-create-as, vol-create-from, vol-clone, vol-delete, vol-wipe, vol-resize, vol-list,
 * vol-info, vol-dumpxml, vol-path, vol-key, vol-name, vol-pool. A volume is named in its pool
 * (--pool) by name, key or path, or without a pool by key or path.
 */
import type { VolumeSummary } from '../../api/types.js';
import { WIPE_ALGORITHMS } from '../../api/storage-types.js';
import { isVireoError } from '../../api/errors.js';
import { CmdFailure, fail, failureHint, failureLines } from '../errors.js';
import { formatVolInfo, formatVolList, parseSize, volXmlFromOptions } from '../poolformat.js';
import { readXmlFile } from './domain.js';
import { poolAttempt, poolOpt } from './pool.js';
import type { Args, CliClient, CommandDef, OptDef } from './types.js';
import { flag } from './opts.js';

const volOpt: OptDef = { name: 'vol', type: 'data', required: true, help: 'volume name, key or path' };
const poolOption: OptDef = { name: 'pool', type: 'string', namedOnly: true, help: 'pool name or UUID' };

/** A size option, or virsh's "Malformed size" lines. */
function sizeArg(text: string): number {
  const n = parseSize(text);
  if (n !== null) return n;
  const suffix = /^\s*\d+\s*([A-Za-z]+)\s*$/.exec(text)?.[1];
  if (suffix !== undefined) fail(`Malformed size ${text}`, `invalid argument: unknown suffix '${suffix}'`);
  return fail(`Malformed size ${text}`);
}

/** Find the volume `ref` (in --pool when given), failing with virsh's lines. */
export async function findVol(c: CliClient, ref: string, pool: string | undefined): Promise<VolumeSummary> {
  if (pool !== undefined) await poolAttempt(pool, null, () => c.getPool(pool));
  try {
    return await c.getVolume(pool, ref);
  } catch (e) {
    if (isVireoError(e) && e.code === 'NO_STORAGE_VOL') {
      throw new CmdFailure([pool === undefined ? `failed to get vol '${ref}', specifying --pool might help` : `failed to get vol '${ref}'`, e.message]);
    }
    throw new CmdFailure(failureLines(e), failureHint(e));
  }
}

interface VolActionSpec {
  name: string;
  help: string;
  desc: string;
  opts?: OptDef[];
  done: (v: VolumeSummary, args: Args) => string;
  failed: (ref: string, args: Args) => string;
  call: (c: CliClient, v: VolumeSummary, args: Args) => Promise<unknown>;
}

/** A command that changes one volume and says so in one line. */
function volAction(spec: VolActionSpec): CommandDef {
  return {
    name: spec.name, group: 'volume', help: spec.help, desc: spec.desc, writes: true,
    opts: [volOpt, ...(spec.opts ?? []), poolOption],
    async run(ctx, args) {
      const ref = args.need('vol');
      const c = await ctx.client();
      const v = await findVol(c, ref, args.str('pool'));
      await poolAttempt(null, spec.failed(ref, args), () => spec.call(c, v, args));
      ctx.extra(`${spec.done(v, args)}\n`);
    },
  };
}

/** A command printing one fact of a volume. */
function volField(name: string, help: string, show: (v: VolumeSummary) => string, key: string): CommandDef {
  return {
    name, group: 'volume', help, desc: `${help[0]!.toUpperCase()}${help.slice(1)}.`, json: true,
    opts: [volOpt, poolOption],
    async run(ctx, args) {
      const v = await findVol(await ctx.client(), args.need('vol'), args.str('pool'));
      if (args.bool('json')) ctx.json({ [key]: show(v) });
      else ctx.print(`${show(v)}\n`);
    },
  };
}

export const volCommands: readonly CommandDef[] = [
  {
    name: 'vol-create', group: 'volume', writes: true,
    help: 'create a vol from an XML file',
    desc: 'Make a volume in an active pool from its libvirt volume XML.',
    opts: [poolOpt(), { name: 'file', type: 'data', required: true, help: 'file holding the volume XML' }, flag('prealloc-metadata', 'preallocate qcow2 metadata')],
    async run(ctx, args) {
      const pool = args.need('pool');
      const file = args.need('file');
      const context = `Failed to create vol from ${file}`;
      const c = await ctx.client();
      await poolAttempt(pool, null, () => c.getPool(pool));
      const xml = await poolAttempt(null, context, () => readXmlFile(file));
      const v = await poolAttempt(null, context, () => c.createVolume(pool, xml, { preallocMetadata: args.bool('prealloc-metadata') }));
      ctx.extra(`Vol ${v.name} created from ${file}\n`);
    },
  },
  {
    name: 'vol-create-as', group: 'volume', writes: true,
    help: 'create a volume from a set of args',
    desc: 'Make a volume of CAPACITY (with a unit: 10G, 512M...) in an active pool. A raw volume is fully allocated unless\n'
      + '--allocation says less; a qcow2 is thin. --backing-vol makes a qcow2 overlay on another volume (a linked clone).',
    opts: [
      poolOpt(),
      { name: 'name', type: 'data', required: true, help: 'name of the volume' },
      { name: 'capacity', type: 'data', required: true, help: 'size of the volume, with a unit (e.g. 10G)' },
      { name: 'allocation', type: 'string', namedOnly: true, help: 'bytes to allocate at once, with a unit' },
      { name: 'format', type: 'string', namedOnly: true, help: 'raw or qcow2' },
      { name: 'backing-vol', type: 'string', namedOnly: true, help: 'the backing volume (name in the pool, key or path)' },
      { name: 'backing-vol-format', type: 'string', namedOnly: true, help: 'format of the backing volume' },
      flag('prealloc-metadata', 'preallocate qcow2 metadata'),
      flag('print-xml', 'print the XML instead of creating the volume'),
    ],
    async run(ctx, args) {
      const pool = args.need('pool');
      const name = args.need('name');
      const capacity = sizeArg(args.need('capacity'));
      const allocText = args.str('allocation');
      const o: Parameters<typeof volXmlFromOptions>[0] = { name, capacity };
      if (allocText !== undefined) o.allocation = sizeArg(allocText);
      const format = args.str('format');
      if (format !== undefined) o.format = format;
      const c = await ctx.client();
      await poolAttempt(pool, null, () => c.getPool(pool));
      const backing = args.str('backing-vol');
      if (backing !== undefined) {
        // virsh finds the backing volume in the pool first, then anywhere by key or path.
        const b = await c.getVolume(pool, backing).catch(() => c.getVolume(undefined, backing)).catch(() => fail(`failed to get vol '${backing}'`));
        const bfmt = args.str('backing-vol-format');
        o.backing = bfmt === undefined ? { path: b.path } : { path: b.path, format: bfmt };
      }
      const xml = volXmlFromOptions(o);
      if (args.bool('print-xml')) return ctx.print(xml);
      await poolAttempt(null, `Failed to create vol ${name}`, () => c.createVolume(pool, xml, { preallocMetadata: args.bool('prealloc-metadata') }));
      ctx.extra(`Vol ${name} created\n`);
    },
  },
  {
    name: 'vol-create-from', group: 'volume', writes: true,
    help: 'create a vol, using another volume as input',
    desc: 'Make a volume from XML with the content of an existing volume (a reflink where the file system has them, else\n'
      + 'qemu-img convert, which also changes the format).',
    opts: [
      poolOpt(), { name: 'file', type: 'data', required: true, help: 'file holding the new volume\'s XML' }, volOpt,
      { name: 'inputpool', type: 'string', namedOnly: true, help: 'the pool of the input volume' },
      flag('prealloc-metadata', 'preallocate qcow2 metadata'), flag('reflink', 'share the blocks (a reflink) or fail'),
    ],
    async run(ctx, args) {
      const pool = args.need('pool');
      const file = args.need('file');
      const c = await ctx.client();
      await poolAttempt(pool, null, () => c.getPool(pool));
      const input = await findVol(c, args.need('vol'), args.str('inputpool'));
      const context = `Failed to create vol from ${file}`;
      const xml = await poolAttempt(null, context, () => readXmlFile(file));
      const v = await poolAttempt(null, context, () => c.createVolumeFrom(pool, {
        xml, input: input.name, inputPool: input.pool, reflink: args.bool('reflink'), preallocMetadata: args.bool('prealloc-metadata'),
      }));
      ctx.extra(`Vol ${v.name} created from input vol ${input.name}\n`);
    },
  },
  {
    name: 'vol-clone', group: 'volume', writes: true,
    help: 'clone a volume.',
    desc: 'Copy a volume to a new one in the same pool: a reflink where the file system has them, else qemu-img convert.',
    opts: [volOpt, { name: 'newname', type: 'data', required: true, help: 'name of the clone' }, poolOption, flag('prealloc-metadata', 'preallocate qcow2 metadata'),
      flag('reflink', 'share the blocks (a reflink) or fail')],
    async run(ctx, args) {
      const ref = args.need('vol');
      const newname = args.need('newname');
      const c = await ctx.client();
      const v = await findVol(c, ref, args.str('pool'));
      await poolAttempt(null, `Failed to clone vol from ${v.name}`, () => c.createVolumeFrom(v.pool, {
        name: newname, input: v.name, inputPool: v.pool, reflink: args.bool('reflink'), preallocMetadata: args.bool('prealloc-metadata'),
      }));
      ctx.extra(`Vol ${newname} cloned from ${v.name}\n`);
    },
  },
  volAction({
    name: 'vol-delete', help: 'delete a vol', desc: 'Delete a volume: its file is removed.',
    done: (v) => `Vol ${v.name} deleted`, failed: (r) => `Failed to delete vol ${r}`,
    call: (c, v) => c.deleteVolume(v.pool, v.name),
  }),
  {
    name: 'vol-wipe', group: 'volume', writes: true, help: 'wipe a vol',
    desc: 'Overwrite a volume\'s data: with zeros (zero, the default), or with scrub(1)\'s patterns (nnsa, dod, bsi, gutmann,\n'
      + 'schneier, pfitzner7, pfitzner33, random; scrub must be installed). trim is not supported for local volumes.',
    opts: [volOpt, poolOption, { name: 'algorithm', type: 'string', namedOnly: true, help: 'perform selected wiping algorithm' }],
    async run(ctx, args) {
      const ref = args.need('vol');
      const c = await ctx.client();
      const v = await findVol(c, ref, args.str('pool'));
      const algorithm = args.str('algorithm');
      if (algorithm !== undefined && !(WIPE_ALGORITHMS as readonly string[]).includes(algorithm)) fail(`Unsupported algorithm '${algorithm}'`);
      await poolAttempt(null, `Failed to wipe vol ${ref}`, () => c.wipeVolume(v.pool, v.name, algorithm));
      ctx.extra(`Vol ${v.name} wiped\n`);
    },
  },
  {
    name: 'vol-resize', group: 'volume', writes: true,
    help: 'resize a vol',
    desc: 'Change a volume\'s capacity: to CAPACITY, or with --delta by it. Shrinking needs --shrink; --allocate allocates the\n'
      + 'new bytes of a raw volume at once.',
    opts: [volOpt, { name: 'capacity', type: 'data', required: true, help: 'new capacity, with a unit' }, poolOption,
      flag('allocate', 'allocate the new capacity (raw)'), flag('delta', 'change the capacity by this much'), flag('shrink', 'allow a smaller capacity')],
    async run(ctx, args) {
      const ref = args.need('vol');
      const text = args.need('capacity');
      const capacity = sizeArg(text);
      const c = await ctx.client();
      const v = await findVol(c, ref, args.str('pool'));
      const delta = args.bool('delta');
      await poolAttempt(null, `Failed to change size of volume '${v.name}' ${delta ? 'by' : 'to'} ${text}`,
        () => c.resizeVolume(v.pool, v.name, { capacity, delta, shrink: args.bool('shrink'), allocate: args.bool('allocate') }));
      ctx.extra(`Size of volume '${v.name}' successfully changed ${delta ? 'by' : 'to'} ${text}\n`);
    },
  },
  {
    name: 'vol-list', group: 'volume', json: true,
    help: 'list vols',
    desc: 'List the volumes of an active pool by name and path; --details adds type, capacity and allocation.',
    opts: [poolOpt(), flag('details', 'show type, capacity and allocation')],
    async run(ctx, args) {
      const pool = args.need('pool');
      const c = await ctx.client();
      await poolAttempt(pool, null, () => c.getPool(pool));
      const vols = await poolAttempt(null, 'Failed to list volumes', () => c.listVolumes(pool));
      if (args.bool('json')) ctx.json(vols);
      else ctx.print(formatVolList(vols, args.bool('details'), ctx.quiet));
    },
  },
  {
    name: 'vol-info', group: 'volume', json: true,
    help: 'storage vol information',
    desc: 'Print a volume\'s name, type, capacity (what the guest sees) and allocation (what the host holds).',
    opts: [volOpt, poolOption, flag('bytes', 'print sizes in bytes')],
    async run(ctx, args) {
      const v = await findVol(await ctx.client(), args.need('vol'), args.str('pool'));
      if (args.bool('json')) ctx.json(v);
      else ctx.print(formatVolInfo(v, args.bool('bytes')));
    },
  },
  {
    name: 'vol-dumpxml', group: 'volume',
    help: 'vol information in XML',
    desc: 'Print the volume\'s libvirt XML.',
    opts: [volOpt, poolOption],
    async run(ctx, args) {
      const c = await ctx.client();
      const v = await findVol(c, args.need('vol'), args.str('pool'));
      ctx.print(await poolAttempt(null, null, () => c.volumeXml(v.pool, v.name)));
    },
  },
  volField('vol-path', 'returns the volume path for a given volume name or key', (v) => v.path, 'path'),
  volField('vol-key', 'returns the volume key for a given volume name or path', (v) => v.key, 'key'),
  {
    name: 'vol-name', group: 'volume', json: true,
    help: 'returns the volume name for a given volume key or path',
    desc: 'Print the name of the volume with this key or path.',
    opts: [{ name: 'vol', type: 'data', required: true, help: 'volume key or path' }],
    async run(ctx, args) {
      const v = await findVol(await ctx.client(), args.need('vol'), undefined);
      if (args.bool('json')) ctx.json({ name: v.name });
      else ctx.print(`${v.name}\n`);
    },
  },
  {
    name: 'vol-pool', group: 'volume', json: true,
    help: 'returns the storage pool for a given volume key or path',
    desc: 'Print the name (or with --uuid the UUID) of the pool holding the volume with this key or path.',
    opts: [{ name: 'vol', type: 'data', required: true, help: 'volume key or path' }, flag('uuid', 'print the pool\'s UUID')],
    async run(ctx, args) {
      const c = await ctx.client();
      const v = await findVol(c, args.need('vol'), undefined);
      const p = await poolAttempt(v.pool, null, () => c.getPool(v.pool));
      const out = args.bool('uuid') ? p.uuid : p.name;
      if (args.bool('json')) ctx.json(args.bool('uuid') ? { uuid: out } : { pool: out });
      else ctx.print(`${out}\n`);
    },
  },
];
