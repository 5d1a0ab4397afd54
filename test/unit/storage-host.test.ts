// The pure parts of the mounted and LVM pools: mountinfo lines, device numbers, LVM's JSON
// reports. The host-facing parts run for real in test/integration/storage-{fs,netfs,logical}.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseLvs, parseVgs } from '../../src/storage/lvm.js';
import { majMin, parseMountInfo } from '../../src/storage/mounts.js';

test('mountinfo: mount point, device, type and source; octal escapes undone; optional fields skipped', () => {
  const text = [
    '163 26 7:2 / /tmp/sf\\040m rw,nosuid,nodev,noexec,relatime shared:90 - ext4 /dev/loop2 rw',
    '170 26 0:55 / /mnt/nfs rw,nosuid,nodev,noexec,relatime - nfs 10.0.0.1:/export rw,vers=4.2',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseMountInfo(text), [
    { dev: '7:2', mountPoint: '/tmp/sf m', options: 'rw,nosuid,nodev,noexec,relatime', fsType: 'ext4', source: '/dev/loop2' },
    { dev: '0:55', mountPoint: '/mnt/nfs', options: 'rw,nosuid,nodev,noexec,relatime', fsType: 'nfs', source: '10.0.0.1:/export' },
  ]);
});

test("device numbers as the kernel prints them (glibc's dev_t layout)", () => {
  assert.equal(majMin(0x0702n), '7:2');
  assert.equal(majMin(0x10300n), '259:0'); // an NVMe namespace: major over 255
  assert.equal(majMin(0x100700n), '7:256'); // loop256: minor over 255
});

test('vgs report: sizes in bytes', () => {
  const out = '{"report":[{"vg":[{"vg_name":"vgp","vg_size":"62914560","vg_free":"58720256","vg_extent_size":"4194304"}]}]}';
  assert.deepEqual(parseVgs(out), [{ name: 'vgp', size: 62914560, free: 58720256, extentSize: 4194304 }]);
  assert.deepEqual(parseVgs('{"report":[{"vg":[]}]}'), []);
});

test('lvs report: one volume per LV with its segments added up; hidden and thin-pool LVs left out', () => {
  const row = (name: string, attr: string, size: string, seg: string, origin = ''): string =>
    JSON.stringify({ lv_name: name, lv_path: name.startsWith('[') ? '' : `/dev/vgp/${name}`, lv_uuid: `u-${name}`, lv_size: size, lv_attr: attr, origin, segtype: 'linear', seg_size: seg });
  const out = `{"report":[{"lv":[${[
    row('plain', '-wi-a-----', '8388608', '4194304'),
    row('plain', '-wi-a-----', '8388608', '4194304'),
    row('sparse', 'swi-a-s---', '1073741824', '4194304', '[sparse_vorigin]'),
    row('[lvol0_pmspare]', 'ewi-------', '4194304', '4194304'),
    row('tpool', 'twi-a-tz--', '4194304', '4194304'),
  ].join(',')}]}]}`;
  assert.deepEqual(parseLvs(out).map((l) => [l.name, l.size, l.allocated, l.origin]), [
    ['plain', 8388608, 8388608, ''],
    ['sparse', 1073741824, 4194304, '[sparse_vorigin]'],
  ]);
});
