/** Handlers of the routes on a running guest's disks (blockresize): each calls one daemon/domain operation module. */
import type { IoTuneRequest } from '../../api/types.js';
import { blockResize, setBlockThreshold } from '../../daemon/domain/blockops.js';
import { getIoTune, setIoTune } from '../../daemon/domain/iotune.js';
import { field, type HandlerTable } from './call.js';

type BlockId = 'domain.blockResize' | 'domain.blockThreshold' | 'domain.ioTune' | 'domain.setIoTune';

export const domainBlockHandlers: HandlerTable<BlockId> = {
  'domain.blockResize': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await blockResize(daemon.domains.host, ref, field.str(body, 'disk'), body.bytes as number);
    return {};
  },
  'domain.ioTune': ({ daemon, ref, query }) =>
    getIoTune(daemon.domains.host, ref, query.str('disk') ?? '', { live: query.flag('live'), config: query.flag('config') }),
  'domain.setIoTune': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    const r: IoTuneRequest = { disk: field.str(body, 'disk'), values: body.values as IoTuneRequest['values'], live: field.bool(body, 'live'), config: field.bool(body, 'config') };
    await setIoTune(daemon.domains.host, ref, r.disk, r);
    return {};
  },
  'domain.blockThreshold': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    await setBlockThreshold(daemon.domains.host, ref, field.str(body, 'disk'), body.bytes as number);
    return {};
  },
};
