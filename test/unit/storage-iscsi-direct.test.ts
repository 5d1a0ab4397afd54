// The iscsi-direct backend's pure parts: iscsi-ls output, volume names and portals as libvirt
// writes them. The backend itself runs against a real target in test/integration/iscsi.test.ts.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { parsePoolXml } from '../../src/conf/storage/index.js';
import { iscsiLunOf, lunOfVolume, parseIscsiLs, portalOf } from '../../src/storage/iscsi-direct.js';

// What libiscsi 1.19's iscsi-ls -s prints for a portal with two targets.
const LS = `Target:iqn.2026-01.org.vireo:other Portal:127.0.0.1:13260,1
Lun:0    Type:STORAGE_ARRAY_CONTROLLER
Lun:1    Type:DIRECT_ACCESS (Size:1023M)
Target:iqn.2026-01.org.vireo:test1 Portal:127.0.0.1:13260,1
Lun:0    Type:STORAGE_ARRAY_CONTROLLER
Lun:1    Type:DIRECT_ACCESS (Size:63M)
Lun:2    Type:DIRECT_ACCESS (Size:1G)
`;

test("iscsi-ls output: the pool's target's LUNs only; a target the portal does not list is undefined", () => {
  assert.deepEqual(parseIscsiLs(LS, 'iqn.2026-01.org.vireo:test1'), [
    { lun: 0, type: 'STORAGE_ARRAY_CONTROLLER' }, { lun: 1, type: 'DIRECT_ACCESS' }, { lun: 2, type: 'DIRECT_ACCESS' },
  ]);
  assert.deepEqual(parseIscsiLs(LS, 'iqn.2026-01.org.vireo:other'), [{ lun: 0, type: 'STORAGE_ARRAY_CONTROLLER' }, { lun: 1, type: 'DIRECT_ACCESS' }]);
  assert.equal(parseIscsiLs(LS, 'iqn.2026-01.org.vireo:test'), undefined);
  assert.equal(parseIscsiLs('', 'iqn.x'), undefined);
});

test("volume names are libvirt's unit:0:0:N; portals bracket IPv6 addresses", () => {
  assert.equal(lunOfVolume('unit:0:0:7'), 7);
  assert.equal(lunOfVolume('unit:0:0:'), undefined);
  assert.equal(lunOfVolume('lun7'), undefined);
  assert.equal(portalOf('127.0.0.1', 3260), '127.0.0.1:3260');
  assert.equal(portalOf('fd00::1', 3261), '[fd00::1]:3261');
});

test('a volume of an iscsi-direct pool is the pool\'s portal, target and initiator plus its LUN (port 3260 by default)', () => {
  const def = parsePoolXml(`<pool type='iscsi-direct'><name>san</name><source><host name='192.0.2.1'/><device path='iqn.2026-01.org.vireo:t'/>
    <initiator><iqn name='iqn.2026-01.org.vireo:i'/></initiator></source></pool>`);
  assert.deepEqual(iscsiLunOf(def, { name: 'unit:0:0:3', target: {} }), {
    host: '192.0.2.1', port: 3260, target: 'iqn.2026-01.org.vireo:t', lun: 3, initiator: 'iqn.2026-01.org.vireo:i',
  });
  assert.throws(() => iscsiLunOf(def, { name: 'disk1', target: {} }), (e: unknown) => e instanceof VireoError && /disk1/.test(e.message));
});
