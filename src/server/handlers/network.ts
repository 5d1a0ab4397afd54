/** Handlers of the network routes: each turns one checked request into one NetworkService call. */
import type { NetworkUpdateRequest, XmlResponse } from '../../api/types.js';
import { field, type HandlerTable } from './call.js';

type NetworkId = 'network.list' | 'network.define' | 'network.create' | 'network.get' | 'network.undefine' | 'network.xml'
  | 'network.start' | 'network.destroy' | 'network.autostart' | 'network.update' | 'network.leases';

const { str, bool } = field;

export const networkHandlers: HandlerTable<NetworkId> = {
  'network.list': ({ daemon }) => daemon.networks.list(),
  'network.define': ({ daemon, body }) => daemon.networks.define(str(body, 'xml')),
  'network.create': ({ daemon, body }) => daemon.networks.create(str(body, 'xml')),
  'network.get': ({ daemon, ref }) => daemon.networks.lookup(ref).summary(),
  'network.undefine': ({ daemon, ref }) => daemon.networks.undefine(ref),
  'network.xml': ({ daemon, ref, query }): XmlResponse => ({ xml: daemon.networks.dumpXml(ref, { inactive: query.flag('inactive') }) }),
  'network.start': ({ daemon, ref }) => daemon.networks.start(ref),
  'network.destroy': ({ daemon, ref }) => daemon.networks.destroy(ref),
  'network.autostart': ({ daemon, ref, body }) => daemon.networks.setAutostart(ref, bool(body, 'enabled')),
  'network.update': async ({ daemon, ref, body }): Promise<Record<string, never>> => {
    const r: NetworkUpdateRequest = { command: str(body, 'command'), section: str(body, 'section'), xml: str(body, 'xml'), live: bool(body, 'live'), config: bool(body, 'config') };
    if (typeof body.parentIndex === 'number') r.parentIndex = body.parentIndex;
    await daemon.networks.update(ref, r);
    return {};
  },
  'network.leases': ({ daemon, ref, query }) => daemon.networks.leases(ref, query.str('mac')),
};
