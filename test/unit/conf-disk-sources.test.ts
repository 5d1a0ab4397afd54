// Volume disks (<disk type='volume'>) and iSCSI network disks (<disk type='network'>): read
// strictly, printed as libvirt 9.0 prints them (test/fixtures/xml/disk-sources.libvirt-disks.xml
// is libvirt-ref's dumpxml of disk-sources.xml), and QEMU's -blockdev as libvirt 9.0 writes it.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { VireoError, type ErrorCode } from '../../src/api/errors.js';
import type { Disk, DomainDef } from '../../src/conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';
import { buildQemuArgv } from '../../src/qemu/argv.js';

const FIXTURES = new URL('../../../test/fixtures/xml/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

function domain(disks: string): string {
  return `<domain type='qemu'><name>d</name><memory>131072</memory><os><type>hvm</type></os><devices>${disks}</devices></domain>`;
}

function rejects(disks: string, code: ErrorCode, ...mentions: string[]): void {
  assert.throws(() => parseDomainXml(domain(disks)), (e: unknown) => {
    assert.ok(e instanceof VireoError, String(e));
    assert.equal(e.code, code, e.message);
    for (const m of mentions) assert.ok(e.message.includes(m), `message lacks ${JSON.stringify(m)}: ${e.message}`);
    return true;
  });
}

const PATHS = {
  monitor: '/run/m.sock', serialSocket: () => '/run/s.sock', serialLog: () => '/log/s.log', consoleSocket: () => '/run/c.sock',
  channelSocket: () => '/run/ch.sock', tpmSocket: '/run/tpm.sock',
};

/** The -blockdev arguments of a definition's command line. */
function blockdevs(def: DomainDef): string[] {
  const argv = buildQemuArgv(def, PATHS, { accel: 'tcg' });
  return argv.filter((_, i) => argv[i - 1] === '-blockdev');
}

describe('volume and iSCSI disks in domain XML', () => {
  test("dumpxml prints them as libvirt 9.0 does (defaults filled: '/0', port 3260, raw; a volume disk's format left open)", () => {
    const xml = formatDomainXml(parseDomainXml(fixture('disk-sources.xml')));
    const disks = (xml.match(/ {4}<disk [\s\S]*?<\/disk>\n/g) ?? []).join('');
    assert.equal(disks, fixture('disk-sources.libvirt-disks.xml'));
  });

  test('the model keeps pool, volume, mode, target, LUN, host, initiator and CHAP secret', () => {
    const disks = parseDomainXml(fixture('disk-sources.xml')).devices.disks;
    const d = (i: number): Disk => {
      const x = disks[i];
      assert.ok(x, `disk ${i}`);
      return x;
    };
    assert.deepEqual(d(0).volume, { pool: 'default', volume: 'guest.qcow2' });
    assert.equal(d(0).format, 'qcow2');
    assert.equal(d(1).format, undefined);
    assert.deepEqual(d(2).volume, { pool: 'iscsi-pool', volume: 'unit:0:0:2', mode: 'direct' });
    assert.deepEqual(d(3).network, {
      protocol: 'iscsi', name: 'iqn.2026-01.org.example:storage/1', host: { name: 'san.example.org', port: 3261 },
      initiatorIqn: 'iqn.2026-01.org.example:guest', auth: { username: 'guest', secretType: 'iscsi', usage: 'san-chap' },
    });
    assert.equal(d(4).network?.name, 'iqn.2026-01.org.example:storage/0');
    assert.equal(d(6).sourceType, 'file');
    assert.equal(d(6).volume, undefined);
  });

  test('a running guest\'s dump (index attributes) reads back', () => {
    const def = parseDomainXml(domain("<disk type='volume'><source pool='p' volume='v' index='2'/><backingStore/><target dev='vda'/></disk>"));
    assert.deepEqual(def.devices.disks[0]?.volume, { pool: 'p', volume: 'v' });
  });

  test('bad or unsupported sources are refused by name', () => {
    rejects("<disk type='network'><source protocol='nbd' name='x'><host name='h'/></source><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'nbd'", 'iscsi');
    rejects("<disk type='network'><source protocol='carrier-pigeon' name='x'/><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'carrier-pigeon'");
    rejects("<disk type='network'><source name='iqn.x/1'><host name='h'/></source><target dev='vda'/></disk>", 'XML_INVALID', 'protocol');
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'/><target dev='vda'/></disk>", 'XML_INVALID', 'one <host', 'found 0');
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'><host name='a'/><host name='b'/></source><target dev='vda'/></disk>", 'XML_INVALID', 'found 2');
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/one'><host name='a'/></source><target dev='vda'/></disk>", 'XML_INVALID', "'iqn.x/one'", 'LUN');
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'><host name='a' transport='rdma'/></source><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'rdma'", 'tcp');
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'><host name='a' port='0'/></source><target dev='vda'/></disk>", 'XML_INVALID', 'port');
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'><host name='a'/><auth username='u'><secret type='iscsi' usage='a' uuid='b'/></auth></source><target dev='vda'/></disk>", 'XML_INVALID', "'usage' or 'uuid'");
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'><host name='a'/><auth username='u'><secret type='ceph' usage='a'/></auth></source><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'ceph'");
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1' tls='yes'><host name='a'/></source><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'tls'");
    rejects("<disk type='network'><source protocol='iscsi' name='iqn.x/1'><host name='a'/><reconnect delay='5'/></source><target dev='vda'/></disk>", 'XML_UNSUPPORTED', '<reconnect>');
    rejects("<disk type='volume'><source pool='p'/><target dev='vda'/></disk>", 'XML_INVALID', "'volume'");
    rejects("<disk type='volume'><source pool='p' volume='v' mode='kernel'/><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'kernel'");
    rejects("<disk type='volume'><source pool='p' volume='v' file='/x'/><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'file'");
    rejects("<disk type='volume'><target dev='vda'/></disk>", 'XML_INVALID', "pool='...' volume='...'");
    rejects("<disk type='nvme'><target dev='vda'/></disk>", 'XML_UNSUPPORTED', "'nvme'");
  });
});

describe('QEMU command line of iSCSI and volume disks', () => {
  test('an iSCSI disk: -blockdev driver=iscsi as libvirt 9.0 writes it (portal, target, lun, transport, initiator)', () => {
    const def = parseDomainXml(domain(`
      <disk type='network'><driver name='qemu' type='raw'/><source protocol='iscsi' name='iqn.2026-01.org.vireo:test1/1'><host name='127.0.0.1' port='13260'/><initiator><iqn name='iqn.2026-01.org.vireo:init2'/></initiator></source><target dev='vdb' bus='virtio'/><readonly/></disk>
      <disk type='network' device='cdrom'><source protocol='iscsi' name='iqn.2026-01.org.vireo:test1/2'><host name='::1' port='3261'/></source><target dev='sda' bus='sata'/></disk>`));
    assert.deepEqual(blockdevs(def), [
      '{"driver":"iscsi","portal":"127.0.0.1:13260","target":"iqn.2026-01.org.vireo:test1","lun":1,"transport":"tcp","initiator-name":"iqn.2026-01.org.vireo:init2","node-name":"vireo-1-storage","auto-read-only":true,"discard":"unmap"}',
      '{"node-name":"vireo-1-format","read-only":true,"driver":"raw","file":"vireo-1-storage"}',
      '{"driver":"iscsi","portal":"[::1]:3261","target":"iqn.2026-01.org.vireo:test1","lun":2,"transport":"tcp","node-name":"vireo-2-storage","auto-read-only":true,"discard":"unmap"}',
      '{"node-name":"vireo-2-format","read-only":true,"driver":"raw","file":"vireo-2-storage"}',
    ]);
  });

  test('a volume disk uses what the start resolved: a file, a block device or an iSCSI LUN', () => {
    const def = parseDomainXml(domain(`
      <disk type='volume'><driver name='qemu' type='qcow2'/><source pool='d' volume='a.qcow2'/><target dev='vda'/></disk>
      <disk type='volume'><source pool='lv' volume='data'/><target dev='vdb'/></disk>
      <disk type='volume'><source pool='iscsi' volume='unit:0:0:1'/><target dev='vdc'/></disk>`));
    const [a, b, c] = def.devices.disks as [Disk, Disk, Disk];
    assert.throws(() => blockdevs(def), (e: unknown) => e instanceof VireoError && e.code === 'INTERNAL' && /unit:0:0:1|a\.qcow2/.test(e.message));
    a.resolved = { type: 'file', path: '/pool/a.qcow2' };
    b.resolved = { type: 'block', path: '/dev/vg/data' };
    c.resolved = { type: 'network', network: { protocol: 'iscsi', name: 'iqn.2026-01.org.vireo:test1/1', host: { name: '127.0.0.1', port: 13260 }, initiatorIqn: 'iqn.2026-01.org.vireo:init' } };
    const args = blockdevs(def);
    assert.equal(args[0], '{"driver":"file","filename":"/pool/a.qcow2","node-name":"vireo-1-storage","auto-read-only":true,"discard":"unmap"}');
    assert.match(args[1] ?? '', /"driver":"qcow2"/);
    assert.equal(args[2], '{"driver":"host_device","filename":"/dev/vg/data","node-name":"vireo-2-storage","auto-read-only":true,"discard":"unmap"}');
    assert.match(args[3] ?? '', /"driver":"raw"/); // no type given: raw, as libvirt
    assert.equal(args[4], '{"driver":"iscsi","portal":"127.0.0.1:13260","target":"iqn.2026-01.org.vireo:test1","lun":1,"transport":"tcp","initiator-name":"iqn.2026-01.org.vireo:init","node-name":"vireo-3-storage","auto-read-only":true,"discard":"unmap"}');
    // The resolved source is runtime state: the XML still names the pool and volume.
    assert.match(formatDomainXml(def), /<source pool='iscsi' volume='unit:0:0:1'\/>/);
  });
});
