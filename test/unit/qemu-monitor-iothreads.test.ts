// The I/O thread monitor commands against a fake QEMU monitor speaking the real QMP protocol:
// query-iothreads parsed into typed values (a reply as QEMU 7.2 gives it), object-add and
// object-del of an iothread object, qom-set of its tunables, and a refusal as a coded error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VireoError } from '../../src/api/errors.js';
import { Monitor } from '../../src/qemu/monitor.js';
import { addIothread, delIothread, parseIothreads, queryIothreads, setIothreadProp } from '../../src/qemu/monitor-iothreads.js';
import { iothreadObject } from '../../src/qemu/argv/storage.js';
import { fakeQmp, type Answer, type Received } from './fake-qmp.js';

const REPLY = [
  { id: 'iothread2', 'thread-id': 4242, 'poll-max-ns': 32768, 'poll-grow': 0, 'poll-shrink': 0, 'aio-max-batch': 0 },
  { id: 'iothread1', 'thread-id': 4241, 'poll-max-ns': 1000, 'poll-grow': 2, 'poll-shrink': 3, 'aio-max-batch': 0 },
  // An iothread object some other tool added is not one of the guest's threads.
  { id: 'mine', 'thread-id': 4243, 'poll-max-ns': 0, 'poll-grow': 0, 'poll-shrink': 0, 'aio-max-batch': 0 },
];

test("query-iothreads: QEMU's order kept, ids as libvirt numbers them, foreign objects left out", () => {
  assert.deepEqual(parseIothreads(REPLY), [
    { id: 2, threadId: 4242, pollMaxNs: 32768, pollGrow: 0, pollShrink: 0 },
    { id: 1, threadId: 4241, pollMaxNs: 1000, pollGrow: 2, pollShrink: 3 },
  ]);
  assert.throws(() => parseIothreads({}), (e: unknown) => e instanceof VireoError && e.code === 'QEMU_FAILED' && /query-iothreads/.test(e.message));
});

test('the commands sent for iothreadinfo, iothreadadd, iothreaddel and iothreadset', async () => {
  const answer = (c: Received): Answer => {
    if (c.execute === 'query-iothreads') return { return: REPLY };
    if (c.execute === 'object-add' && c.arguments?.id === 'iothread1') return { error: { class: 'GenericError', desc: "attempt to add duplicate property 'iothread1' to object (type 'container')" } };
    return { return: {} };
  };
  const fake = await fakeQmp(answer);
  const m = await Monitor.connect(fake.path, { name: 'g1' });
  try {
    assert.deepEqual((await queryIothreads(m)).map((t) => t.id), [2, 1]);
    await addIothread(m, iothreadObject({ id: 3, poolMax: 8 }));
    await delIothread(m, 3);
    await setIothreadProp(m, 2, 'pollMaxNs', 1000);
    await setIothreadProp(m, 2, 'poolMin', 1);
    await assert.rejects(addIothread(m, iothreadObject({ id: 1 })), (e: unknown) => e instanceof VireoError && e.code === 'QMP_ERROR' && /duplicate property 'iothread1'/.test(e.message));
    assert.deepEqual(fake.received.filter((c) => c.execute !== 'qmp_capabilities').map((c) => [c.execute, c.arguments]), [
      ['query-iothreads', undefined],
      ['object-add', { 'qom-type': 'iothread', id: 'iothread3', 'thread-pool-max': 8 }],
      ['object-del', { id: 'iothread3' }],
      ['qom-set', { path: '/objects/iothread2', property: 'poll-max-ns', value: 1000 }],
      ['qom-set', { path: '/objects/iothread2', property: 'thread-pool-min', value: 1 }],
      ['object-add', { 'qom-type': 'iothread', id: 'iothread1' }],
    ]);
  } finally {
    m.close();
    fake.done();
  }
});
