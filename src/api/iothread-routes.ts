/** Routes of a guest's I/O threads, spread into routes.ts's declarations. */
const D = '/v1/domains/{ref}/iothreads';

export const IOTHREAD_ROUTES = [
  {
    id: 'domain.iothreads', access: 'read', method: 'GET', path: D, response: 'IothreadEntry', shape: 'array',
    summary: "the guest's I/O threads and their CPU affinity, in QEMU's order when it runs (iothreadinfo)",
    query: [
      { name: 'live', type: 'flag', description: "the running guest's (its threads' affinity)" },
      { name: 'config', type: 'flag', description: "the stored definition's" },
    ],
  },
  { id: 'domain.addIothread', access: 'write', method: 'POST', path: `${D}/add`, summary: 'add an I/O thread to the running guest (object-add) and/or the stored definition (iothreadadd)', request: 'IothreadRequest', response: 'Done' },
  { id: 'domain.delIothread', access: 'write', method: 'POST', path: `${D}/delete`, summary: 'remove an I/O thread no device uses (iothreaddel)', request: 'IothreadRequest', response: 'Done' },
  { id: 'domain.pinIothread', access: 'write', method: 'POST', path: `${D}/pin`, summary: "pin an I/O thread to host CPUs: its affinity and its iothreadN cgroup's cpuset (iothreadpin)", request: 'IothreadPinRequest', response: 'Done' },
  { id: 'domain.setIothread', access: 'write', method: 'POST', path: `${D}/set`, summary: "change an I/O thread's polling (live) and worker pool bounds (iothreadset)", request: 'IothreadSetRequest', response: 'Done' },
] as const;
