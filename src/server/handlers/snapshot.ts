/** Handlers of the snapshot routes: each turns one checked request into one call of daemon/domain/snapshot.ts. */
import type { SnapshotDeleteRequest } from '../../api/types.js';
import {
  createSnapshot, deleteSnapshot, listSnapshots, revertSnapshot, setCurrent, snapshotInfo, snapshotXml,
} from '../../daemon/domain/snapshot.js';
import { field, type HandlerTable } from './call.js';

type SnapshotId = 'snapshot.list' | 'snapshot.create' | 'snapshot.info' | 'snapshot.xml' | 'snapshot.setCurrent' | 'snapshot.revert' | 'snapshot.delete';

const done = async (p: Promise<void>): Promise<Record<string, never>> => {
  await p;
  return {};
};

export const snapshotHandlers: HandlerTable<SnapshotId> = {
  'snapshot.list': ({ daemon, ref, query }) => listSnapshots(daemon.domains.host, ref, {
    roots: query.flag('roots'), leaves: query.flag('leaves'), noLeaves: query.flag('noLeaves'), from: query.str('from'),
    descendants: query.flag('descendants'), topological: query.flag('topological'), internal: query.flag('internal'), external: query.flag('external'),
  }),
  'snapshot.create': async ({ daemon, ref, body }) => ({ name: await createSnapshot(daemon.domains.host, ref, field.str(body, 'xml')) }),
  'snapshot.info': ({ daemon, ref, query }) => snapshotInfo(daemon.domains.host, ref, query.str('name')),
  'snapshot.xml': async ({ daemon, ref, query }) => ({ xml: await snapshotXml(daemon.domains.host, ref, query.str('name') ?? '') }),
  'snapshot.setCurrent': ({ daemon, ref, body }) => done(setCurrent(daemon.domains.host, ref, field.str(body, 'name'))),
  'snapshot.revert': ({ daemon, ref, body }) => done(revertSnapshot(daemon.domains.host, ref, field.str(body, 'name'))),
  'snapshot.delete': ({ daemon, ref, body }) => {
    const r = body as unknown as SnapshotDeleteRequest;
    return done(deleteSnapshot(daemon.domains.host, ref, r.name, r));
  },
};
