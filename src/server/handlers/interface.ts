/** Handlers of the host interface routes: each turns one checked request into one InterfaceService call. */
import type { XmlResponse } from '../../api/types.js';
import { field, type HandlerTable } from './call.js';

type InterfaceId = 'interface.list' | 'interface.define' | 'interface.get' | 'interface.undefine' | 'interface.xml' | 'interface.start'
  | 'interface.destroy' | 'interface.bridge' | 'interface.unbridge' | 'interface.begin' | 'interface.commit' | 'interface.rollback';

const { str, bool } = field;
const done = (): Record<string, never> => ({});

export const interfaceHandlers: HandlerTable<InterfaceId> = {
  'interface.list': ({ daemon }) => daemon.interfaces.list(),
  'interface.define': ({ daemon, body }) => daemon.interfaces.define(str(body, 'xml')),
  'interface.get': ({ daemon, ref }) => daemon.interfaces.lookup(ref),
  'interface.undefine': ({ daemon, ref }) => daemon.interfaces.undefine(ref),
  'interface.xml': async ({ daemon, ref, query }): Promise<XmlResponse> => ({ xml: await daemon.interfaces.dumpXml(ref, { inactive: query.flag('inactive') }) }),
  'interface.start': ({ daemon, ref }) => daemon.interfaces.start(ref),
  'interface.destroy': ({ daemon, ref }) => daemon.interfaces.destroy(ref),
  'interface.bridge': ({ daemon, ref, body }) => daemon.interfaces.bridge(ref, str(body, 'bridge'), {
    stp: bool(body, 'stp'), ...(typeof body.delay === 'number' ? { delay: body.delay } : {}),
  }),
  'interface.unbridge': ({ daemon, ref }) => daemon.interfaces.unbridge(ref),
  'interface.begin': async ({ daemon }) => daemon.interfaces.begin().then(done),
  'interface.commit': async ({ daemon }) => daemon.interfaces.commit().then(done),
  'interface.rollback': async ({ daemon }) => daemon.interfaces.rollback().then(done),
};
