// logical (LVM) pools through the CLI with a real vireod, on two loop devices. This machine's
// kernel has no device-mapper: LVM makes physical volumes and volume groups, but no logical
// volume can be made or activated. So the pool is built, started, refreshed, stopped, restarted
// with the daemon and deleted for real, and vol-create-as is checked up to lvcreate: the error
// names the missing device-mapper and no LV is left. 'logical volumes are made, resized, wiped
// and deleted' needs device-mapper and says so when it is skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, scenario } from './harness.js';
import { logicalVolumes, ScratchStorage, signature, volumeGroups } from './scratch-storage.js';

// /proc/misc, not /dev/mapper/control: LVM makes that node itself, with or without the driver.
const deviceMapper = /\sdevice-mapper$/m.test(readFileSync('/proc/misc', 'utf8'));
const LVM_ENV = { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' };
const vgFacts = (vg: string): { size: number; free: number; pvs: number } => {
  const out = execFileSync('vgs', ['--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_size,vg_free,pv_count', vg], { encoding: 'utf8', env: LVM_ENV });
  const [size, free, pvs] = out.trim().split(/\s+/).map(Number) as [number, number, number];
  return { size, free, pvs };
};

describe('logical storage pools', () => {
  const d = new TestDaemon();
  const host = new ScratchStorage();
  // Unique per run: LVM's names are host-wide, and other tests may run beside this one.
  const vg = `vireotest${process.pid}`;
  let dev1: string;
  let dev2: string;
  const ok = d.ok;
  const failing = d.failing;
  const info = async (pool: string): Promise<{ active: boolean; capacity: number | null; available: number | null; volumes: number | null }> =>
    JSON.parse(await ok('pool-info', pool, '--json')) as { active: boolean; capacity: number | null; available: number | null; volumes: number | null };

  before(async () => {
    host.vgs.push(vg);
    dev1 = host.loop('pv1.img', 64);
    dev2 = host.loop('pv2.img', 64);
    await d.start();
  });
  after(async () => {
    try {
      await d.cleanup();
    } finally {
      host.cleanup();
    }
  });

  test('without device-mapper: the volume group for real, logical volumes up to lvcreate', { skip: deviceMapper ? 'this kernel has device-mapper; the steps below are about one without' : false }, async (t) => {
    const step = scenario(t);
    const xmlFile = path.join(host.dir, 'lv.xml');

    await step("pool-capabilities: logical is not supported='yes' here (volume groups work, logical volumes do not)", async () => {
      assert.match(await ok('pool-capabilities'), /<pool type='logical' supported='no'>/);
    });

    await step('pool-start before pool-build: the missing volume group is named', async () => {
      writeFileSync(xmlFile, `<pool type='logical'><name>lv</name><source><device path='${dev1}'/><device path='${dev2}'/><name>${vg}</name></source><target><path>/dev/${vg}</path></target></pool>`);
      await ok('pool-define', xmlFile);
      assert.match(await failing('pool-start', 'lv'), new RegExp(`error: unsupported configuration: cannot find logical volume group name '${vg}'`));
      assert.equal((await info('lv')).active, false);
    });

    await step('pool-build refuses a device with a file system, touching neither device', async () => {
      execFileSync('mkfs.ext4', ['-q', dev2]);
      for (const flags of [[], ['--no-overwrite']]) {
        assert.match(await failing('pool-build', 'lv', ...flags),
          new RegExp(`error: Storage pool already built: Format of device '${dev2}' does not match the expected format 'LVM2_member', forced overwrite is necessary`));
      }
      assert.deepEqual([signature(dev1), signature(dev2)], ['', 'ext4']);
      assert.equal(volumeGroups().includes(vg), false);
    });

    await step('a failed build undoes its physical volumes: no half-made volume group', async () => {
      // The mounted file system makes wiping the second device fail after the first became a PV.
      const m = path.join(host.dir, 'busy');
      mkdirSync(m);
      execFileSync('mount', [dev2, m]);
      try {
        assert.match(await failing('pool-build', 'lv', '--overwrite'), new RegExp(`Child process \\(wipefs -a ${dev2}\\) unexpected exit status`));
      } finally {
        execFileSync('umount', [m]);
      }
      assert.deepEqual([signature(dev1), signature(dev2)], ['', 'ext4']);
      assert.equal(volumeGroups().includes(vg), false);
    });

    await step('pool-build --overwrite: both devices become the volume group; a second build refuses, as libvirt', async () => {
      await ok('pool-build', 'lv', '--overwrite');
      assert.deepEqual([signature(dev1), signature(dev2)], ['LVM2_member', 'LVM2_member']);
      assert.equal(vgFacts(vg).pvs, 2);
      assert.match(await failing('pool-build', 'lv'), new RegExp(`Device '${dev1}' already formatted using 'LVM2_member'`));
    });

    await step('pool-build --overwrite again makes the volume group anew, as libvirt', async () => {
      const uuid = (): string => execFileSync('vgs', ['--noheadings', '-o', 'vg_uuid', vg], { encoding: 'utf8', env: LVM_ENV }).trim();
      const before = uuid();
      await ok('pool-build', 'lv', '--overwrite');
      assert.notEqual(uuid(), before);
      assert.equal(vgFacts(vg).pvs, 2);
    });

    await step('find-storage-pool-sources lists the volume group with its devices; a spec narrows it', async () => {
      const source = `  <source>\n    <device path='${dev1}'/>\n    <device path='${dev2}'/>\n    <name>${vg}</name>\n    <format type='lvm2'/>\n  </source>\n`;
      assert.ok((await ok('find-storage-pool-sources', 'logical')).includes(source));
      const spec = path.join(host.dir, 'spec.xml');
      writeFileSync(spec, `<source><name>${vg}</name></source>`);
      assert.equal(await ok('find-storage-pool-sources', 'logical', spec), `<sources>\n${source}</sources>\n\n`);
    });

    await step("pool-start activates it; the pool's figures are the volume group's", async () => {
      await ok('pool-start', 'lv');
      const i = await info('lv');
      const f = vgFacts(vg);
      assert.deepEqual([i.active, i.capacity, i.available, i.volumes], [true, f.size, f.free, 0]);
      assert.match(await ok('pool-dumpxml', 'lv'), new RegExp(`<capacity unit='bytes'>${f.size}</capacity>`));
    });

    await step('vol-create-as runs lvcreate as libvirt; without device-mapper the error says so and no LV is left', async () => {
      const err = await failing('vol-create-as', 'lv', 'lv1', '8M');
      assert.match(err, /error: Failed to create vol lv1\n/);
      assert.match(err, /cannot create logical volume 'lv1': this kernel has no device-mapper \(not in \/proc\/misc\)/);
      assert.match(err, new RegExp(`Child process \\(lvcreate --name lv1 -L 8192K ${vg} --yes\\) unexpected exit status`));
      const sparse = await failing('vol-create-as', 'lv', 'lv2', '8M', '--allocation', '2M');
      assert.match(sparse, new RegExp(`Child process \\(lvcreate --name lv2 -L 2048K --type snapshot --virtualsize 8192K ${vg} --yes\\)`));
      assert.deepEqual(logicalVolumes(vg), []);
      assert.equal(await ok('vol-list', 'lv'), ' Name   Path\n--------------\n\n');
      assert.equal(vgFacts(vg).free, vgFacts(vg).size, 'the volume group has all its space');
    });

    await step('what is refused before lvcreate runs: a qcow2 format, more than the group holds', async () => {
      assert.match(await failing('vol-create-as', 'lv', 'q', '8M', '--format', 'qcow2'), /a logical pool's volumes are raw logical volumes; format 'qcow2' is not supported/);
      assert.match(await failing('vol-create-as', 'lv', 'big', '1G'), new RegExp(`volume group '${vg}' has \\d+ bytes free; volume 'big' needs 1073741824`));
    });

    await step('a restart keeps the pool active; destroy deactivates it; start again', async () => {
      await d.stop();
      await d.start();
      assert.equal((await info('lv')).active, true);
      await ok('pool-destroy', 'lv');
      assert.equal((await info('lv')).active, false);
      assert.equal(volumeGroups().includes(vg), true, 'the volume group stays');
      await ok('pool-start', 'lv');
      await ok('pool-refresh', 'lv');
      await ok('pool-destroy', 'lv');
    });

    await step('pool-delete removes the volume group and the physical volumes', async () => {
      await ok('pool-delete', 'lv');
      assert.equal(volumeGroups().includes(vg), false);
      assert.deepEqual([signature(dev1), signature(dev2)], ['', '']);
      assert.match(await failing('pool-start', 'lv'), /cannot find logical volume group name/);
      await ok('pool-undefine', 'lv');
    });
  });

  test('logical volumes are made, resized, wiped and deleted', { skip: deviceMapper ? false : 'this kernel has no device-mapper (not in /proc/misc): LVM cannot make or activate a logical volume here' }, async (t) => {
    const step = scenario(t);
    await step('build, start, volumes', async () => {
      await ok('pool-define-as', 'lvd', 'logical', '--source-dev', dev1, '--source-name', vg, '--target', `/dev/${vg}`);
      await ok('pool-start', 'lvd', '--build', '--overwrite');
      await ok('vol-create-as', 'lvd', 'v1', '8M');
      assert.deepEqual(logicalVolumes(vg), ['v1']);
      assert.match(await ok('vol-list', 'lvd'), new RegExp(`v1 +/dev/${vg}/v1`));
      await ok('vol-resize', 'v1', '16M', '--pool', 'lvd');
      assert.equal((JSON.parse(await ok('vol-info', 'v1', '--pool', 'lvd', '--json')) as { capacity: number }).capacity, 16 * 1024 * 1024);
      await ok('vol-wipe', 'v1', '--pool', 'lvd');
      await ok('vol-delete', 'v1', '--pool', 'lvd');
      assert.deepEqual(logicalVolumes(vg), []);
      await ok('pool-destroy', 'lvd');
      await ok('pool-delete', 'lvd');
      await ok('pool-undefine', 'lvd');
    });
  });
});
