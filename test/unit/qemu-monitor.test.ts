// The typed monitor against a fake QEMU monitor speaking the real QMP protocol: each method sends
// its command with typed arguments and parses the reply; refusals, time-outs and a monitor that
// goes away become coded VireoErrors naming what vireo tried, with QEMU's reply kept as the cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Monitor } from '../../src/qemu/monitor.js';
import { configureMonitor } from '../../src/qemu/prepare.js';
import { QmpCommandError, type QmpEvent } from '../../src/qemu/qmp/client.js';
import { parseDomainXml } from '../../src/conf/domain-xml.js';
import { VireoError } from '../../src/api/errors.js';
import { fakeQmp, type Answer, type Received } from './fake-qmp.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

async function withMonitor(answer: (c: Received) => Answer, fn: (m: Monitor, sent: Received[]) => Promise<void>, timeoutMs?: number): Promise<void> {
  const fake = await fakeQmp(answer);
  const m = await Monitor.connect(fake.path, { name: 'g1', ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  try {
    await fn(m, fake.received);
  } finally {
    m.close();
    fake.done();
  }
}

const isCode = (code: string, re: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof VireoError, String(e));
  assert.equal(e.code, code);
  assert.match(e.message, re);
  return true;
};

test('each lifecycle method sends its QMP command', async () => {
  await withMonitor(() => ({ return: {} }), async (m, sent) => {
    assert.deepEqual(m.version, { major: 7, minor: 2, micro: 19 });
    await m.cont();
    await m.stop();
    await m.systemPowerdown();
    await m.systemReset();
    await m.quit();
    assert.deepEqual(sent.map((c) => [c.execute, c.arguments]), [
      ['cont', undefined], ['stop', undefined], ['system_powerdown', undefined], ['system_reset', undefined], ['quit', undefined],
    ]);
  });
});

test('query-status and query-vnc replies are parsed into typed values', async () => {
  const replies: Record<string, unknown> = {
    'query-status': { status: 'paused', singlestep: false, running: false },
    'query-vnc': { enabled: true, host: '127.0.0.1', service: '5901', family: 'ipv4', auth: 'none', clients: [] },
  };
  await withMonitor((c) => ({ return: replies[c.execute] }), async (m) => {
    assert.deepEqual(await m.queryStatus(), { status: 'paused', running: false });
    assert.deepEqual(await m.queryVnc(), { enabled: true, host: '127.0.0.1', port: 5901, family: 'ipv4', auth: 'none' });
    replies['query-vnc'] = { enabled: false };
    assert.deepEqual(await m.queryVnc(), { enabled: false });
    replies['query-status'] = { status: 'running' }; // no 'running': not what QEMU sends
    await assert.rejects(m.queryStatus(), isCode('QEMU_FAILED', /^QEMU answered 'query-status' for domain 'g1' with a reply vireo does not understand$/));
  });
});

test('configureMonitor sends the passwords, link state and balloon period typed, and records the VNC port QEMU picked', async () => {
  const xml = readFileSync(path.join(fixtures, 'argv', 'tuned.xml'), 'utf8').replace("port='5910' autoport='no'", "autoport='yes'");
  const def = parseDomainXml(xml);
  await withMonitor((c) => ({ return: c.execute === 'query-vnc' ? { enabled: true, service: '5907', host: '127.0.0.1', family: 'ipv4' } : {} }), async (m, sent) => {
    await configureMonitor(m, def);
    assert.deepEqual(sent.map((c) => [c.execute, c.arguments]), [
      ['set_password', { protocol: 'spice', password: 'sp1ce' }],
      ['set_password', { protocol: 'vnc', password: 'vnc' }],
      ['set_link', { name: 'net0', up: false }],
      ['qom-set', { path: '/machine/peripheral/balloon0', property: 'guest-stats-polling-interval', value: 10 }],
      // <currentMemory> 3 GiB below <memory>: the balloon's target from the start.
      ['balloon', { value: 3 * 1024 ** 3 }],
      ['query-vnc', undefined],
    ]);
    assert.equal(def.devices.graphics.find((g) => g.type === 'vnc')?.port, 5907);
  });
});

test('a refused command is QMP_ERROR naming what failed and the command, QEMU\'s reply kept as the cause', async () => {
  await withMonitor((c) => (c.execute === 'cont'
    ? { error: { class: 'GenericError', desc: 'Resetting the Virtual Machine is required' } }
    : { error: { class: 'CommandNotFound', desc: "The command set_password has not been found" } }), async (m) => {
    await assert.rejects(m.cont(), (e: unknown) => {
      isCode('QMP_ERROR', /^internal error: QEMU could not start the CPUs of domain 'g1' \(monitor command 'cont'\): Resetting the Virtual Machine is required$/)(e);
      const cause = (e as Error).cause;
      assert.ok(cause instanceof QmpCommandError && cause.errorClass === 'GenericError');
      return true;
    });
    await assert.rejects(m.setPassword('vnc', 'secret'), (e: unknown) => {
      isCode('QMP_ERROR', /QEMU could not set the graphics password of domain 'g1' \(monitor command 'set_password'\)/)(e);
      assert.doesNotMatch((e as Error).message, /secret/);
      assert.equal((e as VireoError).hint, 'this QEMU does not have the command; a newer QEMU may be needed');
      return true;
    });
  });
});

test('an unanswered command is MONITOR_TIMEOUT; a monitor that hangs up is QEMU_FAILED', async () => {
  await withMonitor(() => 'silence', async (m) => {
    await assert.rejects(m.queryStatus({ timeoutMs: 40 }), isCode('MONITOR_TIMEOUT', /did not answer 'query-status' within 40 ms$/));
    await assert.rejects(m.stop(), (e: unknown) => {
      isCode('MONITOR_TIMEOUT', /^Timed out during operation: the QEMU monitor of domain 'g1' did not answer 'stop' within 60 ms$/)(e);
      assert.match((e as VireoError).hint ?? '', /vireo destroy/);
      return true;
    });
  }, 60);
  await withMonitor(() => 'hangup', async (m) => {
    await assert.rejects(m.systemPowerdown(), isCode('QEMU_FAILED', /^cannot press the ACPI power button of domain 'g1': its QEMU monitor closed \(QEMU has exited or is exiting\)$/));
    assert.equal(m.isClosed, true);
    await assert.rejects(m.cont(), isCode('QEMU_FAILED', /^cannot start the CPUs of domain 'g1': its QEMU monitor closed/));
  });
});

test('events and the end of the connection reach the monitor\'s listeners', async () => {
  const fake = await fakeQmp();
  const m = await Monitor.connect(fake.path, { name: 'g1' });
  const events: QmpEvent[] = [];
  const closed = new Promise<void>((r) => m.on('close', () => r()));
  const got = new Promise<void>((r) => m.on('event', (e) => {
    events.push(e);
    r();
  }));
  fake.event('STOP');
  await got;
  assert.deepEqual(events.map((e) => e.event), ['STOP']);
  fake.done();
  await closed;
});

test('connecting: a missing socket is QEMU_FAILED, a monitor that never greets MONITOR_TIMEOUT', async () => {
  await assert.rejects(Monitor.connect('/nonexistent/monitor.sock', { name: 'g1' }), isCode('QEMU_FAILED', /^cannot connect to the QEMU monitor of domain 'g1': cannot connect to QMP socket \/nonexistent\/monitor\.sock/));
  const mute = await fakeQmp(undefined, { greet: false });
  await assert.rejects(Monitor.connect(mute.path, { name: 'g1', timeoutMs: 50 }), isCode('MONITOR_TIMEOUT', /did not greet within 50 ms/));
  mute.done();
});
