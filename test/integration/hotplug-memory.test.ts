// Memory hot-plug end to end: a guest with <maxMemory> and a NUMA cell boots with one DIMM (the
// live XML shows its slot and QEMU's base address, the guest counts its memory), gets a second
// one through attach-device --live --config (the guest's MemTotal grows by exactly its size;
// <memory> and <currentMemory> follow in both definitions), keeps it over a vireod restart, and
// loses it again through detach-device (MemTotal shrinks back). A detach the guest cannot answer
// (paused) returns after libvirt's wait and completes when it does; refusals use libvirt's words
// and change nothing. The guest onlines hot-plugged memory itself: memhp_default_state on its
// kernel command line (online_movable, so that it can also give the memory back: a block the
// kernel onlined as ordinary memory may hold pages it cannot move, and then the guest never lets
// the module go).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DomainEvent } from '../../src/api/types.js';
import { VireoClient } from '../../src/client/client.js';
import { guestXml, scenario, SOON, TestDaemon, waitFor } from './harness.js';

const BOOT_DIMM = "\n    <memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>";

/** The test guest with room for 1 GiB in 4 slots, its 128 MiB of boot memory in NUMA cell 0, and one DIMM. */
function dimmGuestXml(name: string): string {
  return guestXml(name, { cmdline: 'memhp_default_state=online_movable', extraDevices: BOOT_DIMM })
    .replace('<memory unit=\'MiB\'>128</memory>', "<maxMemory slots='4' unit='MiB'>1024</maxMemory>\n  <memory unit='MiB'>256</memory>")
    .replace('</features>', "</features>\n  <cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/></numa></cpu>");
}

const dimm = (mib: number | string, extra = '', node = 0): string =>
  `<memory model='dimm'>\n  <target>\n    <size unit='${typeof mib === 'number' ? 'MiB' : 'KiB'}'>${mib}</size>\n    <node>${node}</node>\n  </target>${extra}\n</memory>\n`;

