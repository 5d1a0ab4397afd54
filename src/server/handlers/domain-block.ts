/** Handlers of the routes on a running guest's disks (blockresize): each calls one daemon/domain operation module. */
import { blockResize, setBlockThreshold } from '../../daemon/domain/blockops.js';
import { field, type HandlerTable } from './call.js';

type BlockId = 'domain.blockResize' | 'domain.blockThreshold';

export const domainBlockHandlers: HandlerTable<BlockId> = {
  'domain.blockResize': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await blockResize(daemon.domains.host, ref, field.str(body, 'disk'), body.bytes as number);
    return {};
  },
  'domain.blockThreshold': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await setBlockThreshold(daemon.domains.host, ref, field.str(body, 'disk'), body.bytes as number);
    return {};
  },
};
