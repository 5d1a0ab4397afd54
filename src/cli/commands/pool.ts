/**
 * Storage pool commands (virsh's "Storage Pool" group) with virsh 9.0's messages: pool-define,
 * pool-define-as, pool-create, pool-create-as, pool-build, pool-start, pool-destroy, pool-delete,
 * pool-undefine, pool-list, pool-info, pool-dumpxml, pool-autostart, pool-refresh, pool-edit,
 * pool-name, pool-uuid, pool-capabilities, pool-event.
 */
import type { PoolEvent, PoolSummary } from '../../api/types.js';
import { isVireoError } from '../../api/errors.js';
import { CmdFailure, fail, failureHint, failureLines } from '../errors.js';
import { formatPoolEvent, formatPoolInfo, formatPoolList, poolXmlFromOptions, selectPools, type PoolListOptions } from '../poolformat.js';
import { READ_ONLY, readXmlFile } from './domain.js';
import { resourceEventCommand } from './eventloop.js';
import type { Args, CliClient, CommandDef, OptDef } from './types.js';
import { flag } from './opts.js';

export const poolOpt = (help = 'pool name or UUID'): OptDef => ({ name: 'pool', type: 'data', required: true, help });
const fileOpt: OptDef = { name: 'file', type: 'data', required: true, help: 'file holding the pool XML' };
const BUILD_OPTS: OptDef[] = [
  flag('build', 'build the pool first'),
  flag('overwrite', 'with --build: format over what the storage holds'),
  flag('no-overwrite', 'with --build: refuse to format over existing data'),
];

/**
 * Run one daemon call about pool `ref` (null: none) and turn its failure into virsh's lines: a
 * missing pool is "failed to get pool 'REF'" and the reason, anything else `context` and the reason.
 */
export async function poolAttempt<T>(ref: string | null, context: string | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ref !== null && isVireoError(e) && e.code === 'NO_STORAGE_POOL') throw new CmdFailure([`failed to get pool '${ref}'`, e.message]);
    throw new CmdFailure(failureLines(e, null, context), failureHint(e));
  }
}

function buildOpts(args: Args): { build: boolean; overwrite: boolean; noOverwrite: boolean } {
  if (args.bool('overwrite') && args.bool('no-overwrite')) fail('Options --overwrite and --no-overwrite are mutually exclusive');
  return { build: args.bool('build'), overwrite: args.bool('overwrite'), noOverwrite: args.bool('no-overwrite') };
}

interface PoolActionSpec {
  name: string;
  help: string;
  desc: string;
  opts?: OptDef[];
  done: (ref: string, args: Args) => string;
  failed: (ref: string, args: Args) => string;
  call: (c: CliClient, ref: string, args: Args) => Promise<unknown>;
}

/** A command that changes one pool and says so in one line. */
function poolAction(spec: PoolActionSpec): CommandDef {
  return {
    name: spec.name, group: 'pool', help: spec.help, desc: spec.desc, writes: true,
    opts: [poolOpt(), ...(spec.opts ?? [])],
    async run(ctx, args) {
      const ref = args.need('pool');
      const c = await ctx.client();
      // virsh looks the pool up first: a missing pool is "failed to get pool", not the action's failure.
      await poolAttempt(ref, null, () => c.getPool(ref));
      await poolAttempt(ref, spec.failed(ref, args), () => spec.call(c, ref, args));
      ctx.extra(`${spec.done(ref, args)}\n`);
    },
  };
}

/** pool-define-as / pool-create-as options, in virsh's order (the first ones also by position). */
const AS_OPTS: OptDef[] = [
  { name: 'name', type: 'data', required: true, help: 'name of the pool' },
  { name: 'type', type: 'data', required: true, help: 'type of the pool: dir, fs, netfs, logical, iscsi-direct' },
  { name: 'source-host', type: 'string', help: 'source host (netfs, iscsi-direct)' },
  { name: 'source-path', type: 'string', help: 'source directory on the host (netfs)' },
  { name: 'source-dev', type: 'string', help: 'source device (fs, logical) or target IQN (iscsi-direct)' },
  { name: 'source-name', type: 'string', help: 'volume group name (logical)' },
  { name: 'target', type: 'string', help: 'target directory' },
  { name: 'source-format', type: 'string', namedOnly: true, help: 'format of the source (fs: ext4, xfs...; netfs: nfs...)' },
  { name: 'source-initiator', type: 'string', namedOnly: true, help: 'initiator IQN (iscsi-direct)' },
  flag('print-xml', 'print the XML instead of defining the pool'),
];

