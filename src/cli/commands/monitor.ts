/** Domain Monitoring commands: list, dominfo, domstate. */
import { attempt, fail } from '../errors.js';
import type { DomainSummary } from '../../api/types.js';
import { filterDomains, formatDomInfo, formatDomState, formatList, sortDomains, type ListOptions } from '../format.js';
import type { CommandDef, OptDef } from './types.js';
import { flag } from './opts.js';


/** list's flags in virsh's order, each with the ListOptions key it sets. */
const LIST_FLAGS: ReadonlyArray<readonly [string, keyof ListOptions, string]> = [
  ['inactive', 'inactive', 'list only domains that are shut off'],
  ['all', 'all', 'list running and shut off domains'],
  ['transient', 'transient', 'list transient domains'],
  ['persistent', 'persistent', 'list persistent domains'],
  ['with-snapshot', 'withSnapshot', 'list domains that have a snapshot'],
  ['without-snapshot', 'withoutSnapshot', 'list domains that have no snapshot'],
  ['with-checkpoint', 'withCheckpoint', 'list domains that have a checkpoint'],
  ['without-checkpoint', 'withoutCheckpoint', 'list domains that have no checkpoint'],
  ['state-running', 'stateRunning', 'list running domains'],
  ['state-paused', 'statePaused', 'list paused domains'],
  ['state-shutoff', 'stateShutoff', 'list shut off domains'],
  ['state-other', 'stateOther', 'list domains in any other state'],
  ['autostart', 'autostart', 'list domains that start with the daemon'],
  ['no-autostart', 'noAutostart', 'list domains that do not start with the daemon'],
  ['with-managed-save', 'withManagedSave', 'list domains that have a managed save image'],
  ['without-managed-save', 'withoutManagedSave', 'list domains that have no managed save image'],
  ['uuid', 'uuid', 'print only UUIDs'],
  ['name', 'name', 'print only names'],
  ['id', 'id', 'print only ids of running domains'],
  ['table', 'table', 'print a table (the default)'],
  ['managed-save', 'managedSave', 'show shut off domains with a managed save image as "saved"'],
  ['title', 'title', 'add a column with each domain\'s title'],
];

/** One domain in `list --json`. */
function listEntry(d: DomainSummary): Record<string, unknown> {
  return {
    id: d.id, name: d.name, uuid: d.uuid, state: d.state, reason: d.reason, persistent: d.persistent,
    autostart: d.autostart, managedSave: d.managedSave, title: d.title,
  };
}

const domainOpt: OptDef = { name: 'domain', type: 'data', required: true, help: 'domain name, id or UUID' };

export const monitorCommands: readonly CommandDef[] = [
  {
    name: 'list', group: 'monitor', json: true,
    help: 'list domains',
    desc: 'List running domains, or with --all every domain, sorted by id and then by name.',
    opts: LIST_FLAGS.map(([name, , help]) => flag(name, help)),
    async run(ctx, args) {
      for (const other of ['name', 'uuid', 'id']) {
        if (args.bool('table') && args.bool(other)) fail(`Options --table and --${other} are mutually exclusive`);
      }
      const o: ListOptions = { quiet: ctx.quiet };
      for (const [name, key] of LIST_FLAGS) {
        if (args.bool(name)) (o as Record<string, boolean>)[key] = true;
      }
      const c = await ctx.client();
      const domains = await attempt(null, null, () => c.listDomains());
      if (args.bool('json')) {
        ctx.json(sortDomains(filterDomains(domains, o)).map(listEntry));
        return;
      }
      ctx.print(formatList(domains, o));
    },
  },
  {
    name: 'dominfo', group: 'monitor', json: true,
    help: 'print basic facts about a domain',
    desc: 'Print a domain\'s id, name, UUID, state, CPUs, memory and whether it is persistent and autostarted.',
    opts: [domainOpt],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      if (args.bool('json')) ctx.json(d);
      else ctx.print(formatDomInfo(d));
    },
  },
  {
    name: 'domstate', group: 'monitor', json: true,
    help: 'print the state of a domain',
    desc: 'Print a domain\'s state, and with --reason why it is in that state.',
    opts: [domainOpt, flag('reason', 'also print the reason for the state')],
    async run(ctx, args) {
      const ref = args.need('domain');
      const c = await ctx.client();
      const d = await attempt(ref, null, () => c.getDomain(ref));
      if (args.bool('json')) ctx.json({ state: d.state, reason: d.reason });
      else ctx.print(formatDomState(d, args.bool('reason')));
    },
  },
];
