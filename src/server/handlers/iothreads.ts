/** Handlers of the I/O thread routes (iothreadinfo, iothreadadd, iothreaddel, iothreadpin, iothreadset). */
import type { IothreadPinRequest, IothreadRequest, IothreadSetRequest } from '../../api/types.js';
import { addIothread, delIothread, iothreadInfo, pinIothread, setIothread } from '../../daemon/domain/iothreads.js';
import type { HandlerTable } from './call.js';

type IothreadId = 'domain.iothreads' | 'domain.addIothread' | 'domain.delIothread' | 'domain.pinIothread' | 'domain.setIothread';

// Bodies were checked against their schemas (IothreadRequest, ...) before they got here.
const done = async (p: Promise<void>): Promise<Record<string, never>> => {
  await p;
  return {};
};

export const iothreadHandlers: HandlerTable<IothreadId> = {
  'domain.iothreads': ({ daemon, ref, query }) => iothreadInfo(daemon.domains.host, ref, { live: query.flag('live'), config: query.flag('config') }),
  'domain.addIothread': ({ daemon, ref, body }) => done(addIothread(daemon.domains.host, ref, body as unknown as IothreadRequest)),
  'domain.delIothread': ({ daemon, ref, body }) => done(delIothread(daemon.domains.host, ref, body as unknown as IothreadRequest)),
  'domain.pinIothread': ({ daemon, ref, body }) => done(pinIothread(daemon.domains.host, ref, body as unknown as IothreadPinRequest)),
  'domain.setIothread': ({ daemon, ref, body }) => done(setIothread(daemon.domains.host, ref, body as unknown as IothreadSetRequest)),
};
