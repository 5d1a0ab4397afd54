/** Handlers of the routes on a guest NIC's bandwidth limits (domiftune). */
import type { IfTuneRate, IfTuneRequest } from '../../api/types.js';
import { getIfTune, setIfTune } from '../../daemon/domain/iftune.js';
import { field, type HandlerTable } from './call.js';

type IfTuneId = 'domain.ifTune' | 'domain.setIfTune';

export const domainIfTuneHandlers: HandlerTable<IfTuneId> = {
  'domain.ifTune': ({ daemon, ref, query }) =>
    getIfTune(daemon.domains.host, ref, query.str('iface') ?? '', { live: query.flag('live'), config: query.flag('config') }),
  'domain.setIfTune': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    const r: IfTuneRequest = { iface: field.str(body, 'iface'), live: field.bool(body, 'live'), config: field.bool(body, 'config') };
    if (body.inbound !== undefined) r.inbound = body.inbound as IfTuneRate;
    if (body.outbound !== undefined) r.outbound = body.outbound as IfTuneRate;
    await setIfTune(daemon.domains.host, ref, r);
    return {};
  },
};
