// Hot-plug of devices other than NICs and disks, end to end with a real guest: virtio rngs
// (random and builtin backends) come and go in the guest's virtio bus, keep their device ids over
// a vireod restart, and their backends go with them (a second plug reuses the id); a virtio-scsi
// controller comes, takes a disk the guest sees, and goes once the disk has; USB and virtio
// inputs come and go (the test guest has no USB host driver: USB devices are checked on QEMU's
// side, their removal confirmed by QEMU's DEVICE_DELETED; a virtio one in the guest); what libvirt
// refuses live is refused with its words; --config changes only the stored definition.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DomainEvent } from '../../src/api/types.js';
import { VireoClient } from '../../src/client/client.js';
import { guestXml, scenario, SOON, TestDaemon, waitFor } from './harness.js';

const PORTS = "\n    <controller type='pci' model='pcie-root-port'/>".repeat(4);
const RANDOM = "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n";
const BUILTIN = "<rng model='virtio'><rate bytes='1024' period='1000'/><backend model='builtin'/></rng>\n";

describe('hot-plug of rngs, controllers and inputs in a running guest', () => {
  const d = new TestDaemon();
  const tmp = mkdtempSync(path.join(tmpdir(), 'vireo-hpdev-'));
  const events: DomainEvent[] = [];
  let client: VireoClient;
  let stopEvents: () => void = () => {};
  const ok = (...args: string[]): Promise<string> => d.ok(...args);
  const failing = (...args: string[]): Promise<string> => d.failing(...args);
  const file = (name: string, text: string): string => {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const listen = async (): Promise<void> => {
    client = VireoClient.open(d.uri);
    stopEvents = await client.events((e) => events.push(e));
  };
  /** The virtio devices the guest sees, by virtio device id (0x0004: entropy, 0x0008: SCSI). */
  const virtioIds = async (): Promise<string[]> => (await d.guestRun('hv', 'cat /sys/bus/virtio/devices/*/device')).trim().split('\n').sort();
  const count = (ids: string[], id: string): number => ids.filter((x) => x === id).length;

  before(async () => {
    await d.start();
    await listen();
    await ok('define', file('hv.xml', guestXml('hv', { extraDevices: PORTS })));
    await ok('start', 'hv');
    await d.waitShell('hv');
  });
  after(async () => {
    stopEvents();
    client.close();
    await d.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('rng: attach, restart, detach, attach again; refusals', async (tt) => {
    const step = scenario(tt);
    const random = file('random.xml', RANDOM);
    const builtin = file('builtin.xml', BUILTIN);

    await step('attach-device --live: the guest sees a virtio entropy device; the live XML shows it with its id and PCI place', async () => {
      assert.equal(count(await virtioIds(), '0x0004'), 0);
      assert.equal(await ok('attach-device', 'hv', random, '--live'), 'Device attached successfully\n\n');
      await waitFor(async () => count(await virtioIds(), '0x0004') === 1, SOON, 'the guest to see the rng');
      assert.match(await ok('dumpxml', 'hv'), /<rng model='virtio'>\n {6}<backend model='random'>\/dev\/urandom<\/backend>\n {6}<alias name='rng0'\/>\n {6}<address type='pci' domain='0x0000' bus='0x0[1-9]' slot='0x00' function='0x0'\/>\n {4}<\/rng>/);
      assert.doesNotMatch(await ok('dumpxml', 'hv', '--inactive'), /<rng/);
      await waitFor(() => events.some((e) => e.type === 'device-added' && e.device === 'rng0'), SOON, 'device-added rng0');
    });

    await step('a second rng (builtin backend, rate-limited) gets the next id', async () => {
      await ok('attach-device', 'hv', builtin);
      await waitFor(async () => count(await virtioIds(), '0x0004') === 2, SOON, 'the guest to see both rngs');
      assert.match(await ok('dumpxml', 'hv'), /<rate bytes='1024' period='1000'\/>\n {6}<backend model='builtin'\/>\n {6}<alias name='rng1'\/>/);
    });

    await step('a restarted vireod knows both by their ids and unplugs the first: the guest sees it go', async () => {
      stopEvents();
      client.close();
      await d.stop();
      await d.start();
      await listen();
      assert.equal(await ok('detach-device', 'hv', random, '--live'), 'Device detached successfully\n\n');
      assert.equal(count(await virtioIds(), '0x0004'), 1);
      const xml = await ok('dumpxml', 'hv');
      assert.doesNotMatch(xml, /model='random'/);
      assert.match(xml, /<alias name='rng1'\/>/);
      await waitFor(() => events.some((e) => e.type === 'device-removed' && e.device === 'rng0'), SOON, 'device-removed rng0');
    });

    await step('attached again it takes the free id rng0: its old backend object is gone from QEMU', async () => {
      await ok('attach-device', 'hv', random);
      await waitFor(async () => count(await virtioIds(), '0x0004') === 2, SOON, 'the guest to see the rng again');
      assert.match(await ok('dumpxml', 'hv'), /<backend model='random'>\/dev\/urandom<\/backend>\n {6}<alias name='rng0'\/>/);
      await ok('detach-device', 'hv', random);
      await ok('detach-device', 'hv', builtin);
      assert.equal(count(await virtioIds(), '0x0004'), 0);
    });

    await step("refusals: an rng the guest does not have, an egd backend live (vireo cannot plug its chardev yet), update-device", async () => {
      assert.equal(await failing('detach-device', 'hv', random),
        `error: Failed to detach device from ${random}\nerror: device not found: matching RNG device was not found\n`);
      const egd = file('egd.xml', "<rng model='virtio'><backend model='egd' type='tcp'><source mode='connect' host='127.0.0.1' service='1024'/><protocol type='raw'/></backend></rng>\n");
      assert.equal(await failing('attach-device', 'hv', egd),
        `error: Failed to attach device from ${egd}\nerror: Operation not supported: live attach of an rng with backend model 'egd' is not supported; use --config\n`);
      assert.equal(await failing('update-device', 'hv', random),
        `error: Failed to update device from ${random}\nerror: Operation not supported: live update of device 'rng' is not supported\n`);
      assert.doesNotMatch(await ok('dumpxml', 'hv'), /<rng/);
    });

    await step('--config changes only the stored definition', async () => {
      await ok('attach-device', 'hv', builtin, '--config');
      assert.match(await ok('dumpxml', 'hv', '--inactive'), /<backend model='builtin'\/>/);
      assert.doesNotMatch(await ok('dumpxml', 'hv'), /<rng/);
      await ok('detach-device', 'hv', builtin, '--config');
      assert.doesNotMatch(await ok('dumpxml', 'hv', '--inactive'), /<rng/);
    });
  });

  test('controllers: a virtio-scsi controller plugged live takes a disk, is busy while it has one, then goes; other types refused', async (tt) => {
    const step = scenario(tt);
    const ctl = file('ctl.xml', "<controller type='scsi' model='virtio-scsi'/>\n");
    const raw = path.join(tmp, 'scsi.raw');
    writeFileSync(raw, Buffer.alloc(1 << 20));
    const disk = file('sda.xml', `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${raw}'/><target dev='sda' bus='scsi'/></disk>\n`);
    const blocks = async (): Promise<string> => d.guestRun('hv', 'ls /sys/block');

    await step('attach-device --live: the guest sees a virtio SCSI controller; the live XML has it', async () => {
      assert.equal(count(await virtioIds(), '0x0008'), 0);
      assert.equal(await ok('attach-device', 'hv', ctl, '--live'), 'Device attached successfully\n\n');
      await waitFor(async () => count(await virtioIds(), '0x0008') === 1, SOON, 'the guest to see the controller');
      assert.match(await ok('dumpxml', 'hv'), /<controller type='scsi' index='0' model='virtio-scsi'>\n {6}<address type='pci' domain='0x0000' bus='0x0[1-9]' slot='0x00' function='0x0'\/>/);
      assert.doesNotMatch(await ok('dumpxml', 'hv', '--inactive'), /type='scsi'/);
      await waitFor(() => events.some((e) => e.type === 'device-added' && e.device === 'scsi0'), SOON, 'device-added scsi0');
    });

    await step('a SCSI disk goes on it (the guest sees sda); the controller is busy until the disk has gone', async () => {
      await ok('attach-device', 'hv', disk);
      await waitFor(async () => /\bsda\b/.test(await blocks()), SOON, 'the guest to see sda');
      assert.equal(await failing('detach-device', 'hv', ctl),
        `error: Failed to detach device from ${ctl}\nerror: operation failed: device cannot be detached: device is busy\n`);
      await ok('detach-device', 'hv', disk);
      assert.doesNotMatch(await blocks(), /\bsda\b/);
      assert.equal(await ok('detach-device', 'hv', ctl, '--live'), 'Device detached successfully\n\n');
      assert.equal(count(await virtioIds(), '0x0008'), 0);
      assert.doesNotMatch(await ok('dumpxml', 'hv'), /type='scsi'/);
    });

    await step("libvirt's refusals: other controller types live, a taken index, a controller the guest lacks", async () => {
      const usb = file('usb.xml', "<controller type='usb' model='qemu-xhci' index='0'/>\n");
      const serial = file('vs.xml', "<controller type='virtio-serial' index='0'/>\n");
      const s0 = file('s0.xml', "<controller type='scsi' model='virtio-scsi' index='0'/>\n");
      const s5 = file('s5.xml', "<controller type='scsi' model='virtio-scsi' index='5'/>\n");
      assert.equal(await failing('attach-device', 'hv', usb), `error: Failed to attach device from ${usb}\nerror: Operation not supported: 'usb' controller cannot be hot plugged.\n`);
      assert.equal(await failing('detach-device', 'hv', usb), `error: Failed to detach device from ${usb}\nerror: Operation not supported: 'usb' controller cannot be hot unplugged.\n`);
      assert.equal(await failing('attach-device', 'hv', serial), `error: Failed to attach device from ${serial}\nerror: Operation not supported: 'virtio-serial' controller cannot be hot plugged.\n`);
      await ok('attach-device', 'hv', s0);
      assert.equal(await failing('attach-device', 'hv', s0), `error: Failed to attach device from ${s0}\nerror: operation failed: target scsi:0 already exists\n`);
      await ok('detach-device', 'hv', s0);
      assert.equal(await failing('detach-device', 'hv', s5), `error: Failed to detach device from ${s5}\nerror: device not found: controller scsi:5 not found\n`);
    });

    await step('--config: any controller whose index is free; given up by type and index', async () => {
      const serial = path.join(tmp, 'vs.xml');
      assert.equal(await ok('attach-device', 'hv', serial, '--config'), 'Device attached successfully\n\n');
      assert.match(await ok('dumpxml', 'hv', '--inactive'), /<controller type='virtio-serial' index='0'>/);
      assert.equal(await failing('attach-device', 'hv', serial, '--config'),
        `error: Failed to attach device from ${serial}\nerror: Requested operation is not valid: controller index='0' already exists\n`);
      await ok('detach-device', 'hv', serial, '--config');
      assert.equal(await failing('detach-device', 'hv', serial, '--config'),
        `error: Failed to detach device from ${serial}\nerror: device not found: device not present in domain configuration\n`);
    });
  });

  test('inputs: USB ones on the next free port, a virtio one at a PCI place; unplugged; PS/2 refused live', async (tt) => {
    const step = scenario(tt);
    const tablet = file('tablet.xml', "<input type='tablet' bus='usb'/>\n");
    const kbd = file('kbd.xml', "<input type='keyboard' bus='usb'/>\n");
    const vtab = file('vtab.xml', "<input type='tablet' bus='virtio'/>\n");
    const ps2 = file('ps2.xml', "<input type='mouse' bus='ps2'/>\n");

    // The guest has no graphics, so no PS/2 inputs: the first plugged input is input0.
    await step('a USB tablet and keyboard take ports 1 and 2 of the USB controller, with the next device ids', async () => {
      assert.equal(await ok('attach-device', 'hv', tablet, '--live'), 'Device attached successfully\n\n');
      await ok('attach-device', 'hv', kbd);
      const xml = await ok('dumpxml', 'hv');
      assert.match(xml, /<input type='tablet' bus='usb'>\n {6}<alias name='input0'\/>\n {6}<address type='usb' bus='0' port='1'\/>/);
      assert.match(xml, /<input type='keyboard' bus='usb'>\n {6}<alias name='input1'\/>\n {6}<address type='usb' bus='0' port='2'\/>/);
      assert.doesNotMatch(await ok('dumpxml', 'hv', '--inactive'), /bus='usb'/);
    });

    await step('a virtio tablet: the guest sees a virtio input device come and go', async () => {
      assert.equal(count(await virtioIds(), '0x0012'), 0);
      await ok('attach-device', 'hv', vtab);
      await waitFor(async () => count(await virtioIds(), '0x0012') === 1, SOON, 'the guest to see the virtio tablet');
      assert.match(await ok('dumpxml', 'hv'), /<input type='tablet' bus='virtio'>\n {6}<alias name='input2'\/>\n {6}<address type='pci'/);
      await ok('detach-device', 'hv', vtab);
      assert.equal(count(await virtioIds(), '0x0012'), 0);
    });

    await step('detach: QEMU lets the USB devices go (device-removed); the freed port is taken again', async () => {
      assert.equal(await ok('detach-device', 'hv', tablet, '--live'), 'Device detached successfully\n\n');
      await waitFor(() => events.some((e) => e.type === 'device-removed' && e.device === 'input0'), SOON, 'device-removed input0');
      assert.doesNotMatch(await ok('dumpxml', 'hv'), /type='tablet'/);
      await ok('attach-device', 'hv', tablet);
      assert.match(await ok('dumpxml', 'hv'), /<input type='tablet' bus='usb'>\n {6}<alias name='input0'\/>\n {6}<address type='usb' bus='0' port='1'\/>/);
      await ok('detach-device', 'hv', tablet);
      await ok('detach-device', 'hv', kbd);
      assert.doesNotMatch(await ok('dumpxml', 'hv'), /bus='usb'/);
    });

    await step('refusals: a PS/2 input live, an input the guest lacks; --config takes a USB tablet', async () => {
      assert.equal(await failing('attach-device', 'hv', ps2),
        `error: Failed to attach device from ${ps2}\nerror: Operation not supported: a PS/2 input is part of the machine and cannot be hot plugged; use --config\n`);
      assert.equal(await failing('detach-device', 'hv', tablet), `error: Failed to detach device from ${tablet}\nerror: device not found: matching input device not found\n`);
      await ok('attach-device', 'hv', tablet, '--config');
      assert.match(await ok('dumpxml', 'hv', '--inactive'), /<input type='tablet' bus='usb'>\n {6}<address type='usb' bus='0' port='1'\/>/);
      await ok('detach-device', 'hv', tablet, '--config');
      assert.doesNotMatch(await ok('dumpxml', 'hv', '--inactive'), /type='tablet'/);
    });
  });
});
