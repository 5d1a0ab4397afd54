// Pool and volume XML against libvirt itself: test/fixtures/storage/ holds inputs and what
// libvirt 9.0 printed for them (README there). Ours must print the same bytes, read back
// unchanged, validate against libvirt's storagepool.rng / storagevol.rng, and refuse bad input
// naming the element and line.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isVireoError } from '../../src/api/errors.js';
import {
  formatPoolXml, formatVolumeXml, parsePoolXml, parseSizeArg, parseVolumeXml, poolCapabilitiesXml, scaleSize,
} from '../../src/conf/storage/index.js';

const DIR = new URL('../../../test/fixtures/storage/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');
const files = readdirSync(DIR);
const POOLS = files.filter((f) => /^pool-\d\d-.*\.xml$/.test(f) && !f.endsWith('.libvirt.xml') && !f.endsWith('.handmade.xml')).sort();
const VOLS = files.filter((f) => /^vol-\d\d-.*\.libvirt\.xml$/.test(f)).sort();

function schemaProblem(xml: string, schema: string): string | undefined {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', `/usr/share/libvirt/schemas/${schema}`, '-'], { input: xml, encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr;
}

function refusal(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isVireoError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('the fixtures are there', () => assert.ok(POOLS.length >= 7 && VOLS.length >= 3));

describe('pool-dumpxml of a defined pool matches libvirt 9.0 byte for byte, reads back, validates', () => {
  for (const file of POOLS) {
    test(file, () => {
      const out = formatPoolXml(parsePoolXml(read(file)));
      assert.equal(out, read(file.replace(/\.xml$/, '.libvirt.xml')));
      assert.equal(formatPoolXml(parsePoolXml(out)), out);
      assert.equal(schemaProblem(out, 'storagepool.rng'), undefined);
    });
  }
  test('iscsi-direct (hand-written: Debian\'s libvirt has no such backend)', () => {
    const xml = read('pool-08-iscsi-direct.handmade.xml');
    assert.equal(formatPoolXml(parsePoolXml(xml)), xml);
    assert.equal(schemaProblem(xml, 'storagepool.rng'), undefined);
  });
  test('an active pool prints its sizes and the target permissions found on disk', () => {
    const def = parsePoolXml(read('pool-01-dir.xml'));
    def.target!.permissions = { mode: 0o755, owner: 0, group: 0 };
    const out = formatPoolXml(def, { capacity: 270553174016, allocation: 26440839168, available: 244112334848 });
    assert.match(out, /<capacity unit='bytes'>270553174016<\/capacity>\n  <allocation unit='bytes'>26440839168<\/allocation>/);
    assert.match(out, /<permissions>\n      <mode>0755<\/mode>\n      <owner>0<\/owner>\n      <group>0<\/group>\n    <\/permissions>/);
    assert.equal(schemaProblem(out, 'storagepool.rng'), undefined);
  });
});

describe('vol-dumpxml as libvirt 9.0 prints it', () => {
  for (const file of VOLS) {
    test(file, () => {
      const xml = read(file);
      assert.equal(formatVolumeXml(parseVolumeXml(xml)), xml);
      assert.equal(schemaProblem(xml, 'storagevol.rng'), undefined);
    });
  }
  test('an input volume with units, permissions and a backing store', () => {
    const v = parseVolumeXml(`<volume>
  <name>x.qcow2</name>
  <capacity unit='G'>2</capacity>
  <allocation unit='KiB'>64</allocation>
  <target><format type='qcow2'/><permissions><mode>644</mode><owner>107</owner><group>-1</group></permissions><compat>1.1</compat><features><lazy_refcounts/></features></target>
  <backingStore><path>/p/a.qcow2</path><format type='qcow2'/></backingStore>
</volume>`);
    assert.deepEqual(v, {
      name: 'x.qcow2', capacity: 2 * 1024 ** 3, allocation: 65536,
      target: { format: 'qcow2', permissions: { mode: 0o644, owner: 107 }, compat: '1.1', lazyRefcounts: true },
      backingStore: { path: '/p/a.qcow2', format: 'qcow2' },
    });
    const out = formatVolumeXml(v);
    assert.equal(formatVolumeXml(parseVolumeXml(out)), out);
    assert.equal(schemaProblem(out, 'storagevol.rng'), undefined);
  });
});

test('pool-capabilities is libvirt\'s document with our supported types', () => {
  const ref = read('poolcaps.libvirt.xml');
  const libvirtSupported = [...ref.matchAll(/<pool type='([^']+)' supported='yes'>/g)].map((m) => m[1]!);
  assert.equal(poolCapabilitiesXml(libvirtSupported), ref);
  assert.match(poolCapabilitiesXml(['dir']), /<pool type='dir' supported='yes'>[^]*<pool type='fs' supported='no'>/);
});

describe('sizes in libvirt units', () => {
  const cases: [string, string, number][] = [['1', 'bytes', 1], ['2', 'KiB', 2048], ['2', 'k', 2048], ['3', 'KB', 3000], ['1', 'G', 1073741824], ['1', 'GB', 1e9], ['1', 'T', 1024 ** 4], ['5', 'MiB', 5 * 1024 ** 2], ['7', 'b', 7]];
  for (const [v, u, n] of cases) test(`${v} ${u}`, () => assert.equal(scaleSize(v, u), n));
  test('virsh-style arguments', () => {
    assert.equal(parseSizeArg('10G'), 10 * 1024 ** 3);
    assert.equal(parseSizeArg('512M'), 512 * 1024 ** 2);
    assert.equal(parseSizeArg('1048576'), 1048576);
    assert.equal(parseSizeArg('1X'), 'unit');
    assert.equal(parseSizeArg('-1'), 'number');
    assert.equal(parseSizeArg('99999999E'), 'overflow');
  });
});

describe('bad pool and volume XML is refused, naming what and where', () => {
  test('an unsupported pool type, by name', () => {
    refusal(() => parsePoolXml("<pool type='rbd'><name>x</name></pool>"), 'XML_UNSUPPORTED', /storage pool type 'rbd' is not supported .*supported: dir, fs, netfs, logical, iscsi-direct/);
    refusal(() => parsePoolXml("<pool type='bogus'><name>x</name></pool>"), 'XML_UNSUPPORTED', /unknown storage pool type 'bogus'/);
  });
  test('a pool without target path, a netfs without dir, an fs without device', () => {
    refusal(() => parsePoolXml("<pool type='dir'><name>x</name></pool>"), 'XML_INVALID', /missing storage pool target path/);
    refusal(() => parsePoolXml("<pool type='netfs'><name>x</name><source><host name='h'/></source><target><path>/m</path></target></pool>"), 'XML_INVALID', /needs <dir path>.*<source> at line 1/);
    refusal(() => parsePoolXml("<pool type='fs'><name>x</name><target><path>/m</path></target></pool>"), 'XML_INVALID', /exactly one <device path>/);
    refusal(() => parsePoolXml("<pool type='dir'><name>x</name><target><path>rel</path></target></pool>"), 'XML_INVALID', /must be an absolute path/);
  });
  test('a source part the type does not use, an unknown element, a bad mode', () => {
    refusal(() => parsePoolXml("<pool type='dir'><name>x</name><source><dir path='/a'/></source><target><path>/m</path></target></pool>"), 'XML_UNSUPPORTED', /<dir> is not used by a dir pool/);
    refusal(() => parsePoolXml("<pool type='dir'>\n<name>x</name>\n<bogus/></pool>"), 'XML_UNSUPPORTED', /unsupported element <bogus> at line 3/);
    refusal(() => parsePoolXml("<pool type='dir'><name>x</name><target><path>/m</path><permissions><mode>999</mode></permissions></target></pool>"), 'XML_INVALID', /malformed octal mode '999'/);
    refusal(() => parsePoolXml("<pool type='fs'><name>x</name><source><device path='/d'/><format type='ntfs'/></source><target><path>/m</path></target></pool>"), 'XML_UNSUPPORTED', /unsupported value 'ntfs'/);
  });
  test('names: a pool or volume name with / is refused', () => {
    refusal(() => parsePoolXml("<pool type='dir'><name>a/b</name><target><path>/m</path></target></pool>"), 'XML_INVALID', /invalid pool name 'a\/b'/);
    refusal(() => parseVolumeXml('<volume><name>a/b</name><capacity>1</capacity></volume>'), 'OPERATION_INVALID', /volume name 'a\/b' cannot contain '\/'/);
  });
  test('volumes: a bad unit, encryption, an unknown format', () => {
    refusal(() => parseVolumeXml("<volume><name>v</name>\n<capacity unit='X'>1</capacity></volume>"), 'XML_INVALID', /unknown size unit 'X'.*line 2/);
    refusal(() => parseVolumeXml("<volume><name>v</name><target><encryption format='luks'/></target></volume>"), 'XML_UNSUPPORTED', /<encryption>/);
    refusal(() => parseVolumeXml("<volume><name>v</name><target><format type='zip'/></target></volume>"), 'XML_UNSUPPORTED', /unsupported value 'zip'/);
  });
});
