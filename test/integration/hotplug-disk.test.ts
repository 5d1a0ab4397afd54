// Disk hot-plug end to end: a running guest gets a qcow2 image through attach-disk --live (the
// guest lists the disk and reads what the host wrote into the image), keeps it over a vireod
// restart, and loses it through detach-disk (gone in the guest, the image no longer open in
// QEMU); a SCSI disk goes on the existing virtio-scsi controller; --config changes only the
// stored definition; refusals (target in use, missing file, a bus that takes no hot-plug) leave nothing behind.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DomainEvent } from '../../src/api/types.js';
import { VireoClient } from '../../src/client/client.js';
import { run } from '../../src/util/proc.js';
import { guestXml, REPO, scenario, SOON, TestDaemon, waitFor } from './harness.js';

// Spare root ports, as virt-install adds (the balloon, xhci, virtio-scsi and the bridge take four).
const PORTS = "\n    <controller type='pci' model='pcie-root-port'/>".repeat(7) + "\n    <controller type='scsi' model='virtio-scsi'/>"
  + "\n    <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/></disk>"
  // A conventional PCI card (the i6300esb watchdog) is hot-plugged behind a PCIe-to-PCI bridge.
  + "\n    <controller type='pci' model='pcie-to-pci-bridge'/>";
const MARKER = 'vireo-disk-marker-7f3a';

