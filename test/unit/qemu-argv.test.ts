// Golden files: domain XML in, QEMU argv out (test/fixtures/argv/NAME.xml -> NAME.argv).
// Regenerate after an intended change with VIREO_UPDATE_GOLDEN=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDomainXml } from '../../src/conf/domain-xml.js';
import { buildQemuArgv, diskIndex } from '../../src/qemu/argv.js';
import { VireoError } from '../../src/api/errors.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/argv');
const paths = {
  monitor: '/run/vireo/domains/NAME/monitor.sock',
  serialSocket: (p: number) => `/run/vireo/domains/NAME/serial${p}.sock`,
  serialLog: (p: number) => `/var/log/vireo/NAME.serial${p}.log`,
  consoleSocket: (p: number) => `/run/vireo/domains/NAME/console${p}.sock`,
};

for (const f of readdirSync(dir).filter((f) => f.endsWith('.xml'))) {
  test(`argv golden: ${f}`, () => {
    const def = parseDomainXml(readFileSync(path.join(dir, f), 'utf8'));
    const argv = buildQemuArgv(def, paths, { accel: 'tcg' }).join('\n') + '\n';
    const golden = path.join(dir, f.replace(/\.xml$/, '.argv'));
    if (process.env.VIREO_UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, argv);
    assert.equal(argv, readFileSync(golden, 'utf8'));
  });
}

test('the daemon-owned console keeps a log so output survives a daemon restart', () => {
  const def = parseDomainXml(readFileSync(path.join(dir, 'full.xml'), 'utf8'));
  const argv = buildQemuArgv(def, paths, { accel: 'tcg' });
  const chardev = argv[argv.indexOf('-device', argv.findIndex((a) => a.startsWith('socket,id=charserial0'))) - 1]!;
  assert.match(chardev, /path=\/run\/vireo\/domains\/NAME\/serial0\.sock,server=on,wait=off,logfile=\/var\/log\/vireo\/NAME\.serial0\.log/);
});

test('every guest starts paused, sandboxed, and stays after guest poweroff', () => {
  const def = parseDomainXml(readFileSync(path.join(dir, 'full.xml'), 'utf8'));
  const argv = buildQemuArgv(def, paths, { accel: 'kvm' });
  for (const flag of ['-S', '-no-user-config', '-nodefaults', '-no-shutdown']) assert.ok(argv.includes(flag), flag);
  assert.equal(argv[argv.indexOf('-sandbox') + 1], 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  assert.equal(argv[argv.indexOf('-accel') + 1], 'kvm');
});

test('IDE disks on q35 are refused with a hint', () => {
  const def = parseDomainXml(readFileSync(path.join(dir, 'full.xml'), 'utf8').replace("dev='sdb' bus='sata'", "dev='hdb' bus='ide'"));
  assert.throws(() => buildQemuArgv(def, paths, { accel: 'tcg' }), (e: unknown) => e instanceof VireoError && e.code === 'XML_UNSUPPORTED');
});

test('disk index from target name', () => {
  assert.equal(diskIndex('vda'), 0);
  assert.equal(diskIndex('sdb'), 1);
  assert.equal(diskIndex('vdz'), 25);
  assert.equal(diskIndex('vdaa'), 26);
});
