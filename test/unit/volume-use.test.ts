import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDomainXml } from '../../src/conf/domain-parse.js';
import { usesVolume, volumeUsers } from '../../src/daemon/domain/volume-use.js';

const dom = (name: string, disks: string): ReturnType<typeof parseDomainXml> => parseDomainXml(`<domain type='qemu'><name>${name}</name><memory>131072</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${disks}</devices></domain>`);

const volDisk = "<disk type='volume' device='disk'><source pool='default' volume='a.qcow2'/><target dev='vda' bus='virtio'/></disk>";
const fileDisk = "<disk type='file' device='disk'><source file='/var/lib/images/b.raw'/><target dev='vdb' bus='virtio'/></disk>";

test('a volume disk uses the volume its pool and name say, not a namesake in another pool', () => {
  const def = dom('g', volDisk);
  assert.equal(usesVolume(def, { pool: 'default', name: 'a.qcow2', path: '/elsewhere/a.qcow2' }), true);
  assert.equal(usesVolume(def, { pool: 'other', name: 'a.qcow2' }), false);
});

test('a file disk uses the volume at its path (normalized), whatever the pool', () => {
  const def = dom('g', fileDisk);
  assert.equal(usesVolume(def, { pool: 'default', name: 'b.raw', path: '/var/lib/images//b.raw' }), true);
  assert.equal(usesVolume(def, { pool: 'default', name: 'b.raw', path: '/var/lib/images/c.raw' }), false);
  assert.equal(usesVolume(def, { pool: 'iscsi', name: 'unit:0:0:1' }), false);
});

test('volumeUsers names every running guest with the volume as a disk', () => {
  const running = [{ name: 'one', liveDef: dom('one', volDisk) }, { name: 'two', liveDef: dom('two', fileDisk) }, { name: 'three', liveDef: dom('three', volDisk) }];
  assert.deepEqual(volumeUsers(running, { pool: 'default', name: 'a.qcow2' }), ['one', 'three']);
  assert.deepEqual(volumeUsers(running, { pool: 'default', name: 'zz' }), []);
});