function asXml(args: Args): string {
  const o = { name: args.need('name'), type: args.need('type') } as Parameters<typeof poolXmlFromOptions>[0];
  const map: [string, keyof typeof o][] = [['source-host', 'sourceHost'], ['source-path', 'sourcePath'], ['source-dev', 'sourceDev'], ['source-name', 'sourceName'], ['source-format', 'sourceFormat'], ['source-initiator', 'sourceInitiator'], ['target', 'target']];
  for (const [opt, key] of map) {
    const v = args.str(opt);
    if (v !== undefined) o[key] = v;
  }
  return poolXmlFromOptions(o);
}

const LIST_FLAGS: ReadonlyArray<readonly [string, keyof PoolListOptions, string]> = [
  ['inactive', 'inactive', 'list only inactive pools'],
  ['all', 'all', 'list active and inactive pools'],
  ['persistent', 'persistent', 'list persistent pools'],
  ['transient', 'transient', 'list transient pools'],
  ['autostart', 'autostart', 'list pools that start with the daemon'],
  ['no-autostart', 'noAutostart', 'list pools that do not start with the daemon'],
  ['details', 'details', 'show state, persistence and sizes'],
  ['uuid', 'uuid', 'print only UUIDs'],
  ['name', 'name', 'print only names'],
];

/** The event types pool-event knows. */
const POOL_EVENT_NAMES = ['lifecycle', 'refresh'];

