/** Routes of a guest's snapshots, spread into routes.ts's declarations. */
const S = '/v1/domains/{ref}/snapshots';
const NAME = { name: 'name', type: 'string', description: 'the snapshot' } as const;

export const SNAPSHOT_ROUTES = [
  {
    id: 'snapshot.list', access: 'read', method: 'GET', path: S, response: 'SnapshotSummary', shape: 'array',
    summary: "the guest's snapshots, by name or parents first (snapshot-list)",
    query: [
      { name: 'roots', type: 'flag', description: 'only snapshots without a parent' },
      { name: 'leaves', type: 'flag', description: 'only snapshots without children' },
      { name: 'noLeaves', type: 'flag', description: 'only snapshots with children' },
      { name: 'from', type: 'string', description: "only this snapshot's children" },
      { name: 'descendants', type: 'flag', description: "with from: all its descendants; alone: every snapshot" },
      { name: 'topological', type: 'flag', description: 'parents before their children instead of name order' },
      { name: 'internal', type: 'flag', description: 'only snapshots inside the disk images' },
      { name: 'external', type: 'flag', description: 'only snapshots in overlay files' },
    ],
  },
  { id: 'snapshot.create', access: 'write', method: 'POST', path: S, summary: 'take a snapshot described by snapshot XML (snapshot-create, snapshot-create-as)', request: 'SnapshotCreateRequest', response: 'SnapshotName' },
  { id: 'snapshot.info', access: 'read', method: 'GET', path: `${S}/info`, summary: 'one snapshot, or the current one without a name (snapshot-info, snapshot-current)', response: 'SnapshotSummary', query: [NAME] },
  { id: 'snapshot.xml', access: 'read', method: 'GET', path: `${S}/xml`, summary: "a snapshot's XML (snapshot-dumpxml)", response: 'XmlResponse', query: [NAME] },
  { id: 'snapshot.setCurrent', access: 'write', method: 'POST', path: `${S}/current`, summary: 'make a snapshot the current one (snapshot-current NAME)', request: 'SnapshotName', response: 'Done' },
  { id: 'snapshot.revert', access: 'write', method: 'POST', path: `${S}/revert`, summary: "put the guest's disks back as a snapshot has them (snapshot-revert)", request: 'SnapshotName', response: 'Done' },
  { id: 'snapshot.delete', access: 'write', method: 'POST', path: `${S}/delete`, summary: 'delete a snapshot and/or its children (snapshot-delete)', request: 'SnapshotDeleteRequest', response: 'Done' },
] as const;
