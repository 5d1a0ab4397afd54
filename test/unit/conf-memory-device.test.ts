// Memory modules (<memory model='dimm'>): what libvirt 9.0 accepts, refuses (its words, checked
// with libvirt-ref) and prints; <memory> as the NUMA cells plus the modules; slots; the checks of a
// hot-plug; the sizes a start rounds up; how a detach names a module; QEMU's query-memory-devices;
// a guest's refusal of an unplug.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import type { DomainDef } from '../../src/conf/domain-model.js';
import { parseDeviceXml } from '../../src/conf/domain-device.js';
import { findMemoryDevice, initialMemoryKiB, placeHotplugDimm, prepareMemoryDevices } from '../../src/conf/domain-parse-memory.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';
import { parseMemoryDevices } from '../../src/qemu/monitor-memory.js';
import type { Runtime } from '../../src/daemon/domain/domain.js';
import { markUnplugPending, onUnplugRefused, unplugPending, waitDeviceDeleted } from '../../src/daemon/domain/unplug.js';

/** A wait that only a failing test reaches. */
const SOON_MS = 30_000;

const DIMM = "<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>";

/** A guest with room for 1 GiB in 4 slots, 128 MiB in NUMA cell 0, and `devices`. */
function xml(devices: string, o: { max?: string; memory?: string; numa?: string; current?: string } = {}): string {
  return `<domain type='qemu'><name>m</name>${o.max ?? "<maxMemory slots='4' unit='MiB'>1024</maxMemory>"}
<memory unit='MiB'>${o.memory ?? '256'}</memory>${o.current ?? ''}<os><type machine='q35'>hvm</type></os><features><acpi/></features>
${o.numa ?? "<cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/></numa></cpu>"}<devices>${devices}</devices></domain>`;
}
const error = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof VireoError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
};
const dimm = (s: string): DomainDef['devices']['memories'][number] => {
  const d = parseDeviceXml(s);
  assert.equal(d.kind, 'memory');
  return d.memory;
};