export const poolCommands: readonly CommandDef[] = [
  {
    name: 'pool-define', group: 'pool', writes: true,
    help: 'define (but do not start) a persistent pool from an XML file',
    desc: 'Make a storage pool persistent from its libvirt pool XML, or change the stored definition of an existing one.',
    opts: [fileOpt],
    async run(ctx, args) {
      const file = args.need('file');
      const context = `Failed to define pool from ${file}`;
      const xml = await poolAttempt(null, context, () => readXmlFile(file));
      const c = await ctx.client();
      const p = await poolAttempt(null, context, () => c.definePool(xml));
      ctx.extra(`Pool ${p.name} defined from ${file}\n`);
    },
  },
  {
    name: 'pool-define-as', group: 'pool', writes: true,
    help: 'define a pool from a set of arguments',
    desc: 'Define a persistent storage pool from options instead of XML (see --print-xml for the XML they make).',
    opts: AS_OPTS,
    async run(ctx, args) {
      const xml = asXml(args);
      if (args.bool('print-xml')) return ctx.print(xml);
      const name = args.need('name');
      const c = await ctx.client();
      const p = await poolAttempt(null, `Failed to define pool ${name}`, () => c.definePool(xml));
      ctx.extra(`Pool ${p.name} defined\n`);
    },
  },
  {
    name: 'pool-create', group: 'pool', writes: true,
    help: 'create and start a transient pool from an XML file',
    desc: 'Start a storage pool from its XML without keeping its definition: it is gone once it stops.',
    opts: [fileOpt, ...BUILD_OPTS],
    async run(ctx, args) {
      const file = args.need('file');
      const context = `Failed to create pool from ${file}`;
      const opts = buildOpts(args);
      const xml = await poolAttempt(null, context, () => readXmlFile(file));
      const c = await ctx.client();
      const p = await poolAttempt(null, context, () => c.createPool(xml, opts));
      ctx.extra(`Pool ${p.name} created from ${file}\n`);
    },
  },
  {
    name: 'pool-create-as', group: 'pool', writes: true,
    help: 'create and start a transient pool from a set of arguments',
    desc: 'Start a transient storage pool from options instead of XML.',
    opts: [...AS_OPTS, ...BUILD_OPTS],
    async run(ctx, args) {
      const xml = asXml(args);
      if (args.bool('print-xml')) return ctx.print(xml);
      const name = args.need('name');
      const opts = buildOpts(args);
      const c = await ctx.client();
      const p = await poolAttempt(null, `Failed to create pool ${name}`, () => c.createPool(xml, opts));
      ctx.extra(`Pool ${p.name} created\n`);
    },
  },
  poolAction({
    name: 'pool-build', help: 'build a pool', desc: 'Make the storage of an inactive pool: a dir pool\'s directory, with the target\'s owner and mode.',
    opts: BUILD_OPTS.slice(1),
    done: (n) => `Pool ${n} built`, failed: (n) => `Failed to build pool ${n}`,
    call: (c, ref, a) => c.buildPool(ref, { overwrite: a.bool('overwrite'), noOverwrite: a.bool('no-overwrite') }),
  }),
  poolAction({
    name: 'pool-start', help: 'start a (previously defined) inactive pool', desc: 'Start a pool from its stored definition and read its volumes; with --build make its storage first.',
    opts: BUILD_OPTS,
    done: (n) => `Pool ${n} started`, failed: (n) => `Failed to start pool ${n}`,
    call: (c, ref, a) => c.startPool(ref, buildOpts(a)),
  }),
  poolAction({
    name: 'pool-destroy', help: 'destroy (stop) a pool', desc: 'Stop an active pool. Its volumes stay where they are; a transient pool is gone.',
    done: (n) => `Pool ${n} destroyed`, failed: (n) => `Failed to destroy pool ${n}`,
    call: (c, ref) => c.destroyPool(ref),
  }),
  poolAction({
    name: 'pool-delete', help: 'delete a pool', desc: 'Remove the storage of an inactive pool: a dir pool\'s directory, only when it is empty.',
    done: (n) => `Pool ${n} deleted`, failed: (n) => `Failed to delete pool ${n}`,
    call: (c, ref) => c.deletePool(ref),
  }),
  poolAction({
    name: 'pool-undefine', help: 'undefine an inactive pool', desc: 'Forget the definition of an inactive persistent pool; its storage stays.',
    done: (n) => `Pool ${n} has been undefined`, failed: (n) => `Failed to undefine pool ${n}`,
    call: (c, ref) => c.undefinePool(ref),
  }),
  poolAction({
    name: 'pool-autostart', help: 'autostart a pool', desc: 'Mark a persistent pool to start whenever vireod starts (before autostart guests), or with --disable stop doing so.',
    opts: [flag('disable', 'turn autostart off')],
    done: (n, a) => (a.bool('disable') ? `Pool ${n} unmarked as autostarted` : `Pool ${n} marked as autostarted`),
    failed: (n, a) => (a.bool('disable') ? `failed to unmark pool ${n} as autostarted` : `failed to mark pool ${n} as autostarted`),
    call: (c, ref, a) => c.setPoolAutostart(ref, !a.bool('disable')),
  }),
  poolAction({
    name: 'pool-refresh', help: 'refresh a pool', desc: 'Read an active pool\'s sizes and volumes again from its storage.',
    done: (n) => `Pool ${n} refreshed`, failed: (n) => `Failed to refresh pool ${n}`,
    call: (c, ref) => c.refreshPool(ref),
  }),
  {
    name: 'pool-list', group: 'pool', json: true,
    help: 'list pools',
    desc: 'List active storage pools, or with --all every pool, sorted by name; --type takes a comma-separated list of types.',
    opts: [...LIST_FLAGS.map(([name, , help]) => flag(name, help)), { name: 'type', type: 'string', namedOnly: true, help: 'only pools of these types (comma-separated)' }],
    async run(ctx, args) {
      const o: PoolListOptions = { quiet: ctx.quiet };
      for (const [name, key] of LIST_FLAGS) if (args.bool(name)) (o as Record<string, boolean>)[key] = true;
      const type = args.str('type');
      if (type !== undefined) o.type = type;
      const c = await ctx.client();
      const pools = await poolAttempt(null, null, () => c.listPools());
      if (args.bool('json')) ctx.json(selectPools(pools, o));
      else ctx.print(formatPoolList(pools, o));
    },
  },
  {
    name: 'pool-info', group: 'pool', json: true,
    help: 'storage pool information',
    desc: 'Print a pool\'s name, UUID, state, persistence, autostart and, when active, its capacity, allocation and free space.',
    opts: [poolOpt(), flag('bytes', 'print sizes in bytes')],
    async run(ctx, args) {
      const ref = args.need('pool');
      const c = await ctx.client();
      const p = await poolAttempt(ref, null, () => c.getPool(ref));
      if (args.bool('json')) ctx.json(p);
      else ctx.print(formatPoolInfo(p, args.bool('bytes')));
    },
  },
  {
    name: 'pool-dumpxml', group: 'pool',
    help: 'pool information in XML',
    desc: 'Print the pool\'s libvirt XML, with its sizes and target permissions while it runs.',
    opts: [poolOpt(), flag('inactive', 'print the stored definition')],
    async run(ctx, args) {
      const ref = args.need('pool');
      const c = await ctx.client();
      ctx.print(await poolAttempt(ref, null, () => c.poolXml(ref, { inactive: args.bool('inactive') })));
    },
  },
  {
    name: 'pool-edit', group: 'pool', writes: true,
    help: 'edit XML configuration for a storage pool',
    desc: 'Open the stored XML of a pool in $VISUAL or $EDITOR (default vi), then define the pool from the result.',
    opts: [poolOpt()],
    async run(ctx, args) {
      const ref = args.need('pool');
      const c = await ctx.client();
      const pool = await poolAttempt(ref, null, () => c.getPool(ref));
      if (ctx.readonly) fail(READ_ONLY);
      const original = await poolAttempt(ref, null, () => c.poolXml(pool.uuid, { inactive: true }));
      const { editXml } = await import('../editing.js');
      await editXml(ctx, {
        original, label: `Pool ${pool.name}`, validate: false, relaxable: false,
        define: async (xml) => `Pool ${(await c.definePool(xml)).name} XML configuration edited.`,
      });
    },
  },
  lookupField('pool-uuid', 'convert a pool name to pool UUID', (p) => p.uuid, 'uuid'),
  lookupField('pool-name', 'convert a pool UUID to pool name', (p) => p.name, 'name'),
  {
    name: 'pool-capabilities', group: 'pool',
    help: 'storage pool capabilities',
    desc: 'Print libvirt\'s storage pool capabilities XML: every pool type, whether this vireo runs it, and its formats.',
    opts: [],
    async run(ctx) {
      const c = await ctx.client();
      ctx.print(await poolAttempt(null, null, () => c.poolCapabilities()));
    },
  },
  resourceEventCommand<PoolEvent>({
    name: 'pool-event', group: 'pool',
    help: 'Storage Pool Events',
    desc: 'Print pool events (lifecycle: Defined, Undefined, Started, Stopped, Deleted; refresh) as they happen: the first one,\n'
      + 'or with --loop every one until --timeout or Ctrl+C. The exit status is 1 when no event was received.',
    resource: { opt: 'pool', help: 'only events of this pool (name or UUID)', lookup: (c, ref) => poolAttempt(ref, null, () => c.getPool(ref)) },
    types: POOL_EVENT_NAMES, typeHelp: 'the event type to wait for: lifecycle or refresh (see --list)',
    subscribe: (c, on, end) => c.poolEvents(on, end),
    uuidOf: (e) => e.pool.uuid,
    isType: (e, type) => (e.event === 'Refreshed') === (type === 'refresh'),
    format: (e) => formatPoolEvent(e.pool.name, e.event),
  }),
];

/** pool-uuid / pool-name: look a pool up (by name or UUID) and print one field. */
function lookupField(name: string, help: string, show: (p: PoolSummary) => string, key: string): CommandDef {
  return {
    name, group: 'pool', help, desc: `${help[0]!.toUpperCase()}${help.slice(1)}.`, json: true,
    opts: [poolOpt(key === 'uuid' ? 'pool name' : 'pool UUID')],
    async run(ctx, args) {
      const ref = args.need('pool');
      const c = await ctx.client();
      const p = await poolAttempt(ref, null, () => c.getPool(ref));
      if (args.bool('json')) ctx.json({ [key]: show(p) });
      else ctx.print(`${show(p)}\n`);
    },
  };
}
