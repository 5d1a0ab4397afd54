/**
 * Snapshots: snapshot-create, -create-as, -list, -info, -current, -dumpxml, -parent, -revert and
 * -delete with virsh 9.0's options, messages and output (compared with libvirt-ref). Options
 * vireo cannot honour yet are refused by name, never ignored.
 */
import type { SnapshotListQuery, SnapshotSummary } from '../../api/types.js';
import { attempt, fail } from '../errors.js';
import { snapshotInfo, snapshotTable, snapshotTree } from '../snapformat.js';
import { flag } from './opts.js';
import { readXmlFile } from './save.js';
import type { Args, CliClient, CommandDef, OptDef } from './types.js';

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or uuid' };

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Options virsh has that vireo does not do yet: refused by name. */
function notYet(args: Args, names: readonly string[]): void {
  for (const n of names) if (args.has(n)) fail(`--${n} is not supported by vireo yet`);
}

/** The snapshot an option or --current names (virsh's vshLookupSnapshot: one of them is required). */
async function pick(c: CliClient, ref: string, args: Args, opt = 'snapshotname'): Promise<string> {
  const name = args.str(opt);
  if (name !== undefined && args.bool('current')) fail(`Options --${opt} and --current are mutually exclusive`);
  if (name !== undefined) return name;
  if (!args.bool('current')) fail(`--${opt} or --current is required`);
  return (await attempt(ref, null, () => c.snapshotInfo(ref))).name;
}

async function current(c: CliClient, ref: string): Promise<string | undefined> {
  try {
    return (await c.snapshotInfo(ref)).name;
  } catch {
    return undefined;
  }
}

const CREATE_NOT_YET = ['no-metadata', 'halt', 'disk-only', 'reuse-external', 'quiesce', 'atomic', 'live', 'validate'];
const createFlags: OptDef[] = [
  flag('no-metadata', 'take snapshot but create no metadata'),
  flag('halt', 'halt domain after snapshot is created'),
  flag('disk-only', 'capture disk state but not vm state'),
  flag('reuse-external', 'reuse any existing external files'),
  flag('quiesce', "quiesce guest's file systems"),
  flag('atomic', 'require atomic operation'),
  flag('live', 'take a live snapshot'),
  flag('validate', 'validate the XML against the schema'),
];

function listQuery(args: Args): SnapshotListQuery {
  return {
    roots: args.bool('roots'), leaves: args.bool('leaves'), noLeaves: args.bool('no-leaves'), from: args.str('from'),
    descendants: args.bool('descendants'), topological: args.bool('topological'), internal: args.bool('internal'), external: args.bool('external'),
  };
}

