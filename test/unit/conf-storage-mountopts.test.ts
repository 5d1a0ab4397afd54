// libvirt's <fs:mount_opts> on fs and netfs pools: read under whatever prefix binds its
// namespace, printed with libvirt's 'fs' prefix (test/fixtures/storage/pool-09 is libvirt's own
// print), refused by name where libvirt would drop it silently or where it would undo the
// nodev,nosuid,noexec every mounted pool gets.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isVireoError } from '../../src/api/errors.js';
import { formatPoolXml, parsePoolXml } from '../../src/conf/storage/index.js';

const NS = 'http://libvirt.org/schemas/storagepool/fs/1.0';
const pool = (type: string, prefix: string, options: string[], src = "<source><device path='/dev/sdz'/></source>"): string =>
  `<pool type='${type}' xmlns:${prefix}='${NS}'><name>p</name><uuid>3c0f9a6e-1b2d-4e5f-8a9b-0c1d2e3f4a10</uuid>${src}<target><path>/srv/p</path></target>` +
  `<${prefix}:mount_opts>${options.map((o) => `<${prefix}:option name='${o}'/>`).join('')}</${prefix}:mount_opts></pool>`;

function refusal(xml: string, code: string, pattern: RegExp): void {
  assert.throws(() => parsePoolXml(xml), (e: unknown) => {
    assert.ok(isVireoError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('any prefix bound to the fs namespace is read; the print uses libvirt\'s fs prefix', () => {
  const def = parsePoolXml(pool('fs', 'x', ['sync', 'ro,lazytime']));
  assert.deepEqual(def.mountOpts, ['sync', 'ro,lazytime']);
  const out = formatPoolXml(def);
  assert.match(out, /^<pool type='fs' xmlns:fs='http:\/\/libvirt\.org\/schemas\/storagepool\/fs\/1\.0'>/);
  assert.match(out, /<\/target>\n {2}<fs:mount_opts>\n {4}<fs:option name='sync'\/>\n {4}<fs:option name='ro,lazytime'\/>\n {2}<\/fs:mount_opts>\n<\/pool>\n$/);
  assert.deepEqual(parsePoolXml(out).mountOpts, def.mountOpts);
});

test('netfs pools take them too', () => {
  const def = parsePoolXml(pool('netfs', 'fs', ['vers=4.2'], "<source><host name='nas'/><dir path='/export'/><format type='nfs'/></source>"));
  assert.deepEqual(def.mountOpts, ['vers=4.2']);
});

test('refused: on a dir pool (libvirt drops it), options that undo nodev/nosuid/noexec, an empty one, another namespace', () => {
  refusal(pool('dir', 'fs', ['sync'], ''), 'XML_UNSUPPORTED', /<fs:mount_opts> is for fs and netfs pools, not dir/);
  for (const o of ['exec', 'sync,suid', 'dev', 'defaults']) {
    refusal(pool('fs', 'fs', [o]), 'XML_UNSUPPORTED', /would undo the nodev,nosuid,noexec a pool is mounted with/);
  }
  refusal(pool('fs', 'fs', ['sync,']), 'XML_INVALID', /empty mount option in 'sync,'/);
  refusal(pool('fs', 'fs', ['sync']).replace(NS, 'http://example.com/other'), 'XML_UNSUPPORTED', /unsupported attribute 'xmlns:fs' on <pool>/);
});
