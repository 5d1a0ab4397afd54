// <iotune> of a disk: read and written in libvirt's order, libvirt's refusals, and what QEMU is
// given for it (block_set_io_throttle before the CPUs start).
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { formatDomainXml, parseDomainXml } from '../../src/conf/domain-xml.js';
import { monitorSetup } from '../../src/qemu/argv.js';

const dom = (disk: string): string => `<domain type='qemu'><name>a</name><memory>131072</memory><os><type machine='q35'>hvm</type></os>
<devices>${disk}</devices></domain>`;
const disk = (iotune: string): string => `<disk type='file' device='disk'><source file='/img/a.raw'/><target dev='vda' bus='virtio'/><iotune>${iotune}</iotune></disk>`;

describe('<iotune>', () => {
  test('read, and written back in libvirt\'s order (group_name before the burst lengths)', () => {
    const def = parseDomainXml(dom(disk('<write_iops_sec_max_length>3</write_iops_sec_max_length><write_iops_sec>9</write_iops_sec><group_name>g1</group_name><write_iops_sec_max>20</write_iops_sec_max><read_bytes_sec>0</read_bytes_sec>')));
    assert.deepEqual(def.devices.disks[0]!.iotune, { write_iops_sec_max_length: 3, write_iops_sec: 9, group_name: 'g1', write_iops_sec_max: 20 });
    assert.match(formatDomainXml(def), /<iotune>\s*<write_iops_sec>9<\/write_iops_sec>\s*<write_iops_sec_max>20<\/write_iops_sec_max>\s*<group_name>g1<\/group_name>\s*<write_iops_sec_max_length>3<\/write_iops_sec_max_length>\s*<\/iotune>/);
  });

  test('a total with its read or write part, a burst without its rate, a bad number: refused', () => {
    const err = (x: string): string => {
      try {
        parseDomainXml(dom(disk(x)));
      } catch (e) {
        assert.ok(e instanceof VireoError);
        return e.message;
      }
      return 'no error';
    };
    assert.match(err('<total_bytes_sec>1</total_bytes_sec><read_bytes_sec>2</read_bytes_sec>'), /total and read\/write of bytes_sec cannot be set at the same time/);
    assert.match(err('<read_iops_sec_max>5</read_iops_sec_max>'), /cannot reset 'read_iops_sec' when 'read_iops_sec_max' is set/);
    assert.match(err('<read_iops_sec>x</read_iops_sec>'), /read_iops_sec/);
  });

  test('applied at start over QMP on the disk\'s block backend, every rate given and unset burst lengths left out', () => {
    const def = parseDomainXml(dom(disk('<write_bytes_sec>1048576</write_bytes_sec><group_name>g</group_name>')));
    assert.deepEqual(monitorSetup(def).filter((c) => c.execute === 'block_set_io_throttle'), [{
      execute: 'block_set_io_throttle',
      arguments: {
        id: '/machine/peripheral/virtio-disk0/virtio-backend',
        bps: 0, bps_rd: 0, bps_wr: 1048576, iops: 0, iops_rd: 0, iops_wr: 0,
        bps_max: 0, bps_rd_max: 0, bps_wr_max: 0, iops_max: 0, iops_rd_max: 0, iops_wr_max: 0, iops_size: 0, group: 'g',
      },
    }]);
  });
});