export const snapshotCommands: readonly CommandDef[] = [
  {
    name: 'snapshot-create', group: 'snapshot', writes: true,
    help: 'Create a snapshot from XML',
    desc: 'Create a snapshot (disk and RAM) from XML',
    opts: [domainOpt, { name: 'xmlfile', type: 'string', complete: 'file', help: 'domain snapshot XML' },
      flag('redefine', 'redefine metadata for existing snapshot'), flag('current', 'with redefine, set current snapshot'), ...createFlags],
    async run(ctx, args) {
      const ref = args.need('domain');
      notYet(args, ['redefine', 'current', ...CREATE_NOT_YET]);
      const file = args.str('xmlfile');
      const xml = file === undefined ? '<domainsnapshot/>' : await readXmlFile(file);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const name = await attempt(ref, null, () => c.createSnapshot(ref, xml));
      ctx.print(file === undefined ? `Domain snapshot ${name} created` : `Domain snapshot ${name} created from '${file}'`);
    },
  },
  {
    name: 'snapshot-create-as', group: 'snapshot', writes: true,
    help: 'Create a snapshot from a set of args',
    desc: 'Create a snapshot (disk and RAM) from arguments',
    opts: [domainOpt, { name: 'name', type: 'string', help: 'name of snapshot' },
      { name: 'description', type: 'string', help: 'description of snapshot' },
      flag('print-xml', 'print XML document rather than create'), ...createFlags,
      { name: 'memspec', type: 'string', namedOnly: true, help: 'memory attributes: [file=]name[,snapshot=type]' },
      { name: 'diskspec', type: 'string', help: 'disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]' }],
    async run(ctx, args) {
      const ref = args.need('domain');
      const name = args.str('name');
      const desc = args.str('description');
      for (const o of ['memspec', 'diskspec']) if (args.has(o)) fail(`--${o} is not supported by vireo yet`);
      const body = [name !== undefined && `  <name>${xmlText(name)}</name>`, desc !== undefined && `  <description>${xmlText(desc)}</description>`].filter((l): l is string => l !== false);
      const xml = body.length === 0 ? '<domainsnapshot/>\n' : `<domainsnapshot>\n${body.join('\n')}\n</domainsnapshot>\n`;
      if (args.bool('print-xml')) return ctx.print(xml);
      notYet(args, CREATE_NOT_YET);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const made = await attempt(ref, null, () => c.createSnapshot(ref, xml));
      ctx.print(`Domain snapshot ${made} created`);
    },
  },
  {
    name: 'snapshot-list', group: 'snapshot', json: true,
    help: 'List snapshots for a domain',
    desc: 'Snapshot List',
    opts: [domainOpt,
      flag('parent', 'add a column showing parent snapshot'), flag('roots', 'list only snapshots without parents'),
      flag('leaves', 'list only snapshots without children'), flag('no-leaves', 'list only snapshots that are not leaves (with children)'),
      flag('metadata', 'list only snapshots that have metadata that would prevent undefine'),
      flag('no-metadata', 'list only snapshots that have no metadata managed by libvirt'),
      flag('inactive', 'filter by snapshots taken while inactive'), flag('active', 'filter by snapshots taken while active (full system snapshots)'),
      flag('disk-only', 'filter by disk-only snapshots'), flag('internal', 'filter by internal snapshots'), flag('external', 'filter by external snapshots'),
      flag('tree', 'list snapshots in a tree'), { name: 'from', type: 'string', help: 'limit list to children of given snapshot' },
      flag('current', 'limit list to children of current snapshot'), flag('descendants', 'with --from, list all descendants'),
      flag('name', 'list snapshot names only'), flag('topological', 'sort list topologically rather than by name')],
    async run(ctx, args) {
      const ref = args.need('domain');
      for (const [a, b] of [['tree', 'name'], ['parent', 'roots'], ['parent', 'tree'], ['roots', 'tree'], ['roots', 'from'], ['roots', 'current'], ['leaves', 'tree'], ['no-leaves', 'tree'], ['from', 'current']] as const) {
        if (args.bool(a) || (a === 'from' && args.has(a))) {
          if (args.bool(b) || (b === 'from' && args.has(b))) fail(`Options --${a} and --${b} are mutually exclusive`);
        }
      }
      notYet(args, ['metadata', 'no-metadata', 'inactive', 'active', 'disk-only', 'current']);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const q = listQuery(args);
      const list = await attempt(ref, null, () => c.listSnapshots(ref, q));
      if (args.bool('json')) return ctx.json(list);
      if (args.bool('tree')) {
        let rows: SnapshotSummary[] = list;
        if (q.from !== undefined) {
          // virsh draws --from's snapshot as the root of what it lists.
          const top = await attempt(ref, null, () => c.snapshotInfo(ref, q.from));
          const { parent: _p, ...root } = top;
          rows = [root, ...list];
        }
        return ctx.print(snapshotTree(rows));
      }
      if (args.bool('name')) return ctx.print(list.map((s) => `${s.name}\n`).join(''));
      ctx.print(snapshotTable(list, { parent: args.bool('parent') }));
    },
  },
  {
    name: 'snapshot-info', group: 'snapshot', json: true,
    help: 'snapshot information',
    desc: 'Returns basic information about a snapshot.',
    opts: [domainOpt, { name: 'snapshotname', type: 'string', help: 'snapshot name' }, flag('current', 'info on current snapshot')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const name = await pick(c, ref, args);
      const s = await attempt(ref, null, () => c.snapshotInfo(ref, name));
      if (args.bool('json')) return ctx.json(s);
      ctx.print(snapshotInfo(ref, s));
    },
  },
  {
    name: 'snapshot-current', group: 'snapshot', writes: true,
    help: 'Get or set the current snapshot',
    desc: 'Get or set the current snapshot',
    opts: [domainOpt, flag('name', 'list the name, rather than the full xml'),
      flag('security-info', 'include security sensitive information in XML dump'),
      { name: 'snapshotname', type: 'string', help: 'name of existing snapshot to make current' }],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const set = args.str('snapshotname');
      if (set !== undefined) {
        if (args.bool('name')) fail('Options --name and --snapshotname are mutually exclusive');
        await attempt(ref, null, () => c.setCurrentSnapshot(ref, set));
        return ctx.print(`Snapshot ${set} set as current`);
      }
      const name = await current(c, ref);
      if (name === undefined) fail(`domain '${ref}' has no current snapshot`);
      if (args.bool('name')) return ctx.print(name);
      ctx.print(await attempt(ref, null, () => c.snapshotXml(ref, name)));
    },
  },
  {
    name: 'snapshot-dumpxml', group: 'snapshot',
    help: 'Dump XML for a domain snapshot',
    desc: 'Snapshot Dump XML',
    opts: [domainOpt, { name: 'snapshotname', type: 'string', required: true, help: 'snapshot name' },
      flag('security-info', 'include security sensitive information in XML dump'),
      { name: 'xpath', type: 'string', help: 'xpath expression to filter the XML document' },
      flag('wrap', 'wrap xpath results in an common root element')],
    async run(ctx, args) {
      const ref = args.need('domain');
      if (args.has('xpath')) fail('--xpath is not supported by vireo yet; pipe the XML through xmllint --xpath instead');
      const name = args.need('snapshotname');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      ctx.print(await attempt(ref, null, () => c.snapshotXml(ref, name)));
    },
  },
  {
    name: 'snapshot-parent', group: 'snapshot',
    help: 'Get the name of the parent of a snapshot',
    desc: "Extract the snapshot's parent, if any",
    opts: [domainOpt, { name: 'snapshotname', type: 'string', help: 'find parent of snapshot name' }, flag('current', 'find parent of current snapshot')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const name = await pick(c, ref, args);
      const s = await attempt(ref, null, () => c.snapshotInfo(ref, name));
      if (s.parent === undefined) fail(`snapshot '${name}' has no parent`);
      ctx.print(s.parent);
    },
  },
  {
    name: 'snapshot-revert', group: 'snapshot', writes: true,
    help: 'Revert a domain to a snapshot',
    desc: 'Revert domain to snapshot',
    opts: [domainOpt, { name: 'snapshotname', type: 'string', help: 'snapshot name' }, flag('current', 'revert to current snapshot'),
      flag('running', 'after reverting, change state to running'), flag('paused', 'after reverting, change state to paused'),
      flag('force', 'try harder on risky reverts'), flag('reset-nvram', 're-initialize NVRAM from its pristine template')],
    async run(ctx, args) {
      const ref = args.need('domain');
      notYet(args, ['running', 'paused', 'force', 'reset-nvram']);
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const name = await pick(c, ref, args);
      await attempt(ref, null, () => c.revertSnapshot(ref, name));
      ctx.print(`Domain snapshot ${name} reverted\n`);
    },
  },
  {
    name: 'snapshot-delete', group: 'snapshot', writes: true,
    help: 'Delete a domain snapshot',
    desc: 'Snapshot Delete',
    opts: [domainOpt, { name: 'snapshotname', type: 'string', help: 'snapshot name' }, flag('current', 'delete current snapshot'),
      flag('children', 'delete snapshot and all children'), flag('children-only', 'delete children but not snapshot'),
      flag('metadata', 'delete only libvirt metadata, leaving snapshot contents behind')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      await attempt(ref, null, () => c.getDomain(ref));
      const name = await pick(c, ref, args);
      const childrenOnly = args.bool('children-only');
      await attempt(ref, null, () => c.deleteSnapshot(ref, { name, children: args.bool('children'), childrenOnly, metadata: args.bool('metadata') }));
      ctx.print(childrenOnly ? `Domain snapshot ${name} children deleted\n` : `Domain snapshot ${name} deleted\n`);
    },
  },
];
