// I/O threads in the domain XML: <iothreads>, <iothreadids>, <cputune><iothreadpin>/<iothreadsched>,
// a virtio disk's and a virtio-scsi controller's <driver iothread>. What libvirt 9.0 accepts,
// fills in and prints (checked with libvirt-ref), its refusals in its words, a stable round trip
// and output that libvirt's own domain.rng accepts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';
import { iothreadUser } from '../../src/conf/domain-iothreads.js';

const xml = (top: string, devices = ''): string => `<domain type='qemu'>
  <name>io</name>
  <memory unit='MiB'>128</memory>
  <vcpu>2</vcpu>
  ${top}
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>${devices}</devices>
</domain>`;

const VDA = (iothread: string, bus = 'virtio', dev = 'vda'): string =>
  `<disk type='file' device='disk'><driver name='qemu' type='raw' iothread='${iothread}'/><source file='/x.img'/><target dev='${dev}' bus='${bus}'/></disk>`;
const SCSI = (iothread: string, model = 'virtio-scsi'): string => `<controller type='scsi' model='${model}'><driver iothread='${iothread}'/></controller>`;

function rejects(x: string, code: string, message: string): void {
  assert.throws(() => parseDomainXml(x), (e: unknown) => {
    assert.ok(e instanceof VireoError);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(message), e.message);
    return true;
  });
}

const lines = (x: string, re: RegExp): string[] => x.split('\n').filter((l) => re.test(l)).map((l) => l.trim());

