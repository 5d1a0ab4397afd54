/**
 * find-storage-pool-sources and find-storage-pool-sources-as (virsh's "Storage Pool" group): ask
 * the daemon what a pool of a type could use, e.g. the targets an iSCSI portal offers, and print
 * libvirt's <sources> document. The -as form builds the <source> from host, port and initiator.
 */
import { CmdFailure, failureHint, failureLines } from '../errors.js';
import { esc } from '../poolformat.js';
import { readXmlFile } from './domain.js';
import type { CliClient, CommandDef, OptDef } from './types.js';

const typeOpt = (verb: string): OptDef => ({ name: 'type', type: 'data', required: true, help: `type of storage pool sources to ${verb}` });

async function find(c: CliClient, type: string, spec: string | undefined): Promise<string> {
  try {
    return await c.findPoolSources(type, spec);
  } catch (e) {
    throw new CmdFailure(failureLines(e, null, `Failed to find any ${type} pool sources`), failureHint(e));
  }
}

export const poolSourceCommands: CommandDef[] = [
  {
    name: 'find-storage-pool-sources', group: 'pool', writes: true,
    help: 'discover potential storage pool sources',
    desc: 'Returns XML <sources> document.',
    opts: [typeOpt('discover'), { name: 'srcSpec', type: 'string', help: 'optional file of source xml to query for pools' }],
    async run(ctx, args) {
      const file = args.str('srcSpec');
      const spec = file === undefined ? undefined : await readXmlFile(file);
      ctx.print(await find(await ctx.client(), args.need('type'), spec));
    },
  },
  {
    name: 'find-storage-pool-sources-as', group: 'pool', writes: true,
    help: 'find potential storage pool sources',
    desc: 'Returns XML <sources> document.',
    opts: [
      typeOpt('find'),
      { name: 'host', type: 'string', help: 'optional host to query' },
      { name: 'port', type: 'string', help: 'optional port to query' },
      { name: 'initiator', type: 'string', help: 'optional initiator IQN to use for query' },
    ],
    async run(ctx, args) {
      const host = args.str('host');
      const port = args.str('port');
      const initiator = args.str('initiator');
      // virsh sends a <source> only when a host is given, with the port and initiator it has.
      const spec = host === undefined ? undefined : `<source><host name='${esc(host)}'${port === undefined ? '' : ` port='${esc(port)}'`}/>`
        + `${initiator === undefined ? '' : `<initiator><iqn name='${esc(initiator)}'/></initiator>`}</source>`;
      ctx.print(await find(await ctx.client(), args.need('type'), spec));
    },
  },
];
