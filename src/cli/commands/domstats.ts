/** domstats: many domains' statistics in one call, printed as virsh 9.0 prints them. */
import { isVireoError } from '../../api/errors.js';
import { STATS_FILTERS, STATS_GROUPS, type DomainStatsRequest } from '../../api/stats-types.js';
import { attempt, fail } from '../errors.js';
import { formatDomainStats } from '../statsformat.js';
import { flag } from './opts.js';
import type { CommandDef } from './types.js';

const GROUP_HELP: Record<(typeof STATS_GROUPS)[number], string> = {
  state: 'report domain state',
  'cpu-total': 'report domain physical cpu usage',
  balloon: 'report domain balloon statistics',
  vcpu: 'report domain virtual cpu information',
  interface: 'report domain network interface information',
  block: 'report domain block device statistics',
  perf: 'report domain perf event statistics',
  iothread: 'report domain IOThread information',
  memory: 'report domain memory usage',
  dirtyrate: 'report domain dirty rate information',
  vm: 'report hypervisor-specific statistics',
};

const FILTER_HELP: Record<(typeof STATS_FILTERS)[number], string> = {
  active: 'list only active domains', inactive: 'list only inactive domains', persistent: 'list only persistent domains',
  transient: 'list only transient domains', running: 'list only running domains', paused: 'list only paused domains',
  shutoff: 'list only shutoff domains', other: 'list only domains in other states',
};

export const domStatsCommands: readonly CommandDef[] = [{
  name: 'domstats', group: 'monitor', json: true,
  help: 'get statistics about one or multiple domains',
  desc: 'Gets statistics about one or more (or all) domains, in one call to the daemon. vireo collects no perf events,\n'
    + 'memory-bandwidth or hypervisor-specific statistics: those groups print nothing.',
  opts: [
    ...STATS_GROUPS.map((g) => flag(g, GROUP_HELP[g])),
    ...STATS_FILTERS.map((f) => flag(`list-${f}`, FILTER_HELP[f])),
    flag('raw', 'do not pretty-print the fields'),
    flag('enforce', 'enforce requested stats parameters'),
    flag('backing', 'add backing chain information to block stats'),
    flag('nowait', 'report only stats that are accessible instantly'),
    { name: 'domain', type: 'argv', help: 'list of domains to get stats for' },
  ],
  async run(ctx, args) {
    const domains = [...args.list('domain')];
    const groups = STATS_GROUPS.filter((g) => args.bool(g));
    const filters = STATS_FILTERS.filter((f) => args.bool(`list-${f}`));
    const req: DomainStatsRequest = { groups, ...(args.bool('enforce') ? { enforce: true } : {}), ...(args.bool('backing') ? { backing: true } : {}), ...(args.bool('nowait') ? { nowait: true } : {}) };
    // virsh applies the --list-* filters only when no domain is named.
    if (domains.length > 0) req.domains = domains;
    else req.filters = filters;
    const c = await ctx.client();
    const records = await attempt(null, null, async () => {
      try {
        return await c.domainStats(req);
      } catch (e) {
        // A domain that does not exist: virsh's own line, naming it as the user wrote it.
        const missing = isVireoError(e) && e.code === 'NO_DOMAIN' ? domains.find((d) => e.message.endsWith(`'${d}'`)) : undefined;
        if (missing !== undefined) fail(`failed to get domain '${missing}'`);
        throw e;
      }
    });
    if (args.bool('json')) return ctx.json(records);
    ctx.print(formatDomainStats(records));
  },
}];
