// The lifecycle of a guest through the vireo CLI, against a real vireod and real QEMU (TCG).
import { describe, test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, guestXml, scenario, waitFor, READY_LINE, SOON, BOOT } from './harness.js';

const count = (s: string, needle: string): number => s.split(needle).length - 1;

describe('guest lifecycle through the CLI', () => {
  const d = new TestDaemon();
  let xmlFile = '';
  before(async () => {
    await d.start();
    xmlFile = path.join(d.root, 'vm1.xml');
    writeFileSync(xmlFile, guestXml('vm1', { title: 'first guest' }));
  });
  // The scenario stops and restarts the daemon; if it failed half-way, the other tests still get one.
  beforeEach(async () => {
    if (!d.running) await d.start();
  });
  after(() => d.cleanup());

  // One guest, vm1, through its life: each step starts where the previous one left it.
  test("a guest's life through the CLI", async (t) => {
    const step = scenario(t);
    await step('define shows an inactive, persistent domain', async () => {
      const r = await d.vireo(['define', xmlFile]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Domain 'vm1' defined from ${xmlFile}\n\n`);
      const list = await d.vireo(['list', '--all']);
      assert.equal(list.stdout, ' Id   Name   State\n-----------------------\n -    vm1    shut off\n\n');
      assert.equal((await d.vireo(['list'])).stdout, ' Id   Name   State\n--------------------\n\n');
      assert.equal(await d.domstate('vm1'), 'shut off (unknown)');
      assert.equal((await d.vireo(['domid', 'vm1'])).stdout, '-\n\n');
      const uuid = (await d.vireo(['domuuid', 'vm1'])).stdout.trim();
      assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal((await d.vireo(['domname', uuid])).stdout, 'vm1\n\n');
      const info = (await d.vireo(['dominfo', 'vm1'])).stdout;
      assert.match(info, /^Id:             -\nName:           vm1\nUUID:           [0-9a-f-]{36}\nOS Type:        hvm\nState:          shut off\nCPU\(s\):         1\nMax memory:     131072 KiB\nUsed memory:    131072 KiB\nPersistent:     yes\nAutostart:      disable\nManaged save:   no\nSecurity model: none\nSecurity DOI:   0\n\n$/);
    });

    await step('start boots the guest to its ready line', async () => {
      const r = await d.vireo(['start', 'vm1']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Domain 'vm1' started\n\n");
      assert.equal(await d.domstate('vm1'), 'running (booted)');
      await d.waitConsole('vm1', READY_LINE);
      assert.equal((await d.vireo(['list'])).stdout, ' Id   Name   State\n----------------------\n 1    vm1    running\n\n');
      assert.equal((await d.vireo(['list', '--title'])).stdout, ' Id   Name   State     Title\n------------------------------------\n 1    vm1    running   first guest\n\n');
      assert.equal((await d.vireo(['domid', 'vm1'])).stdout, '1\n\n');
      const uuid = (await d.vireo(['domuuid', 'vm1'])).stdout.trim();
      assert.equal((await d.vireo(['list', '--uuid'])).stdout, `${uuid}\n\n`);
      assert.equal((await d.vireo(['list', '--id'])).stdout, '1\n\n');
      assert.equal((await d.vireo(['list', '--state-running', '--persistent', '--no-autostart', '--name'])).stdout, 'vm1\n\n');
      assert.equal((await d.vireo(['list', '--inactive', '--name'])).stdout, '\n');
      assert.equal((await d.vireo(['domname', uuid])).stdout, 'vm1\n\n');
      assert.equal((await d.vireo(['domname', '1'])).stdout, 'vm1\n\n');
      const info = (await d.vireo(['dominfo', '1'])).stdout;
      assert.match(info, /^Id:             1\n/);
      assert.match(info, /\nState:          running\n/);
      assert.match(info, /\nCPU time:       \d+\.\ds\n/);
      assert.match((await d.vireo(['dumpxml', 'vm1'])).stdout, /^<domain type='qemu' id='1'>\n  <name>vm1<\/name>/);
      const inactive = (await d.vireo(['dumpxml', '--inactive', 'vm1'])).stdout;
      assert.match(inactive, /^<domain type='qemu'>\n/);
      // The 'q35' alias is pinned to the versioned machine at define, so a QEMU upgrade keeps the guest's hardware.
      assert.match(inactive, /<type arch='x86_64' machine='pc-q35-\d+\.\d+'>hvm<\/type>/);
      assert.equal(d.qemuPids().length, 1);
    });

    await step('start of a running guest fails and changes nothing', async () => {
      const r = await d.vireo(['start', 'vm1']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: Domain is already active\n/);
      assert.equal(await d.domstate('vm1'), 'running (booted)');
    });

    await step('suspend and resume', async () => {
      assert.equal((await d.vireo(['suspend', 'vm1'])).stdout, "Domain 'vm1' suspended\n\n");
      assert.equal(await d.domstate('vm1'), 'paused (user)');
      assert.equal((await d.vireo(['list', '--state-paused', '--name'])).stdout, 'vm1\n\n');
      assert.equal((await d.vireo(['list', '--state-running', '--name'])).stdout, '\n');
      assert.equal((await d.vireo(['resume', 'vm1'])).stdout, "Domain 'vm1' resumed\n\n");
      assert.equal(await d.domstate('vm1'), 'running (unpaused)');
      const again = await d.vireo(['resume', 'vm1']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /error: Failed to resume domain 'vm1'\nerror: Requested operation is not valid: domain is not paused/);
    });

    await step('reboot goes through the guest and boots it again', async () => {
      const r = await d.vireo(['reboot', 'vm1']);
      assert.equal(r.stdout, "Domain 'vm1' is being rebooted\n\n");
      await waitFor(async () => count((await d.vireo(['console-log', 'vm1'])).stdout, READY_LINE) >= 2, BOOT, 'the guest to boot twice');
      assert.match(await d.domstate('vm1'), /^running/);
    });

    await step('reset resets the guest at once', async () => {
      const before = count((await d.vireo(['console-log', 'vm1'])).stdout, READY_LINE);
      assert.equal((await d.vireo(['reset', 'vm1'])).stdout, "Domain 'vm1' was reset\n\n");
      await waitFor(async () => count((await d.vireo(['console-log', 'vm1'])).stdout, READY_LINE) > before, BOOT, 'the guest to boot after reset');
    });

    await step('the guest survives vireod being killed, and the new vireod controls it', async () => {
      const [pid] = d.qemuPids();
      await d.stop('SIGKILL');
      assert.deepEqual(d.qemuPids(), [pid], 'QEMU keeps running without the daemon');
      await d.start();
      assert.equal(await d.domstate('vm1'), 'running (booted)');
      assert.equal((await d.vireo(['suspend', 'vm1'])).code, 0);
      assert.equal(await d.domstate('vm1'), 'paused (user)');
      assert.equal((await d.vireo(['resume', 'vm1'])).code, 0);
      assert.match((await d.vireo(['console-log', 'vm1'])).stdout, new RegExp(READY_LINE));
    });

    await step('shutdown powers the guest off through ACPI', async () => {
      assert.equal((await d.vireo(['shutdown', 'vm1'])).stdout, "Domain 'vm1' is being shutdown\n\n");
      await waitFor(async () => (await d.domstate('vm1')) === 'shut off (shutdown)', BOOT, 'vm1 to shut off');
      assert.deepEqual(d.qemuPids(), []);
    });

    await step('start --paused, then destroy', async () => {
      assert.equal((await d.vireo(['start', '--paused', 'vm1'])).code, 0);
      assert.equal(await d.domstate('vm1'), 'paused (user)');
      const r = await d.vireo(['destroy', 'vm1']);
      assert.equal(r.stdout, "Domain 'vm1' destroyed\n\n");
      assert.equal(await d.domstate('vm1'), 'shut off (destroyed)');
      assert.deepEqual(d.qemuPids(), []);
      assert.equal((await d.vireo(['list', '--state-shutoff', '--name'])).stdout, 'vm1\n\n');
      assert.equal((await d.vireo(['list', '--inactive'])).stdout, ' Id   Name   State\n-----------------------\n -    vm1    shut off\n\n');
    });

    await step('operations in the wrong state fail with virsh errors', async () => {
      const s = await d.vireo(['suspend', 'vm1']);
      assert.equal(s.code, 1);
      assert.match(s.stderr, /^error: Failed to suspend domain 'vm1'\nerror: Requested operation is not valid: domain is not running\n/);
      const x = await d.vireo(['destroy', 'vm1']);
      assert.equal(x.code, 1);
      const n = await d.vireo(['dominfo', 'nosuch']);
      assert.equal(n.code, 1);
      assert.match(n.stderr, /^error: failed to get domain 'nosuch'\n/);
    });

    await step('a QEMU that dies leaves its guest shut off (crashed), and vireod carries on', async () => {
      assert.equal((await d.vireo(['start', 'vm1'])).code, 0);
      const [pid] = d.qemuPids();
      process.kill(pid!, 'SIGKILL');
      await waitFor(async () => (await d.domstate('vm1')) === 'shut off (crashed)', SOON, 'vm1 to be seen as crashed');
      assert.equal((await d.vireo(['list', '--all'])).code, 0);
    });

    await step('autostart guests start with the daemon', async () => {
      assert.equal((await d.vireo(['autostart', 'vm1'])).stdout, "Domain 'vm1' marked as autostarted\n\n");
      assert.match((await d.vireo(['dominfo', 'vm1'])).stdout, /Autostart:      enable/);
      assert.equal((await d.vireo(['list', '--all', '--autostart', '--name'])).stdout, 'vm1\n\n');
      await d.stop();
      await d.start();
      await waitFor(async () => (await d.domstate('vm1')) === 'running (booted)', SOON, 'vm1 to autostart');
      assert.equal((await d.vireo(['autostart', '--disable', 'vm1'])).stdout, "Domain 'vm1' unmarked as autostarted\n\n");
    });

    await step('undefine of a running guest makes it transient; destroy removes it', async () => {
      assert.equal((await d.vireo(['undefine', 'vm1'])).stdout, "Domain 'vm1' has been undefined\n\n");
      assert.match((await d.vireo(['dominfo', 'vm1'])).stdout, /Persistent:     no/);
      assert.equal((await d.vireo(['destroy', 'vm1'])).code, 0);
      assert.equal((await d.vireo(['list', '--all', '--name'])).stdout, '\n');
    });
  });

  test('create starts a transient guest that vanishes when it stops', async () => {
    const f = path.join(d.root, 'tr.xml');
    writeFileSync(f, guestXml('tr1'));
    const r = await d.vireo(['create', f]);
    assert.equal(r.stdout, `Domain 'tr1' created from ${f}\n\n`);
    assert.match((await d.vireo(['dominfo', 'tr1'])).stdout, /Persistent:     no/);
    assert.equal((await d.vireo(['list', '--transient', '--name'])).stdout, 'tr1\n\n');
    assert.equal((await d.vireo(['destroy', 'tr1'])).code, 0);
    assert.equal((await d.vireo(['dominfo', 'tr1'])).code, 1);
  });

  test('connect switches the connection; help and version answer', async () => {
    const r = await d.vireo([`connect ${d.uri}; uri; version --daemon; help domstate`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`\n${d.uri}\n\nCompiled against library: vireo 0.1.0\n`), r.stdout);
    assert.match(r.stdout, /Running hypervisor: QEMU \d+\.\d+\.\d+\nRunning against daemon: 0\.1\.0\n/);
    assert.match(r.stdout, /  NAME\n    domstate - /);
  });

  test('several commands in one argument, and from stdin', async () => {
    const f = path.join(d.root, 'vm2.xml');
    writeFileSync(f, guestXml('vm2'));
    const r = await d.vireo([`define ${f}; domstate vm2; undefine vm2`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Domain 'vm2' defined from ${f}\n\nshut off\n\nDomain 'vm2' has been undefined\n\n`);
    const bad = await d.vireo(['uri; dominfo nosuch']);
    assert.equal(bad.code, 1, 'the last command failed');
    const ok = await d.vireo(['dominfo nosuch; uri']);
    assert.equal(ok.code, 0, 'the last command succeeded');
    const stdin = await d.vireo([], { input: 'uri\nlist --all --name\n' });
    assert.equal(stdin.code, 0);
    assert.ok(stdin.stdout.includes(`${d.uri}\n`), stdin.stdout);
  });
});
