// netfs pools through the CLI with a real vireod. This machine's kernel has no NFS client, so
// the test goes up to the mount and checks its failure: libvirt's mount command, an error that
// names the cause, the pool inactive and its target as it was. CIFS and GlusterFS need mount
// helpers that are not installed: refused by name before mount runs. A real NFS mount needs a
// kernel client and an export; 'an NFS export is mounted and holds volumes' runs when
// VIREO_TEST_NFS=HOST:/DIR names one, and says why it is skipped otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, scenario } from './harness.js';
import { mountsUnder, ScratchStorage } from './scratch-storage.js';

/** Whether the kernel can mount NFS: listed in /proc/filesystems or a module to load. */
const nfsClient = readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.endsWith('\tnfs'))
  || existsSync(`/lib/modules/${release()}/kernel/fs/nfs`);
const nfsExport = process.env.VIREO_TEST_NFS;

describe('netfs storage pools', () => {
  const d = new TestDaemon();
  const host = new ScratchStorage();
  const ok = d.ok;
  const failing = d.failing;
  const active = async (pool: string): Promise<boolean> => (JSON.parse(await ok('pool-info', pool, '--json')) as { active: boolean }).active;

  before(() => d.start());
  after(async () => {
    try {
      await d.cleanup();
    } finally {
      host.cleanup();
    }
  });

  test('without a kernel NFS client: every step up to the mount, and its failure', { skip: nfsClient ? 'this kernel has an NFS client; the steps below are about one without' : false }, async (t) => {
    const step = scenario(t);
    const target = path.join(host.dir, 'nfs');

    await step("pool-capabilities: netfs is not supported='yes' on this host", async () => {
      assert.match(await ok('pool-capabilities'), /<pool type='netfs' supported='no'>/);
    });

    await step('define and build: the target directory only (a network file system is made on its server)', async () => {
      await ok('pool-define-as', 'nf', 'netfs', '--source-host', '127.0.0.1', '--source-path', '/export', '--source-format', 'nfs', '--target', target);
      assert.match(await ok('pool-dumpxml', 'nf'), /<source>\n {4}<host name='127\.0\.0\.1'\/>\n {4}<dir path='\/export'\/>\n {4}<format type='nfs'\/>\n {2}<\/source>/);
      assert.match(await failing('pool-build', 'nf', '--overwrite'), /No source device specified when formatting pool 'nf'/);
      assert.equal(existsSync(target), false);
      await ok('pool-build', 'nf');
      assert.ok(statSync(target).isDirectory());
    });

    await step("pool-start runs libvirt's mount command; its failure names the missing NFS client; nothing changes", async () => {
      const err = await failing('pool-start', 'nf');
      assert.match(err, /error: Failed to start pool nf\n/);
      assert.match(err, /cannot mount pool 'nf': this kernel has no 'nfs' file system support/);
      assert.match(err, new RegExp(`Child process \\(mount -o nodev,nosuid,noexec -t nfs 127\\.0\\.0\\.1:/export ${target}\\) unexpected exit status 32: mount\\.nfs: No such device`));
      assert.equal(await active('nf'), false);
      assert.deepEqual(mountsUnder(host.dir), []);
      assert.deepEqual(readdirSync(target), []);
      assert.equal((statSync(target).mode & 0o777).toString(8), '711');
    });

    await step("format 'auto' leaves the type to mount (no -t), as libvirt", async () => {
      await ok('pool-undefine', 'nf');
      await ok('pool-define-as', 'nf', 'netfs', '--source-host', '127.0.0.1', '--source-path', '/export', '--target', target);
      assert.match(await failing('pool-start', 'nf'), new RegExp(`Child process \\(mount -o nodev,nosuid,noexec 127\\.0\\.0\\.1:/export ${target}\\)`));
      assert.equal(await active('nf'), false);
    });

    await step('CIFS and GlusterFS need mount helpers that are not installed: named with their packages, mount never runs', async () => {
      for (const [format, helper, pkg] of [['cifs', 'mount.cifs', 'cifs-utils'], ['glusterfs', 'mount.glusterfs', 'glusterfs-client']] as const) {
        const t2 = path.join(host.dir, format);
        await ok('pool-define-as', format, 'netfs', '--source-host', '127.0.0.1', '--source-path', `/${format}`, '--source-format', format, '--target', t2);
        await ok('pool-build', format);
        const r = await d.vireo(['pool-start', format]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`mounting pool '${format}' needs '${helper}', which is not installed on this host \\(Debian package ${pkg}\\)`));
        assert.equal(await active(format), false);
        await ok('pool-delete', format);
        await ok('pool-undefine', format);
      }
      assert.deepEqual(mountsUnder(host.dir), []);
    });

    await step('find-storage-pool-sources-as asks the host for its exports (showmount); none here is an error naming why', async () => {
      assert.match(await failing('find-storage-pool-sources-as', 'netfs', '127.0.0.1'),
        /error: Failed to find any netfs pool sources\nerror: operation failed: no storage pools were found on host '127\.0\.0\.1' \(internal error: Child process \(showmount --no-headers --exports 127\.0\.0\.1\) unexpected exit status 1: clnt_create: RPC: /);
    });

    await step('pool-delete removes the target; undefine forgets the pool', async () => {
      await ok('pool-delete', 'nf');
      assert.equal(existsSync(target), false);
      await ok('pool-undefine', 'nf');
    });
  });

  const realSkip = nfsExport !== undefined
    ? false
    : nfsClient
      ? 'no NFS export to mount: set VIREO_TEST_NFS=HOST:/DIR to an export this host may mount read-write'
      : 'this kernel has no NFS client (nfs is not in /proc/filesystems and there is no module for it), so nothing can be mounted';
  test('an NFS export is mounted and holds volumes', { skip: realSkip }, async (t) => {
    const step = scenario(t);
    const [nfsHost, nfsDir] = nfsExport!.split(/:(.*)/s) as [string, string];
    const target = path.join(host.dir, 'real');

    await step('pool-start --build mounts it nodev,nosuid,noexec', async () => {
      await ok('pool-define-as', 'real', 'netfs', '--source-host', nfsHost, '--source-path', nfsDir, '--source-format', 'nfs', '--target', target);
      await ok('pool-start', 'real', '--build');
      const m = mountsUnder(host.dir).find((x) => x.mountPoint === target);
      assert.match(m?.fsType ?? '', /^nfs4?$/);
      for (const o of ['nodev', 'nosuid', 'noexec']) assert.ok(m!.options.split(',').includes(o), `${o} in ${m!.options}`);
    });

    await step('a volume is a file on the export; destroy unmounts', async () => {
      await ok('vol-create-as', 'real', 'vireo-test.qcow2', '64M', '--format', 'qcow2');
      assert.ok(statSync(path.join(target, 'vireo-test.qcow2')).isFile());
      await ok('vol-delete', 'vireo-test.qcow2', '--pool', 'real');
      await ok('pool-destroy', 'real');
      assert.deepEqual(mountsUnder(host.dir), []);
      await ok('pool-delete', 'real');
      await ok('pool-undefine', 'real');
    });
  });
});
