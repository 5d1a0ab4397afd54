// fs pools end to end through the CLI with a real vireod, on a loop device: pool-build makes the
// target and, with --overwrite/--no-overwrite, the file system (refusing one that is there, as
// libvirt); pool-start mounts it nodev,nosuid,noexec and the pool's figures are the file
// system's; volumes are files on it; a restart keeps the mount; pool-destroy unmounts; a
// device missing or mounted elsewhere, or a failing mount, is a clear error that leaves the
// pool inactive and nothing mounted. Also: an image file as the source device (mount sets up
// the loop device), and xfs. Cleanup unmounts and detaches whatever a failed step left.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SOON, TestDaemon, scenario, waitFor } from './harness.js';
import { mountsUnder, ScratchStorage, signature } from './scratch-storage.js';

describe('fs storage pools', () => {
  const d = new TestDaemon();
  const host = new ScratchStorage();
  let dev: string;
  let target: string;
  const ok = d.ok;
  const failing = d.failing;
  const info = async (pool: string): Promise<{ active: boolean; capacity: number | null; available: number | null }> =>
    JSON.parse(await ok('pool-info', pool, '--json')) as { active: boolean; capacity: number | null; available: number | null };
  /** The mounts on the target (none, or exactly one). */
  const mountsOnTarget = (): ReturnType<typeof mountsUnder> => mountsUnder(host.dir).filter((m) => m.mountPoint === target);

  before(async () => {
    // 320 MiB, sparse: mkfs.xfs wants 300 MiB at least.
    dev = host.loop('fs.img', 320);
    target = path.join(host.dir, 'mnt');
    await d.start();
  });
  after(async () => {
    try {
      await d.cleanup();
    } finally {
      host.cleanup();
    }
  });

  test('build, mount, volumes, restart, unmount on a loop device', async (t) => {
    const step = scenario(t);

    await step("pool-capabilities: fs runs on this host", async () => {
      assert.match(await ok('pool-capabilities'), /<pool type='fs' supported='yes'>/);
    });

    await step('pool-start before pool-build: the missing target is named, nothing is mounted', async () => {
      await ok('pool-define-as', 'fsp', 'fs', '--source-dev', dev, '--source-format', 'ext4', '--target', target);
      assert.match(await failing('pool-start', 'fsp'), new RegExp(`error: cannot mount on target path '${target}': No such file or directory`));
      assert.equal((await info('fsp')).active, false);
      assert.deepEqual(mountsUnder(host.dir), []);
    });

    await step('pool-build without flags makes the target only; mounting a blank device fails with mount\'s words', async () => {
      await ok('pool-build', 'fsp');
      assert.ok(statSync(target).isDirectory());
      assert.equal((statSync(target).mode & 0o777).toString(8), '711');
      assert.equal(signature(dev), '');
      const err = await failing('pool-start', 'fsp');
      assert.match(err, new RegExp(`Child process \\(mount -o nodev,nosuid,noexec -t ext4 ${dev} ${target}\\) unexpected exit status 32: .*wrong fs type`));
      assert.equal((await info('fsp')).active, false);
      assert.deepEqual(mountsUnder(host.dir), []);
      assert.deepEqual(readdirSync(target), []);
    });

    await step('pool-build --no-overwrite formats a blank device; again it refuses, as libvirt', async () => {
      await ok('pool-build', 'fsp', '--no-overwrite');
      assert.equal(signature(dev), 'ext4');
      const uuid = execFileSync('blkid', ['-p', '-s', 'UUID', '-o', 'value', dev], { encoding: 'utf8' });
      assert.match(await failing('pool-build', 'fsp', '--no-overwrite'), new RegExp(`error: Storage pool already built: Device '${dev}' already formatted using 'ext4'`));
      assert.equal(execFileSync('blkid', ['-p', '-s', 'UUID', '-o', 'value', dev], { encoding: 'utf8' }), uuid, 'the file system was left alone');
      await ok('pool-build', 'fsp', '--overwrite');
      assert.notEqual(execFileSync('blkid', ['-p', '-s', 'UUID', '-o', 'value', dev], { encoding: 'utf8' }), uuid, '--overwrite made a new one');
    });

    await step('pool-start mounts it nodev,nosuid,noexec; the pool\'s figures are the file system\'s', async () => {
      await ok('pool-start', 'fsp');
      const mounts = mountsOnTarget();
      assert.equal(mounts.length, 1);
      const m = mounts[0]!;
      assert.equal(m.fsType, 'ext4');
      assert.equal(m.source, dev);
      for (const o of ['nodev', 'nosuid', 'noexec']) assert.ok(m.options.split(',').includes(o), `${o} in ${m.options}`);
      const fsInfo = statfsSync(target, { bigint: true });
      const i = await info('fsp');
      assert.equal(i.capacity, Number(fsInfo.blocks * fsInfo.bsize));
      assert.equal(i.available, Number(fsInfo.bfree * fsInfo.bsize));
      assert.match(await failing('pool-build', 'fsp', '--overwrite'), /storage pool 'fsp' is already active/);
    });

    await step('volumes are files on the mounted file system', async () => {
      await ok('vol-create-as', 'fsp', 'a.qcow2', '1G', '--format', 'qcow2');
      await ok('vol-create-as', 'fsp', 'b.raw', '4M');
      const rdev = statSync(dev).rdev;
      assert.equal(statSync(path.join(target, 'a.qcow2')).dev, rdev);
      assert.equal(statSync(path.join(target, 'b.raw')).blocks * 512, 4 * 1024 * 1024);
      assert.match(await ok('vol-list', 'fsp'), /a\.qcow2 +\S+a\.qcow2\n b\.raw /);
      const before = (await info('fsp')).available!;
      await ok('vol-create-as', 'fsp', 'c.raw', '8M');
      await ok('pool-refresh', 'fsp');
      assert.ok((await info('fsp')).available! <= before - 8 * 1024 * 1024, 'a fully allocated volume takes the file system\'s space');
      await ok('vol-delete', 'c.raw', '--pool', 'fsp');
    });

    await step('a restart finds the pool mounted and keeps it active, mounted once', async () => {
      await d.stop();
      assert.equal(mountsOnTarget().length, 1, 'vireod leaves the mount when it stops');
      await d.start();
      assert.equal((await info('fsp')).active, true);
      assert.equal(mountsOnTarget().length, 1);
      assert.match(await ok('vol-list', 'fsp'), /a\.qcow2/);
    });

    await step('pool-destroy unmounts; the volumes stay on the device', async () => {
      await ok('pool-destroy', 'fsp');
      assert.deepEqual(mountsOnTarget(), []);
      assert.deepEqual(readdirSync(target), []);
      await ok('pool-start', 'fsp');
      assert.match(await ok('vol-list', 'fsp'), /a\.qcow2/);
      await ok('pool-destroy', 'fsp');
    });

    await step('a pool unmounted behind vireod\'s back while it was down is inactive after the restart', async () => {
      await ok('pool-start', 'fsp');
      await d.stop();
      execFileSync('umount', [target]);
      await d.start();
      assert.equal((await info('fsp')).active, false);
      assert.deepEqual(mountsOnTarget(), [], 'it is not mounted again behind the user\'s back');
    });

    await step('a device mounted elsewhere is refused, naming where', async () => {
      const other = path.join(host.dir, 'other');
      execFileSync('mkdir', [other]);
      execFileSync('mount', [dev, other]);
      try {
        assert.match(await failing('pool-start', 'fsp'), new RegExp(`source device '${dev}' of pool 'fsp' is already mounted on '${other}'`));
        assert.equal((await info('fsp')).active, false);
        assert.deepEqual(mountsOnTarget(), []);
      } finally {
        execFileSync('umount', [other]);
      }
    });

    await step('a pool already mounted on its target starts as it is (libvirt), and destroy unmounts it', async () => {
      execFileSync('mount', ['-o', 'nodev,nosuid,noexec', dev, target]);
      await ok('pool-start', 'fsp');
      assert.equal(mountsOnTarget().length, 1);
      await ok('pool-destroy', 'fsp');
      assert.deepEqual(mountsOnTarget(), []);
    });

    await step('something else on the target is refused', async () => {
      execFileSync('mount', ['-t', 'tmpfs', 'scratch', target]);
      try {
        assert.match(await failing('pool-start', 'fsp'), new RegExp(`target path '${target}' of pool 'fsp' already has 'scratch' mounted on it`));
      } finally {
        execFileSync('umount', [target]);
      }
    });

    await step('xfs: pool-build --overwrite replaces the ext4 file system (mkfs -f), pool-start mounts xfs', async () => {
      await ok('pool-undefine', 'fsp');
      await ok('pool-define-as', 'fsx', 'fs', '--source-dev', dev, '--source-format', 'xfs', '--target', target);
      assert.match(await failing('pool-build', 'fsx', '--no-overwrite'),
        new RegExp(`Format of device '${dev}' does not match the expected format 'xfs', forced overwrite is necessary`));
      assert.equal(signature(dev), 'ext4');
      await ok('pool-build', 'fsx', '--overwrite');
      assert.equal(signature(dev), 'xfs');
      await ok('pool-start', 'fsx');
      assert.equal(mountsOnTarget()[0]?.fsType, 'xfs');
    });

    await step('xfs shares blocks: vol-clone --reflink makes a clone whose extents are shared, taking no space', async () => {
      await ok('vol-create-as', 'fsx', 'r.raw', '16M');
      // Written data: the allocated-but-unwritten extents vol-create-as makes are not shared.
      execFileSync('dd', ['if=/dev/urandom', `of=${path.join(target, 'r.raw')}`, 'bs=1M', 'count=16', 'conv=notrunc,fsync', 'status=none']);
      await ok('pool-refresh', 'fsx');
      const before = (await info('fsx')).available!;
      await ok('vol-clone', 'r.raw', 'r2.raw', '--pool', 'fsx', '--reflink');
      await ok('pool-refresh', 'fsx');
      assert.ok((await info('fsx')).available! > before - 1024 * 1024, 'the clone takes (almost) no space');
      assert.match(execFileSync('filefrag', ['-v', path.join(target, 'r2.raw')], { encoding: 'utf8' }), /shared/);
      await ok('pool-destroy', 'fsx');
    });

    await step('pool-delete removes the target directory; the file system stays on the device', async () => {
      await ok('pool-delete', 'fsx');
      assert.equal(existsSync(target), false);
      assert.equal(signature(dev), 'xfs');
      await ok('pool-undefine', 'fsx');
    });
  });

  test('refusals: a missing device, format auto; an image file as the device; mount options', async (t) => {
    const step = scenario(t);
    const t2 = path.join(host.dir, 'img-mnt');

    await step('a missing source device is named before anything runs', async () => {
      await ok('pool-define-as', 'gone', 'fs', '--source-dev', '/dev/vireo-no-such-disk', '--source-format', 'ext4', '--target', t2);
      await ok('pool-build', 'gone');
      assert.match(await failing('pool-start', 'gone'), /cannot use source device '\/dev\/vireo-no-such-disk': No such file or directory/);
      assert.match(await failing('pool-build', 'gone', '--overwrite'), /cannot use source device '\/dev\/vireo-no-such-disk': No such file or directory/);
      assert.equal((await info('gone')).active, false);
      await ok('pool-delete', 'gone');
      await ok('pool-undefine', 'gone');
    });

    await step("format 'auto' cannot be made (libvirt runs mkfs -t auto, which fails): a clear error, nothing written", async () => {
      const img = host.image('auto.img', 64);
      await ok('pool-define-as', 'auto', 'fs', '--source-dev', img, '--target', t2);
      assert.match(await failing('pool-build', 'auto', '--no-overwrite'), new RegExp(`cannot make a file system of format 'auto' on '${img}'`));
      assert.equal(signature(img), '');
      await ok('pool-undefine', 'auto');
    });

    await step('an image file as the source device: mkfs on the file, mount sets up and frees the loop device', async () => {
      const img = host.image('file.img', 64);
      await ok('pool-define-as', 'img', 'fs', '--source-dev', img, '--source-format', 'ext4', '--target', t2);
      await ok('pool-build', 'img', '--no-overwrite');
      assert.equal(signature(img), 'ext4');
      await ok('pool-start', 'img');
      assert.match(mountsUnder(host.dir).find((m) => m.mountPoint === t2)?.source ?? '', /^\/dev\/loop\d+$/);
      await ok('vol-create-as', 'img', 'v.raw', '1M');
      await d.stop();
      await d.start();
      assert.equal((await info('img')).active, true, 'the file\'s loop device is recognised as the pool\'s after a restart');
      await ok('pool-destroy', 'img');
      assert.deepEqual(mountsUnder(host.dir), []);
      // The kernel frees an autoclear loop device on its last close, possibly just after umount returns.
      await waitFor(() => execFileSync('losetup', ['-j', img], { encoding: 'utf8' }) === '', SOON, 'the loop device to go with the mount');
      await ok('pool-undefine', 'img');
    });

    await step("<fs:mount_opts> are added to libvirt's options; one that would undo them is refused at define", async () => {
      const img = path.join(host.dir, 'file.img');
      const xml = (opt: string): string => `<pool type='fs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'><name>opts</name>
        <source><device path='${img}'/><format type='ext4'/></source><target><path>${t2}</path></target>
        <fs:mount_opts><fs:option name='${opt}'/><fs:option name='noatime'/></fs:mount_opts></pool>`;
      const file = path.join(host.dir, 'opts.xml');
      writeFileSync(file, xml('exec'));
      assert.match(await failing('pool-define', file), /mount option 'exec' would undo the nodev,nosuid,noexec a pool is mounted with/);
      writeFileSync(file, xml('nodiratime'));
      await ok('pool-define', file);
      assert.match(await ok('pool-dumpxml', 'opts'), /<fs:mount_opts>\n {4}<fs:option name='nodiratime'\/>\n {4}<fs:option name='noatime'\/>\n {2}<\/fs:mount_opts>/);
      await ok('pool-start', 'opts');
      const options = mountsUnder(host.dir).find((m) => m.mountPoint === t2)?.options.split(',') ?? [];
      for (const o of ['nodev', 'nosuid', 'noexec', 'nodiratime', 'noatime']) assert.ok(options.includes(o), `${o} in ${options.join(',')}`);
      await ok('pool-destroy', 'opts');
      await ok('pool-delete', 'opts');
      await ok('pool-undefine', 'opts');
    });
  });
});