describe('memory hot-plug (DIMMs) in a running guest', () => {
  const d = new TestDaemon();
  const tmp = mkdtempSync(path.join(tmpdir(), 'vireo-hpmem-'));
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
  /** MemTotal of the guest's /proc/meminfo, KiB. */
  const memTotal = async (): Promise<number> => {
    const m = /MemTotal:\s+(\d+) kB/.exec(await d.guestRun('mem', 'grep MemTotal /proc/meminfo'));
    assert.ok(m !== null, 'the guest prints MemTotal');
    return Number(m[1]);
  };
  const dominfoMemory = async (): Promise<string[]> => (await ok('dominfo', 'mem')).split('\n').filter((l) => /memory:/.test(l)).map((l) => l.replace(/\s+/g, ' '));
  /** The <memory model='dimm'> elements of a dumpxml, each on one line. */
  const dimms = (xml: string): string[] => [...xml.matchAll(/<memory model='dimm'>[\s\S]*?<\/memory>/g)].map((m) => m[0].replace(/\s*\n\s*/g, ''));

  before(async () => {
    await d.start();
    await listen();
    await ok('define', file('mem.xml', dimmGuestXml('mem')));
    await ok('start', 'mem');
    await d.waitShell('mem');
  });
  after(async () => {
    stopEvents();
    client.close();
    await d.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('attach, keep over a restart, and detach a DIMM', async (tt) => {
    const step = scenario(tt);
    let before = 0;

    await step('a DIMM of the definition is plugged at start: the live XML shows its slot, device id and base address', async () => {
      assert.deepEqual(dimms(await ok('dumpxml', 'mem')), [
        "<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target><alias name='dimm0'/><address type='dimm' slot='0' base='0x100000000'/></memory>",
      ]);
      assert.deepEqual(dimms(await ok('dumpxml', '--inactive', 'mem')), [
        "<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target><address type='dimm' slot='0'/></memory>",
      ]);
      assert.deepEqual(await dominfoMemory(), ['Max memory: 262144 KiB', 'Used memory: 262144 KiB']);
      before = await memTotal();
      // The boot DIMM is guest memory too: more than the 128 MiB of the NUMA cell alone.
      assert.ok(before > 131072, `MemTotal ${before} kB includes the boot DIMM`);
    });

    await step('attach-device --live --config: the guest\'s MemTotal grows by the DIMM; both definitions have it', async () => {
      const f = file('dimm256.xml', dimm(256));
      assert.equal(await ok('attach-device', 'mem', f, '--live', '--config'), 'Device attached successfully\n\n');
      await waitFor(async () => (await memTotal()) === before + 262144, SOON, 'the guest to count the new 256 MiB');
      const live = await ok('dumpxml', 'mem');
      assert.equal(dimms(live)[1], "<memory model='dimm'><target><size unit='KiB'>262144</size><node>0</node></target><alias name='dimm1'/><address type='dimm' slot='1' base='0x108000000'/></memory>");
      assert.match(live, /<memory unit='KiB'>524288<\/memory>\n {2}<currentMemory unit='KiB'>524288<\/currentMemory>/);
      const config = await ok('dumpxml', '--inactive', 'mem');
      assert.equal(dimms(config)[1], "<memory model='dimm'><target><size unit='KiB'>262144</size><node>0</node></target><address type='dimm' slot='1'/></memory>");
      assert.match(config, /<memory unit='KiB'>524288<\/memory>/);
      assert.deepEqual(await dominfoMemory(), ['Max memory: 524288 KiB', 'Used memory: 524288 KiB']);
      await waitFor(() => events.some((e) => e.type === 'device-added' && e.device === 'dimm1'), SOON, 'device-added dimm1');
    });

    await step('setmem: the balloon works against the whole memory, modules included', async () => {
      assert.match(await failing('setmem', 'mem', '524289', '--live'), /error: invalid argument: cannot set memory higher than max memory\n/);
      await ok('setmem', 'mem', '409600', '--live');
      await waitFor(async () => (await dominfoMemory())[1] === 'Used memory: 409600 KiB', SOON, 'the guest to give 112 MiB to the balloon');
      await waitFor(async () => (await memTotal()) === before + 262144 - 114688, SOON, 'MemTotal to shrink by the balloon');
      await ok('setmem', 'mem', '524288', '--live');
      await waitFor(async () => (await memTotal()) === before + 262144, SOON, 'MemTotal to grow back');
    });

    await step('refusals in libvirt\'s words change nothing: above maxMemory, a NUMA node or slot the guest lacks, a size QEMU cannot take', async () => {
      const attach = async (name: string, xml: string, ...flags: string[]): Promise<string> => failing('attach-device', 'mem', file(name, xml), ...flags);
      assert.equal(await attach('big.xml', dimm(1024), '--live'),
        `error: Failed to attach device from ${path.join(tmp, 'big.xml')}\nerror: unsupported configuration: Attaching memory device with size '1048576' would exceed domain's maxMemory config size '1048576'\n`);
      assert.equal(await attach('node.xml', dimm(128, '', 3), '--live'),
        `error: Failed to attach device from ${path.join(tmp, 'node.xml')}\nerror: can't add memory backend for guest node '3' as the guest has only '1' NUMA nodes configured\n`);
      assert.equal(await attach('slot.xml', dimm(128, "\n  <address type='dimm' slot='0'/>"), '--live'),
        `error: Failed to attach device from ${path.join(tmp, 'slot.xml')}\nerror: unsupported configuration: memory device slot '0' is already being used by another memory device\n`);
      assert.equal(await attach('slot9.xml', dimm(128, "\n  <address type='dimm' slot='9'/>"), '--config'),
        `error: Failed to attach device from ${path.join(tmp, 'slot9.xml')}\nerror: unsupported configuration: memory device slot '9' exceeds slots count '4'\n`);
      assert.match(await attach('odd.xml', dimm('1000'), '--live'),
        /error: unsupported configuration: memory device size 1000 KiB is not a multiple of 2048 KiB, which QEMU needs for a DIMM\n/);
      assert.equal(dimms(await ok('dumpxml', 'mem')).length, 2);
      assert.equal(dimms(await ok('dumpxml', '--inactive', 'mem')).length, 2);
    });

    await step('a vireod restart keeps the DIMM in the live definition', async () => {
      stopEvents();
      client.close();
      await d.stop();
      await d.start();
      await listen();
      assert.equal(dimms(await ok('dumpxml', 'mem'))[1], "<memory model='dimm'><target><size unit='KiB'>262144</size><node>0</node></target><alias name='dimm1'/><address type='dimm' slot='1' base='0x108000000'/></memory>");
    });

    await step('detach-device --live --config: the guest gives the memory back; both definitions lose it', async () => {
      // A detach names the module as libvirt matches it: by size and node (an address would need its base too).
      assert.equal(await ok('detach-device', 'mem', file('dimm256.xml', dimm(256)), '--live', '--config'), 'Device detached successfully\n\n');
      assert.equal(await memTotal(), before);
      assert.equal(dimms(await ok('dumpxml', 'mem')).length, 1);
      assert.equal(dimms(await ok('dumpxml', '--inactive', 'mem')).length, 1);
      assert.deepEqual(await dominfoMemory(), ['Max memory: 262144 KiB', 'Used memory: 262144 KiB']);
      assert.ok(events.some((e) => e.type === 'device-removed' && e.device === 'dimm1'));
      assert.equal(await failing('detach-device', 'mem', path.join(tmp, 'dimm256.xml'), '--live'),
        `error: Failed to detach device from ${path.join(tmp, 'dimm256.xml')}\nerror: device not found: model 'dimm' memory device not present in the domain configuration\n`);
    });

    await step('a detach the paused guest cannot answer returns after the wait; the module goes once the guest runs again', async () => {
      await ok('attach-device', 'mem', file('dimm128.xml', dimm(128)), '--live');
      await waitFor(async () => (await memTotal()) === before + 131072, SOON, 'the guest to count the new 128 MiB');
      await ok('suspend', 'mem');
      assert.equal(await ok('detach-device', 'mem', path.join(tmp, 'dimm128.xml'), '--live'), 'Device detached successfully\n\n');
      // Still there: the guest has not ejected it yet.
      assert.equal(dimms(await ok('dumpxml', 'mem')).length, 2);
      await ok('resume', 'mem');
      await waitFor(async () => dimms(await ok('dumpxml', 'mem')).length === 1, SOON, 'the module to go once the guest runs');
      assert.equal(await memTotal(), before);
      assert.deepEqual(await dominfoMemory(), ['Max memory: 262144 KiB', 'Used memory: 262144 KiB']);
    });
  });
});