describe('I/O threads in the domain XML', () => {
  test('<iothreads>N alone: N threads numbered from 1, printed as the count only (libvirt autofills)', () => {
    const def = parseDomainXml(xml('<iothreads>2</iothreads>'));
    assert.deepEqual(def.iothreads, [{ id: 1, autofill: true }, { id: 2, autofill: true }]);
    const out = formatDomainXml(def);
    assert.deepEqual(lines(out, /iothread/), ['<iothreads>2</iothreads>']);
    assert.equal(formatDomainXml(parseDomainXml(out)), out);
  });

  test('<iothreads>0 is no thread; ids given fill the count from the lowest free id, listed first', () => {
    assert.equal(parseDomainXml(xml('<iothreads>0</iothreads>')).iothreads, undefined);
    const out = formatDomainXml(parseDomainXml(xml("<iothreads>4</iothreads><iothreadids><iothread id='1'/><iothread id='5'/></iothreadids>")));
    assert.deepEqual(lines(out, /iothread/), [
      '<iothreads>4</iothreads>', '<iothreadids>', "<iothread id='1'/>", "<iothread id='5'/>", "<iothread id='2'/>", "<iothread id='3'/>", '</iothreadids>',
    ]);
    // More ids than the count: the count follows.
    assert.match(formatDomainXml(parseDomainXml(xml("<iothreads>1</iothreads><iothreadids><iothread id='1'/><iothread id='5'/></iothreadids>"))), /<iothreads>2<\/iothreads>/);
  });

  test('thread pools, pinning, scheduling and the devices bound to a thread round-trip in libvirt\'s places', () => {
    const top = `<iothreadids><iothread id='1' thread_pool_min='2' thread_pool_max='8'/><iothread id='3'/></iothreadids>
      <cputune><iothread_period>100000</iothread_period><iothread_quota>50000</iothread_quota><vcpusched vcpus='0' scheduler='batch'/>
      <iothreadsched iothreads='1,3' scheduler='fifo' priority='5'/><iothreadpin iothread='3' cpuset='0'/><emulatorpin cpuset='0'/></cputune>`;
    const def = parseDomainXml(xml(top, VDA('1') + SCSI('3')));
    assert.equal(def.devices.disks[0]?.iothread, 1);
    assert.equal(def.devices.controllers.find((c) => c.type === 'scsi')?.iothread, 3);
    const out = formatDomainXml(def);
    assert.deepEqual(lines(out, /iothread|cputune|emulatorpin|vcpusched|<driver/), [
      '<iothreads>2</iothreads>', '<iothreadids>', "<iothread id='1' thread_pool_min='2' thread_pool_max='8'/>", "<iothread id='3'/>", '</iothreadids>',
      '<cputune>', '<iothread_period>100000</iothread_period>', '<iothread_quota>50000</iothread_quota>', "<emulatorpin cpuset='0'/>",
      "<iothreadpin iothread='3' cpuset='0'/>", "<vcpusched vcpus='0' scheduler='batch'/>", "<iothreadsched iothreads='1,3' scheduler='fifo' priority='5'/>", '</cputune>',
      "<driver name='qemu' type='raw' iothread='1'/>", "<driver iothread='3'/>",
    ]);
    assert.equal(formatDomainXml(parseDomainXml(out)), out);
  });

  test("refusals in libvirt 9.0's words", () => {
    rejects(xml("<iothreadids><iothread id='2'/><iothread id='2'/></iothreadids>"), 'XML_INVALID', "duplicate iothread id '2' found");
    rejects(xml("<iothreadids><iothread id='0'/></iothreadids>"), 'XML_INVALID', "Invalid value for attribute 'id' in element 'iothread': Zero is not permitted");
    rejects(xml("<iothreadids><iothread id='abc'/></iothreadids>"), 'XML_INVALID', "Invalid value for attribute 'id' in element 'iothread': 'abc'. Expected non-negative integer value");
    rejects(xml('<iothreadids><iothread/></iothreadids>'), 'XML_INVALID', "Missing required attribute 'id' in element 'iothread'");
    rejects(xml('<iothreads>-1</iothreads>'), 'XML_INVALID', "invalid iothreads count '-1'");
    rejects(xml('<iothreads>abc</iothreads>'), 'XML_INVALID', "invalid iothreads count 'abc'");
    rejects(xml("<iothreadids><iothread id='1' thread_pool_min='9' thread_pool_max='8'/></iothreadids>"), 'CONFIG_UNSUPPORTED', 'unsupported configuration: thread_pool_min must be smaller or equal to thread_pool_max');
    rejects(xml("<iothreadids><iothread id='1' thread_pool_max='0'/></iothreadids>"), 'CONFIG_UNSUPPORTED', 'thread_pool_max must be a positive integer');
    rejects(xml("<iothreadids><iothread id='1' thread_pool_min='-1'/></iothreadids>"), 'XML_INVALID', "Invalid value for attribute 'thread_pool_min' in element 'iothread': '-1'. Expected non-negative value");
    rejects(xml('<iothreads>2</iothreads>', VDA('3')), 'CONFIG_UNSUPPORTED', "unsupported configuration: Disk iothread '3' not defined in iothreadid");
    rejects(xml('', VDA('1')), 'CONFIG_UNSUPPORTED', "Disk iothread '1' not defined in iothreadid");
    rejects(xml('<iothreads>2</iothreads>', VDA('0')), 'XML_INVALID', "Invalid value for attribute 'iothread' in element 'driver': Zero is not permitted");
    rejects(xml('<iothreads>2</iothreads>', VDA('1', 'sata', 'sda')), 'CONFIG_UNSUPPORTED', 'IOThreads not available for bus sata target sda');
    rejects(xml('<iothreads>2</iothreads>', SCSI('3')), 'CONFIG_UNSUPPORTED', "controller iothread '3' not defined in iothreadid");
    rejects(xml('<iothreads>2</iothreads>', SCSI('1', 'lsilogic')), 'XML_INVALID', "'iothread' attribute only supported for virtio scsi controllers");
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadpin iothread='3' cpuset='0'/></cputune>"), 'CONFIG_UNSUPPORTED', "Cannot find 'iothread' : 3");
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadpin iothread='1' cpuset='0'/><iothreadpin iothread='1' cpuset='1'/></cputune>"), 'XML_INVALID', "duplicate iothreadpin for same iothread '1'");
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadpin cpuset='0'/></cputune>"), 'XML_INVALID', "Missing required attribute 'iothread' in element 'iothreadpin'");
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadpin iothread='1'/></cputune>"), 'XML_INVALID', 'missing cpuset for iothreadpin');
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadpin iothread='0' cpuset='0'/></cputune>"), 'XML_INVALID', "Invalid value for attribute 'iothread' in element 'iothreadpin': Zero is not permitted");
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadsched iothreads='3' scheduler='fifo' priority='5'/></cputune>"), 'CONFIG_UNSUPPORTED', "Cannot find 'iothread' : 3");
    rejects(xml("<iothreads>2</iothreads><cputune><iothreadsched iothreads='1' scheduler='fifo'/></cputune>"), 'XML_INVALID', "Missing required attribute 'priority' in element 'iothreadsched'");
  });

  test('what uses a thread, for iothreaddel (libvirt\'s words)', () => {
    const def = parseDomainXml(xml('<iothreads>3</iothreads>', VDA('1') + SCSI('2')));
    assert.equal(iothreadUser(def, 1), "cannot remove IOThread 1 since it is being used by disk 'vda'");
    assert.equal(iothreadUser(def, 2), "cannot remove IOThread '2' since it is being used by controller");
    assert.equal(iothreadUser(def, 3), undefined);
  });

  test("the printed XML validates against libvirt's domain.rng", () => {
    const top = `<iothreadids><iothread id='1' thread_pool_min='2' thread_pool_max='8'/><iothread id='3'/></iothreadids>
      <cputune><iothread_quota>50000</iothread_quota><iothreadpin iothread='3' cpuset='0'/><iothreadsched iothreads='1' scheduler='rr' priority='2'/></cputune>`;
    for (const x of [xml('<iothreads>2</iothreads>'), xml(top, VDA('1') + SCSI('3'))]) {
      const out = formatDomainXml(parseDomainXml(x));
      const run = spawnSync('xmllint', ['--noout', '--relaxng', '/usr/share/libvirt/schemas/domain.rng', '-'], { input: out, encoding: 'utf8' });
      assert.equal(run.status, 0, `xmllint rejected:\n${out}\n${run.stderr}`);
    }
  });
});
