// Snapshot XML against libvirt itself: test/fixtures/snapshot/ holds what libvirt 9.0 printed.
// Ours must read it, print the same bytes, validate against domainsnapshot.rng, and refuse bad
// input naming the element.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isVireoError } from '../../src/api/errors.js';
import { formatSnapshotXml } from '../../src/conf/snapshot-format.js';
import { parseSnapshotXml } from '../../src/conf/snapshot-parse.js';

const DIR = new URL('../../../test/fixtures/snapshot/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');

function schemaProblem(xml: string): string | undefined {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', '/usr/share/libvirt/schemas/domainsnapshot.rng', '-'], { input: xml, encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr;
}

function refusal(xml: string, code: string, pattern: RegExp): void {
  assert.throws(() => parseSnapshotXml(xml), (e: unknown) => {
    assert.ok(isVireoError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('snapshot XML', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.libvirt.xml')).sort()) {
    test(`${file} reads back byte for byte and validates`, () => {
      const xml = read(file);
      const def = parseSnapshotXml(xml);
      assert.equal(formatSnapshotXml(def), xml);
      assert.equal(schemaProblem(xml), undefined);
    });
  }
  test('the fields a user sees are modelled', () => {
    const def = parseSnapshotXml(read('s2-child.libvirt.xml'));
    assert.equal(def.name, 's2');
    assert.equal(def.parent, 's1');
    assert.equal(def.state, 'shutoff');
    assert.deepEqual(def.memory, { snapshot: 'no' });
    assert.deepEqual(def.disks, [{ name: 'vda', snapshot: 'internal' }]);
    assert.match(def.domainXml ?? '', /^<domain type='qemu'>\n  <name>sg1<\/name>/);
  });
  test('snapshot-create input: external disks with overlay files', () => {
    const xml = "<domainsnapshot>\n  <name>ext</name>\n  <memory snapshot='no'/>\n  <disks>\n    <disk name='vda' snapshot='external' type='file'>\n      <driver type='qcow2'/>\n      <source file='/var/tmp/o.qcow2'/>\n    </disk>\n    <disk name='vdb' snapshot='no'/>\n  </disks>\n</domainsnapshot>\n";
    const def = parseSnapshotXml(xml);
    assert.deepEqual(def.disks, [
      { name: 'vda', snapshot: 'external', driverType: 'qcow2', sourceFile: '/var/tmp/o.qcow2' },
      { name: 'vdb', snapshot: 'no' },
    ]);
    assert.equal(formatSnapshotXml(def), xml);
    assert.equal(schemaProblem(xml), undefined);
  });
  test('an empty definition prints as libvirt does and validates', () => {
    assert.equal(formatSnapshotXml(parseSnapshotXml('<domainsnapshot/>')), '<domainsnapshot/>\n');
    const withDomain = formatSnapshotXml({ name: 'a', domainXml: "<domain type='qemu'>\n  <name>x</name>\n</domain>\n" });
    assert.equal(withDomain, "<domainsnapshot>\n  <name>a</name>\n  <domain type='qemu'>\n    <name>x</name>\n  </domain>\n</domainsnapshot>\n");
  });
  test('bad input is refused by name', () => {
    refusal('<domain/>', 'XML_INVALID', /unexpected root element <domain>/);
    refusal('<domainsnapshot><nme>x</nme></domainsnapshot>', 'XML_UNSUPPORTED', /unsupported element <nme> at line 1/);
    refusal('<domainsnapshot><state>dancing</state></domainsnapshot>', 'XML_UNSUPPORTED', /unsupported value 'dancing' for <state>/);
    refusal('<domainsnapshot><name>a/b</name></domainsnapshot>', 'XML_INVALID', /invalid snapshot name 'a\/b': name can't contain '\/'/);
    refusal("<domainsnapshot><memory snapshot='later'/></domainsnapshot>", 'XML_UNSUPPORTED', /attribute 'snapshot' of <memory>/);
    refusal("<domainsnapshot><memory snapshot='internal' file='/x'/></domainsnapshot>", 'XML_INVALID', /memory state cannot be saved with snapshot type 'internal'/);
    refusal("<domainsnapshot><disks><disk name='vda'/><disk name='vda'/></disks></domainsnapshot>", 'XML_INVALID', /disk 'vda' specified twice/);
    refusal("<domainsnapshot><disks><disk name='vda' snapshot='internal'><source file='/x'/></disk></disks></domainsnapshot>", 'XML_INVALID', /only external snapshots/);
    refusal("<domainsnapshot><disks><disk name='vda' snapshot='external'><source file='rel.qcow2'/></disk></disks></domainsnapshot>", 'XML_INVALID', /must be absolute/);
    refusal('<domainsnapshot><cookie/></domainsnapshot>', 'XML_UNSUPPORTED', /<cookie>/);
  });
});
