// Bad input and faults: each gets a clear error and the right exit code, and nothing is left half-done.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, guestXml, runCli } from './harness.js';

describe('bad input through the CLI', () => {
  const d = new TestDaemon();
  const file = (name: string, text: string): string => {
    const f = path.join(d.root, name);
    writeFileSync(f, text);
    return f;
  };
  const configs = (): string[] => readdirSync(path.join(d.root, 'etc', 'domains')).filter((f) => f.endsWith('.xml')).sort();

  before(() => d.start());
  after(() => d.cleanup());

  test('malformed XML names the line', async () => {
    const before = configs();
    const f = file('bad.xml', "<domain type='qemu'>\n  <name>x</name>\n  <memory>1024</memry>\n</domain>\n");
    const r = await d.vireo(['define', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: Failed to define domain from ${f}\nerror: .*line 3`));
    assert.deepEqual(configs(), before, 'no config was written');
  });

  test('an unsupported element is named, never dropped', async () => {
    const before = configs();
    const f = file('hostdev.xml', guestXml('hd1', { extraDevices: "\n    <hostdev mode='subsystem' type='pci'/>" }));
    const r = await d.vireo(['define', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unsupported element <devices>\/<hostdev> at line \d+/);
    assert.deepEqual(configs(), before, 'no config was written');
  });

  test('a machine type QEMU lacks is refused at define, naming it', async () => {
    const before = configs();
    const r = await d.vireo(['define', file('machine.xml', guestXml('m1').replace("machine='q35'", "machine='pc-q35-1.0'"))]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not support machine type 'pc-q35-1\.0'/);
    assert.deepEqual(configs(), before, 'no config was written');
  });

  test('a name that is not a safe file name is refused', async () => {
    const before = configs();
    const r = await d.vireo(['define', file('slash.xml', guestXml('a/b'))]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /name/);
    assert.deepEqual(configs(), before, 'no config was written');
  });

  test('duplicate names and UUIDs are refused', async () => {
    const before = configs();
    const uuid = '11111111-2222-3333-4444-555555555555';
    assert.equal((await d.vireo(['define', file('dup1.xml', guestXml('dup', { uuid }))])).code, 0);
    const sameName = await d.vireo(['define', file('dup2.xml', guestXml('dup'))]);
    assert.equal(sameName.code, 1);
    assert.match(sameName.stderr, new RegExp(`error: operation failed: domain 'dup' already exists with uuid ${uuid}`));
    const sameUuid = await d.vireo(['define', file('dup3.xml', guestXml('other', { uuid }))]);
    assert.equal(sameUuid.code, 1);
    assert.match(sameUuid.stderr, /already defined with uuid/);
    assert.deepEqual(configs(), [...before, 'dup.xml'].sort());
    assert.equal((await d.vireo(['undefine', 'dup'])).code, 0);
  });

  test('a missing disk file fails the start before anything runs', async () => {
    const f = file('nodisk.xml', guestXml('nodisk', {
      extraDevices: "\n    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/nonexistent/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>",
    }));
    assert.equal((await d.vireo(['define', f])).code, 0);
    const r = await d.vireo(['start', 'nodisk']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Failed to start domain 'nodisk'\nerror: Cannot access storage file '\/nonexistent\/disk.qcow2'/);
    assert.equal(await d.domstate('nodisk'), 'shut off (unknown)', 'nothing was started, so nothing changed');
    assert.deepEqual(d.qemuPids(), []);
    assert.equal((await d.vireo(['undefine', 'nodisk'])).code, 0);
  });

  test("a disk QEMU cannot open fails the start with QEMU's own words, shut off (failed)", async () => {
    const img = file('garbage.qcow2', 'this is not a qcow2 image\n');
    const f = file('garbage.xml', guestXml('garbage', {
      extraDevices: `\n    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${img}'/><target dev='vda' bus='virtio'/></disk>`,
    }));
    assert.equal((await d.vireo(['define', f])).code, 0);
    const r = await d.vireo(['start', 'garbage']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Failed to start domain 'garbage'\nerror: internal error: process exited while connecting to monitor: .*qcow2/);
    assert.equal(await d.domstate('garbage'), 'shut off (failed)');
    assert.deepEqual(d.qemuPids(), []);
    assert.equal((await d.vireo(['undefine', 'garbage'])).code, 0);
  });

  test("type='kvm' on a host without usable KVM fails clearly and suggests TCG", async () => {
    const host = (await d.vireo(['version'])).code;
    assert.equal(host, 0);
    const f = file('kvm.xml', guestXml('kvm1', { type: 'kvm' }));
    assert.equal((await d.vireo(['define', f])).code, 0);
    const r = await d.vireo(['start', 'kvm1']);
    // These machines have no hardware virtualization (see reference/environment.md).
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KVM/);
    assert.match(r.stderr, /type='qemu'/);
    assert.deepEqual(d.qemuPids(), []);
    assert.equal((await d.vireo(['undefine', 'kvm1'])).code, 0);
  });

  test('unknown domains, commands and options', async () => {
    const r1 = await d.vireo(['start', 'nosuch']);
    assert.equal(r1.code, 1);
    assert.equal(r1.stderr, "error: failed to get domain 'nosuch'\n");
    const r2 = await d.vireo(['frobnicate']);
    assert.equal(r2.code, 1);
    assert.equal(r2.stderr, "error: unknown command: 'frobnicate'\n");
    const r3 = await d.vireo(['list', '--bogus']);
    assert.equal(r3.code, 1);
    assert.equal(r3.stderr, "error: command 'list' doesn't support option --bogus\n");
  });

  test('a daemon that is not running', async () => {
    const r = await runCli(['-c', `vireo+unix:///system?socket=${path.join(d.root, 'nope.sock')}`, 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: failed to connect to the hypervisor/);
    assert.match(r.stderr, /nope\.sock/);
  });
});