describe('disk hot-plug in a running guest', () => {
  const d = new TestDaemon();
  const tmp = mkdtempSync(path.join(tmpdir(), 'vireo-hpdisk-'));
  const qcow = path.join(tmp, 'data.qcow2');
  const raw = path.join(tmp, 'scsi.raw');
  const iso1 = path.join(tmp, 'one.iso');
  const iso2 = path.join(tmp, 'two.iso');
  const events: DomainEvent[] = [];
  let client: VireoClient;
  let stopEvents: () => void = () => {};
  const ok = (...args: string[]): Promise<string> => d.ok(...args);
  const failing = (...args: string[]): Promise<string> => d.failing(...args);
  const listen = async (): Promise<void> => {
    client = VireoClient.open(d.uri);
    stopEvents = await client.events((e) => events.push(e));
  };
  /** The files QEMU has open (its fds), to see an image opened and closed again. */
  const qemuFiles = (): string[] => {
    const [pid] = d.qemuPids();
    assert.ok(pid !== undefined, 'QEMU runs');
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
      } catch {
        return [];
      }
    });
  };
  const guestDisks = async (): Promise<string[]> => (await d.guestRun('hd', 'ls /sys/block')).split(/\s+/).filter((w) => /^(vd|sd)[a-z]+$/.test(w)).sort();

  /** The size of the guest's vda in 512-byte sectors, as its kernel sees it. */
  const sectors = async (): Promise<string> => (await d.guestRun('hd', 'cat /sys/block/vda/size')).trim();

  before(async () => {
    // The image holds a marker the guest must read back: made as a raw file, converted to qcow2.
    const plain = path.join(tmp, 'plain.raw');
    writeFileSync(plain, Buffer.concat([Buffer.from(`${MARKER}\n`), Buffer.alloc(4 * 1024 * 1024 - MARKER.length - 1)]));
    for (const args of [['convert', '-f', 'raw', '-O', 'qcow2', plain, qcow], ['create', '-f', 'raw', raw, '8M'], ['create', '-f', 'raw', iso1, '1M'], ['create', '-f', 'raw', iso2, '1M']]) {
      const r = await run('qemu-img', args);
      assert.equal(r.code, 0, r.stderr);
    }
    await d.start();
    await listen();
    writeFileSync(path.join(tmp, 'hd.xml'), guestXml('hd', { extraDevices: PORTS }));
    await ok('define', path.join(tmp, 'hd.xml'));
    await ok('start', 'hd');
    await d.waitShell('hd');
  });
  after(async () => {
    stopEvents();
    client.close();
    await d.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('attach, keep over a restart, and detach disks', async (tt) => {
    const step = scenario(tt);

    await step('attach-disk --live: the guest sees the disk and reads the marker; only the live definition has it', async () => {
      const out = await ok('attach-disk', 'hd', qcow, 'vdb', '--subdriver', 'qcow2', '--live');
      assert.equal(out, 'Disk attached successfully\n\n');
      // The guest's kernel names disks in the order it finds them: the first virtio disk is its vda.
      // The guest probes a new PCI device in its own time: wait for the disk to appear.
      await waitFor(async () => (await guestDisks()).includes('vda'), SOON, 'the guest to see the disk');
      assert.deepEqual(await guestDisks(), ['vda']);
      assert.match(await d.guestRun('hd', 'dd if=/dev/vda bs=64 count=1 2>/dev/null | head -n 1'), new RegExp(MARKER));
      assert.match(await ok('domblklist', 'hd'), new RegExp(`vdb\\s+${qcow}`));
      assert.doesNotMatch(await ok('domblklist', 'hd', '--inactive'), /vdb/);
      assert.match(await ok('dumpxml', 'hd'), new RegExp(`<source file='${qcow}' index='2'/>`));
      assert.ok(qemuFiles().includes(qcow));
      await waitFor(() => events.some((e) => e.type === 'device-added' && e.device === 'virtio-disk1'), SOON, 'device-added virtio-disk1');
    });

    await step('blockresize: the guest sees the new size; an unknown disk or size is refused in virsh\'s words', async () => {
      assert.equal(await sectors(), '8192');
      assert.equal(await ok('blockresize', 'hd', 'vdb', '6M'), "Block device 'vdb' is resized\n\n");
      await waitFor(async () => (await sectors()) === '12288', SOON, 'the guest to see 6 MiB');
      assert.equal(await ok('blockresize', 'hd', qcow, '7168'), `Block device '${qcow}' is resized\n\n`);
      await waitFor(async () => (await sectors()) === '14336', SOON, 'the guest to see 7 MiB');
      assert.equal(await failing('blockresize', 'hd', 'vdz', '1M'), "error: Failed to resize block device 'vdz'\nerror: invalid argument: disk 'vdz' was not found in the domain config\n");
      assert.equal(await failing('blockresize', 'hd', 'vdb', 'abc'), "error: Scaled numeric value 'abc' for <size> option is malformed or out of range\n");
    });

    await step('domblkthreshold: a guest write past the threshold is reported once as block-threshold, as virsh event prints it', async () => {
      // The image file grows as the guest writes new clusters: the threshold is just past its end now.
      const threshold = statSync(qcow).size + 65536;
      assert.equal(await ok('domblkthreshold', 'hd', 'vdb', String(threshold)), '\n');
      assert.equal(await failing('domblkthreshold', 'hd', 'vdz', '1M'), "error: invalid argument: failed to find disk 'vdz'\n");
      assert.equal(await failing('domblkthreshold', 'hd', 'vdb', 'abc'), "error: Scaled numeric value 'abc' for <threshold> option is malformed or out of range\n");
      // `vireo event` as a user runs it; with -d 1 it says on stderr when it listens.
      const watcher = spawn(path.join(REPO, 'bin', 'vireo'), ['-d', '1', '-c', d.uri, 'event', '--domain', 'hd', '--event', 'block-threshold'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let printed = '';
      let said = '';
      watcher.stdout.on('data', (b: Buffer) => (printed += b.toString()));
      watcher.stderr.on('data', (b: Buffer) => (said += b.toString()));
      const exited = new Promise((resolve) => watcher.on('close', resolve));
      await waitFor(() => said.includes('listening for events'), SOON, 'vireo event to listen').catch((e: unknown) => assert.fail(`${String(e)}: ${said}`));
      await d.guestRun('hd', 'dd if=/dev/urandom of=/dev/vda bs=65536 count=16 seek=64 conv=fsync 2>/dev/null');
      await waitFor(() => events.some((e) => e.type === 'block-threshold'), SOON, 'the block-threshold event');
      const e = events.find((x) => x.type === 'block-threshold')!;
      assert.deepEqual([e.device, e.path, e.threshold], ['vdb', qcow, threshold]);
      assert.ok((e.excess ?? 0) > 0);
      await exited;
      assert.equal(printed, `event 'block-threshold' for domain 'hd': dev: vdb(${qcow}) ${threshold} ${e.excess!}\nevents received: 1\n\n`);
    });

    await step('blkdeviotune --live: QEMU reports the limit, the live XML keeps it, and the guest\'s direct writes slow down to it', async () => {
      const zero = await ok('blkdeviotune', 'hd', 'vdb');
      assert.match(zero, /^total_bytes_sec: 0\nread_bytes_sec : 0\nwrite_bytes_sec: 0\n[\s\S]*\ngroup_name     : \n[\s\S]*write_iops_sec_max_length: 0\n\n$/);
      await ok('blkdeviotune', 'hd', 'vdb', '--write-bytes-sec', '1M', '--live');
      assert.match(await ok('blkdeviotune', 'hd', 'vdb'), /\nwrite_bytes_sec: 1048576\n/);
      assert.match(await ok('dumpxml', 'hd'), /<iotune>\s*<write_bytes_sec>1048576<\/write_bytes_sec>\s*<\/iotune>/);
      assert.equal(await failing('blkdeviotune', 'hd', 'vdz'), "error: Unable to get block I/O throttle parameters\nerror: invalid argument: disk 'vdz' not found in domain\n");
      assert.equal(await failing('blkdeviotune', 'hd', 'vdb', '--total-bytes-sec', '1M'),
        'error: Unable to change block I/O throttle\nerror: invalid argument: total and read/write of bytes_sec cannot be set at the same time\n');
      // 3 MiB at 1 MiB/s, timed by the guest's own clock (/proc/uptime; the test guest's busybox dd
      // prints no rate): a generous ceiling (twice the limit) leaves room for QEMU's burst
      // allowance and says nothing about this machine's speed.
      const out = await d.guestRun('hd', "a=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=/dev/vda bs=65536 count=48 oflag=direct 2>/dev/null; b=$(cut -d' ' -f1 /proc/uptime); echo \"took $a $b\"", 60_000);
      const m = /took ([\d.]+) ([\d.]+)/.exec(out);
      assert.ok(m !== null, out);
      const rate = (48 * 65536) / (Number(m[2]) - Number(m[1]));
      assert.ok(rate < 2 * 1048576, `the guest wrote at ${rate} B/s: ${out}`);
      await ok('blkdeviotune', 'hd', 'vdb', '--write-bytes-sec', '0');
      assert.match(await ok('blkdeviotune', 'hd', 'vdb'), /\nwrite_bytes_sec: 0\n/);
      assert.doesNotMatch(await ok('dumpxml', 'hd'), /<iotune>/);
    });

    await step('refusals leave nothing behind: target in use, missing file, SATA', async () => {
      const before = qemuFiles().sort();
      assert.match(await failing('attach-disk', 'hd', raw, 'vdb', '--live'),
        new RegExp(`^error: Failed to attach disk\nerror: XML error: target 'vdb' duplicated for disk sources '${qcow}' and '${raw}'\n$`));
      assert.equal(await failing('attach-disk', 'hd', path.join(tmp, 'nope.img'), 'vdc', '--live'),
        `error: Failed to attach disk\nerror: Cannot access storage file '${path.join(tmp, 'nope.img')}': No such file or directory\n`);
      assert.equal(await failing('attach-disk', 'hd', raw, 'sdc', '--targetbus', 'sata', '--live'),
        "error: Failed to attach disk\nerror: Operation not supported: disk bus 'sata' cannot be hotplugged.\n");
      assert.deepEqual(qemuFiles().sort(), before);
      assert.deepEqual(await guestDisks(), ['vda']);
      assert.equal(await failing('detach-disk', 'hd', 'vdz'), 'error: No disk found whose source path or target is vdz\n');
    });

    await step('a SCSI disk goes on the virtio-scsi controller: the guest sees sda', async () => {
      await ok('attach-disk', 'hd', raw, 'sda', '--targetbus', 'scsi', '--live');
      await waitFor(async () => (await guestDisks()).includes('sda'), SOON, 'the guest to see sda');
      assert.match(await ok('dumpxml', 'hd'), /<alias name='scsi0-0-0-0'\/>|<target dev='sda' bus='scsi'\/>/);
    });

    // The test guest has no CD-ROM driver (scripts/build-guest.sh leaves ahci out): what QEMU holds is checked.
    await step('change-media on the SATA CD-ROM: insert, update and eject, seen in QEMU\'s open files and the live XML', async () => {
      assert.equal(await failing('change-media', 'hd', 'sdb', '--eject'), "error: The disk device 'sdb' doesn't have media\n");
      assert.equal(await failing('change-media', 'hd', 'sdb', '--insert'), 'error: New disk media source was not specified\n');
      assert.equal(await failing('change-media', 'hd', 'vdb', iso1), "error: The disk device 'vdb' is not removable\n");
      assert.equal(await ok('change-media', 'hd', 'sdb', iso1, '--insert'), 'Successfully inserted media.\n\n');
      assert.match(await ok('domblklist', 'hd'), new RegExp(`sdb\\s+${iso1}`));
      assert.ok(qemuFiles().includes(iso1));
      assert.match(await ok('dumpxml', 'hd'), new RegExp(`<source file='${iso1}' index='\\d+'/>\\s*<target dev='sdb' bus='sata'/>`));
      assert.equal(await failing('change-media', 'hd', 'sdb', iso2, '--insert'), "error: The disk device 'sdb' already has media\n");
      assert.equal(await ok('change-media', 'hd', 'sdb', iso2), 'Successfully updated media.\n\n');
      assert.ok(qemuFiles().includes(iso2) && !qemuFiles().includes(iso1), 'QEMU holds the new medium only');
      assert.equal(await ok('change-media', 'hd', 'sdb', '--eject'), 'Successfully ejected media.\n\n');
      assert.ok(!qemuFiles().includes(iso2));
      assert.match(await ok('domblklist', 'hd'), /sdb\s+-/);
      assert.doesNotMatch(await ok('domblklist', 'hd', '--inactive'), /one\.iso|two\.iso/);
    });

    await step('the disks stay over a vireod restart, and are detached after it', async () => {
      stopEvents();
      client.close();
      await d.stop();
      await d.start();
      await listen();
      assert.match(await ok('domblklist', 'hd'), new RegExp(`vdb\\s+${qcow}[\\s\\S]*sda\\s+${raw}`));
      // A medium inserted after the restart gets a node number none of the disks has.
      await ok('change-media', 'hd', 'sdb', iso1, '--insert');
      assert.ok(qemuFiles().includes(iso1));
      const out = await ok('detach-disk', 'hd', 'vdb', '--live');
      assert.equal(out, 'Disk detached successfully\n\n');
      assert.deepEqual(await guestDisks(), ['sda']);
      assert.ok(!qemuFiles().includes(qcow), 'QEMU still holds the detached image');
      await waitFor(() => events.some((e) => e.type === 'device-removed' && e.device === 'virtio-disk1'), SOON, 'device-removed virtio-disk1');
      await ok('detach-disk', 'hd', raw);
      assert.deepEqual(await guestDisks(), []);
      assert.ok(!qemuFiles().includes(raw));
      assert.doesNotMatch(await ok('domblklist', 'hd'), /vdb|sda/);
      await ok('change-media', 'hd', 'sdb', '--eject');
      assert.ok(!qemuFiles().includes(iso1));
    });

    await step('an i6300esb watchdog is plugged into and unplugged from the running guest; an ib700 (ISA) is refused live', async () => {
      const pciIds = async (): Promise<string> => d.guestRun('hd', 'cat /sys/bus/pci/devices/*/device');
      writeFileSync(path.join(tmp, 'wd.xml'), "<watchdog model='i6300esb' action='poweroff'/>\n");
      writeFileSync(path.join(tmp, 'ib.xml'), "<watchdog model='ib700' action='reset'/>\n");
      assert.doesNotMatch(await pciIds(), /0x25ab/);
      assert.equal(await ok('attach-device', 'hd', path.join(tmp, 'wd.xml'), '--live'), 'Device attached successfully\n\n');
      await waitFor(async () => /0x25ab/.test(await pciIds()), SOON, 'the guest to see the i6300esb');
      assert.match(await ok('dumpxml', 'hd'), /<watchdog model='i6300esb' action='poweroff'>/);
      assert.doesNotMatch(await ok('dumpxml', 'hd', '--inactive'), /<watchdog/);
      assert.equal(await failing('attach-device', 'hd', path.join(tmp, 'ib.xml'), '--live'),
        `error: Failed to attach device from ${path.join(tmp, 'ib.xml')}\nerror: Requested operation is not valid: domain already has a watchdog\n`);
      assert.equal(await ok('detach-device', 'hd', path.join(tmp, 'wd.xml'), '--live'), 'Device detached successfully\n\n');
      assert.doesNotMatch(await pciIds(), /0x25ab/);
      assert.doesNotMatch(await ok('dumpxml', 'hd'), /<watchdog/);
      assert.equal(await failing('attach-device', 'hd', path.join(tmp, 'ib.xml'), '--live'),
        `error: Failed to attach device from ${path.join(tmp, 'ib.xml')}\nerror: Operation not supported: live attach of device 'watchdog' is not supported\n`);
    });

    await step('--config changes only the stored definition; detach-disk --config takes it out again', async () => {
      await ok('attach-disk', 'hd', qcow, 'vdc', '--subdriver', 'qcow2', '--config');
      assert.match(await ok('dumpxml', 'hd', '--inactive'), new RegExp(`<source file='${qcow}'/>\\s*<target dev='vdc' bus='virtio'/>`));
      assert.doesNotMatch(await ok('domblklist', 'hd'), /vdc/);
      assert.ok(!qemuFiles().includes(qcow));
      await ok('detach-disk', 'hd', 'vdc', '--config');
      assert.doesNotMatch(await ok('domblklist', 'hd', '--inactive'), /vdc/);
    });
  });
});