describe('<memory model=dimm> in a definition', () => {
  test("prints as libvirt's dumpxml, with the slot it was given; <memory> is the cells plus the modules", () => {
    const def = parseDomainXml(xml(DIMM, { memory: '999' }));
    const out = formatDomainXml(def);
    assert.match(out, /<maxMemory slots='4' unit='KiB'>1048576<\/maxMemory>\n {2}<memory unit='KiB'>262144<\/memory>\n {2}<currentMemory unit='KiB'>262144<\/currentMemory>/);
    assert.match(out, /<memballoon model='virtio'>[\s\S]*<\/memballoon>\n {4}<memory model='dimm'>\n {6}<target>\n {8}<size unit='KiB'>131072<\/size>\n {8}<node>0<\/node>\n {6}<\/target>\n {6}<address type='dimm' slot='0'\/>\n {4}<\/memory>\n {2}<\/devices>/);
    assert.equal(formatDomainXml(parseDomainXml(out)), out);
    assert.equal(initialMemoryKiB(def), 131072);
  });

  test('written slots and bases are kept; others get the lowest free slot; access, discard and page size print back', () => {
    const out = formatDomainXml(parseDomainXml(xml(`${DIMM}<memory model='dimm' access='shared' discard='yes'><source><pagesize unit='KiB'>2048</pagesize></source>
<target><size unit='MiB'>128</size><node>0</node></target><address type='dimm' slot='0' base='0x100000000'/></memory>`)));
    assert.match(out, /<memory model='dimm'>[\s\S]*?<address type='dimm' slot='1'\/>/);
    assert.match(out, /<memory model='dimm' access='shared' discard='yes'>\n {6}<source>\n {8}<pagesize unit='KiB'>2048<\/pagesize>\n {6}<\/source>[\s\S]*?<address type='dimm' slot='0' base='0x100000000'\/>/);
    assert.match(out, /<memory unit='KiB'>393216<\/memory>/);
    const run = spawnSync('xmllint', ['--noout', '--relaxng', '/usr/share/libvirt/schemas/domain.rng', '-'], { input: out, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });

  test('a <currentMemory> below the total is kept; one at the written <memory> follows the total', () => {
    assert.equal(parseDomainXml(xml(DIMM, { current: "<currentMemory unit='MiB'>200</currentMemory>" })).currentMemoryKiB, 204800);
    assert.equal(parseDomainXml(xml(DIMM, { memory: '128', current: "<currentMemory unit='MiB'>128</currentMemory>" })).currentMemoryKiB, 262144);
  });

  test("refusals in libvirt 9.0's words", () => {
    const four = DIMM.repeat(5);
    const cases: Array<[string, string]> = [
      [xml(DIMM, { max: '' }), "CONFIG_UNSUPPORTED: unsupported configuration: cannot use/hotplug a memory device when domain 'maxMemory' is not defined"],
      [xml('', { numa: '' }), 'CONFIG_UNSUPPORTED: unsupported configuration: At least one numa node has to be configured when enabling memory hotplug'],
      [xml(DIMM, { max: "<maxMemory slots='0' unit='MiB'>1024</maxMemory>" }), 'XML_INVALID: XML error: both maximum memory size and memory slot count must be specified'],
      [xml(DIMM, { max: "<maxMemory slots='4' unit='MiB'>200</maxMemory>" }), 'XML_INVALID: XML error: maximum memory size must be equal or greater than the actual memory size'],
      [xml(DIMM.replace('<node>0', '<node>1')), "XML_INVALID: can't add memory backend for guest node '1' as the guest has only '1' NUMA nodes configured"],
      [xml(DIMM.replace('<node>0</node>', '')), 'CONFIG_UNSUPPORTED: unsupported configuration: target NUMA node needs to be specified for memory device'],
      [xml(four), 'CONFIG_UNSUPPORTED: unsupported configuration: failed to find an empty memory slot'],
      [xml(DIMM.replace('</target>', "</target><address type='dimm' slot='7'/>")), "CONFIG_UNSUPPORTED: unsupported configuration: memory device slot '7' exceeds slots count '4'"],
      [xml(DIMM.replace('</target>', "</target><address type='dimm' slot='1'/>").repeat(2)), "CONFIG_UNSUPPORTED: unsupported configuration: memory device slot '1' is already being used by another memory device"],
      [xml(DIMM.replace("'dimm'", "'nvdimm'")), "XML_UNSUPPORTED: memory device model 'nvdimm' is not supported yet; only 'dimm' is (<devices>/<memory> at line 3)"],
      [xml(DIMM.replace("<size unit='MiB'>128</size>", '')), 'XML_INVALID: missing element <size> in <devices>/<memory>/<target> at line 3'],
    ];
    for (const [input, expected] of cases) assert.equal(error(() => parseDomainXml(input)), expected, input);
  });
});

describe('memory modules of a running guest', () => {
  test('a start rounds sizes up to 2 MiB (as libvirt) and names each module by its slot', () => {
    const live = parseDomainXml(xml(DIMM.replace("<size unit='MiB'>128", "<size unit='KiB'>1000").replace('</target>', "</target><address type='dimm' slot='2'/>")));
    assert.equal(live.memoryKiB, 131072 + 1000);
    prepareMemoryDevices(live);
    assert.deepEqual(live.devices.memories.map((m) => [m.sizeKiB, m.alias]), [[2048, 'dimm2']]);
    assert.deepEqual([live.memoryKiB, live.currentMemoryKiB], [133120, 133120]);
    // The live XML keeps the device id (a daemon restart reads it back), a definition drops it.
    assert.match(formatDomainXml(parseDomainXml(formatDomainXml(live), { live: true })), /<alias name='dimm2'\/>/);
    assert.doesNotMatch(formatDomainXml(parseDomainXml(formatDomainXml(live))), /<alias/);
  });

  test('a hot-plug takes the lowest free slot and is refused past maxMemory, on a missing node, a taken slot or an odd size', () => {
    const live = parseDomainXml(xml(DIMM));
    prepareMemoryDevices(live);
    assert.deepEqual(placeHotplugDimm(live, dimm(DIMM)), { model: 'dimm', sizeKiB: 131072, node: 0, slot: 1, alias: 'dimm1' });
    assert.equal(error(() => placeHotplugDimm(live, dimm(DIMM.replace("'MiB'>128", "'MiB'>1024")))),
      "CONFIG_UNSUPPORTED: unsupported configuration: Attaching memory device with size '1048576' would exceed domain's maxMemory config size '1048576'");
    assert.equal(error(() => placeHotplugDimm(live, dimm(DIMM.replace('<node>0', '<node>2')))),
      "XML_INVALID: can't add memory backend for guest node '2' as the guest has only '1' NUMA nodes configured");
    assert.equal(error(() => placeHotplugDimm(live, dimm(DIMM.replace('</target>', "</target><address type='dimm' slot='0'/>")))),
      "CONFIG_UNSUPPORTED: unsupported configuration: memory device slot '0' is already being used by another memory device");
    assert.equal(error(() => placeHotplugDimm(live, dimm(DIMM.replace("'MiB'>128", "'KiB'>1000")))),
      'CONFIG_UNSUPPORTED: unsupported configuration: memory device size 1000 KiB is not a multiple of 2048 KiB, which QEMU needs for a DIMM');
    assert.equal(error(() => placeHotplugDimm(parseDomainXml(xml('', { max: '', numa: '', memory: '128' })), dimm(DIMM))),
      "CONFIG_UNSUPPORTED: unsupported configuration: cannot use/hotplug a memory device when domain 'maxMemory' is not defined");
  });

  test('a detach names a module as libvirt matches it: size, node and page size; an address needs its base too', () => {
    const list = [dimm(DIMM), dimm(DIMM.replace("'MiB'>128", "'MiB'>256").replace('</target>', "</target><address type='dimm' slot='1' base='0x108000000'/>"))];
    assert.equal(findMemoryDevice(list, dimm(DIMM.replace("'MiB'>128", "'MiB'>256"))), 1);
    assert.equal(findMemoryDevice(list, dimm(DIMM.replace("'MiB'>128", "'MiB'>256").replace('</target>', "</target><address type='dimm' slot='1'/>"))), -1);
    assert.equal(findMemoryDevice(list, dimm(DIMM.replace("'MiB'>128", "'MiB'>256").replace('</target>', "</target><address type='dimm' slot='1' base='0x108000000'/>"))), 1);
    assert.equal(findMemoryDevice(list, dimm(DIMM.replace('<node>0', '<node>1'))), -1);
  });
});

test("query-memory-devices (QEMU 7.2's reply): pc-dimm modules with their slot and address; other kinds left out", () => {
  const reply = [
    { type: 'dimm', data: { memdev: '/objects/memdimm0', hotplugged: false, addr: 4294967296, hotpluggable: true, size: 134217728, slot: 0, node: 0, id: 'dimm0' } },
    { type: 'virtio-mem', data: { memaddr: 5368709120, id: 'vm0' } },
  ];
  assert.deepEqual(parseMemoryDevices(reply), [{ id: 'dimm0', slot: 0, addr: 4294967296, sizeBytes: 134217728, node: 0 }]);
  assert.equal(error(() => parseMemoryDevices({})), "QEMU_FAILED: QEMU answered 'query-memory-devices' with a reply vireo does not understand");
});

test("a guest's refusal of an unplug (its ACPI _OST failure) fails the detach waiting for it, in libvirt's words, and a later detach asks again", async () => {
  // Only the identity of the runtime matters here: the waiters are kept per runtime object.
  const rt = {} as Runtime;
  markUnplugPending(rt, 'dimm1');
  const wait = waitDeviceDeleted(rt, 'dimm1', SOON_MS);
  onUnplugRefused(rt, 'dimm1');
  await assert.rejects(wait, (e: unknown) => e instanceof VireoError && e.code === 'OPERATION_FAILED' && e.message === 'operation failed: unplug of device was rejected by the guest');
  assert.equal(unplugPending(rt, 'dimm1'), false);
  // A refusal nobody asked for (no removal pending) changes nothing.
  onUnplugRefused(rt, 'dimm2');
  assert.equal(unplugPending(rt, 'dimm2'), false);
});
