/** Handlers of the routes on a running guest's disks (blockresize): each calls one daemon/domain operation module. */
import { blockResize } from '../../daemon/domain/blockops.js';
import { field, type HandlerTable } from './call.js';

type BlockId = 'domain.blockResize';

export const domainBlockHandlers: HandlerTable<BlockId> = {
  'domain.blockResize': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await blockResize(daemon.domains.host, ref, field.str(body, 'disk'), body.bytes as number);
    return {};
  },
};
