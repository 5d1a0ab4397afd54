/**
 * find-storage-pool-sources and find-storage-pool-sources-as: the storage a host offers for a
 * pool type (LVM volume groups; a server's NFS exports; an iSCSI portal's targets), printed as
 * libvirt's <sources> XML.
 */
import { sourceSpecXml } from '../poolformat.js';
import { poolAttempt } from './pool.js';
import { readXmlFile } from './domain.js';
import type { CommandDef } from './types.js';

const typeOpt = { name: 'type', type: 'data', required: true, help: 'type of storage pool sources to find' } as const;
const failed = (type: string): string => `Failed to find any ${type} pool sources`;

export const poolSourceCommands: CommandDef[] = [
  {
    name: 'find-storage-pool-sources', group: 'pool', writes: true,
    help: 'discover potential storage pool sources',
    desc: 'Returns XML <sources> document: the volume groups of this host (logical), the NFS exports of the host\n'
      + 'named in the source specification (netfs), or the targets its iSCSI portal offers (iscsi-direct).',
    opts: [typeOpt, { name: 'srcSpec', type: 'data', help: 'optional file of source xml to query for pools' }],
    async run(ctx, args) {
      const type = args.need('type');
      const file = args.str('srcSpec');
      const spec = file === undefined ? undefined : await poolAttempt(null, failed(type), () => readXmlFile(file));
      const c = await ctx.client();
      ctx.print(await poolAttempt(null, failed(type), () => c.findPoolSources(type, spec)));
    },
  },
  {
    name: 'find-storage-pool-sources-as', group: 'pool', writes: true,
    help: 'find potential storage pool sources',
    desc: 'Returns XML <sources> document.',
    opts: [
      typeOpt,
      { name: 'host', type: 'string', help: 'optional host to query' },
      { name: 'port', type: 'string', help: 'optional port to query' },
      { name: 'initiator', type: 'string', help: 'optional initiator IQN to use for query' },
    ],
    async run(ctx, args) {
      const type = args.need('type');
      const c = await ctx.client();
      const spec = sourceSpecXml(args.str('host'), args.str('port'), args.str('initiator'));
      ctx.print(await poolAttempt(null, failed(type), () => c.findPoolSources(type, spec)));
    },
  },
];
