// Guests and volumes end to end through the CLI with a real vireod and the test guest: the
// 'default' pool a first start makes, a guest booting from a volume of it, domblkinfo of the
// running guest, the volume protected while the guest runs, and undefine --remove-all-storage
// deleting it afterwards.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, guestXml, scenario } from './harness.js';

describe('guests on volumes of the default pool', () => {
  const d = new TestDaemon();
  const ok = d.ok;
  const failing = d.failing;

  before(() => d.start(['--default-pool', 'yes']));
  after(() => d.cleanup());

  test('a guest boots from a qcow2 volume of the default pool, which is protected until it is removed with the guest', async (t) => {
    const step = scenario(t);
    const file = path.join(d.root, 'lib', 'images', 'x.qcow2');
    const disk = "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='default' volume='x.qcow2'/><target dev='vda' bus='virtio'/></disk>";

    await step('the default pool is there, active, and takes a thin qcow2 volume', async () => {
      assert.match(await ok('pool-list'), /^ default +active +yes\n/m);
      await ok('vol-create-as', 'default', 'x.qcow2', '16M', '--format', 'qcow2');
      assert.ok(existsSync(file));
    });

    await step('a guest with <disk type=volume> in the default pool boots and sees its disk', async () => {
      writeFileSync(path.join(d.root, 'g.xml'), guestXml('g', { extraDevices: disk }));
      await ok('define', path.join(d.root, 'g.xml'));
      await ok('start', 'g');
      await d.waitConsole('g', 'vireo-guest: disks: vda');
      assert.equal(await ok('domblklist', 'g'), ' Target   Source\n-------------------\n vda      x.qcow2\n\n');
    });

    await step('domblkinfo of the running guest: the volume\'s virtual size, from QEMU', async () => {
      const info = JSON.parse(await ok('domblkinfo', 'g', 'vda', '--json')) as { capacity: number; allocation: number; physical: number };
      assert.equal(info.capacity, 16 * 1024 * 1024);
      assert.ok(info.physical > 0 && info.physical < info.capacity, `a thin qcow2 is small on the host: ${info.physical}`);
    });

    await step('the volume of the running guest is not deleted or wiped, and undefine does not remove storage under it', async () => {
      assert.equal(await failing('vol-delete', 'x.qcow2', '--pool', 'default'),
        "error: Failed to delete vol x.qcow2\nerror: Requested operation is not valid: cannot delete storage volume 'x.qcow2': it is in use by running domain 'g'\n");
      assert.match(await failing('vol-wipe', file), /cannot wipe storage volume 'x\.qcow2': it is in use by running domain 'g'/);
      assert.equal(await failing('undefine', 'g', '--remove-all-storage'), 'error: Storage volume deletion is supported only on stopped domains\n');
      assert.ok(existsSync(file));
    });

    await step('shut off, undefine --remove-all-storage deletes the volume with the guest', async () => {
      await ok('destroy', 'g');
      assert.equal(await ok('undefine', 'g', '--remove-all-storage'), "Domain 'g' has been undefined\nVolume 'vda'(x.qcow2) removed.\n\n");
      assert.equal(existsSync(file), false);
      assert.doesNotMatch(await ok('vol-list', 'default'), /x\.qcow2/);
    });
  });
});
