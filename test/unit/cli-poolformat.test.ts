// pool-info and vol-info as virsh 9.0 prints them (captured from libvirt-ref): with --bytes a
// pool's sizes are bare numbers and a volume's end in "bytes".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPoolInfo, formatVolInfo } from '../../src/cli/poolformat.js';
import type { PoolSummary, VolumeSummary } from '../../src/api/types.js';

const pool: PoolSummary = {
  name: 'pp', uuid: '0db33925-c95f-466a-a50f-96ba4aa13113', type: 'dir', active: true, persistent: false, autostart: false,
  capacity: 270553174016, allocation: 26195308544, available: 244357865472, volumes: 1,
};

test('pool-info --bytes prints bare numbers, as virsh 9.0', () => {
  assert.equal(formatPoolInfo(pool, true), `Name:           pp
UUID:           0db33925-c95f-466a-a50f-96ba4aa13113
State:          running
Persistent:     no
Autostart:      no
Capacity:       270553174016
Allocation:     26195308544
Available:      244357865472
`);
  assert.match(formatPoolInfo(pool, false), /^Capacity:       251\.97 GiB$/m);
});

test('vol-info --bytes ends the sizes in "bytes", as virsh 9.0', () => {
  const vol = { pool: 'pp', name: 'a.img', key: '/p/a.img', path: '/p/a.img', type: 'file', format: 'raw', capacity: 1048576, allocation: 1048576, physical: 1048576, backing: null } as unknown as VolumeSummary;
  assert.equal(formatVolInfo(vol, true), 'Name:           a.img\nType:           file\nCapacity:       1048576 bytes\nAllocation:     1048576 bytes\n');
});
