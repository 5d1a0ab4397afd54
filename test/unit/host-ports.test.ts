// The port allocator with real bind checks: concurrent reserves never share a port, a port another
// process listens on is skipped, a guest's own ports are held across a restart, and ports go back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { PortAllocator, PORT_RANGES, canBind } from '../../src/host/ports.js';
import { VireoError } from '../../src/api/errors.js';

/** Another process listening on a port the kernel picks on `host`; resolves with the port. */
async function otherProcessListening(host: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', `const s = require('node:net').createServer().listen(0, '${host}', () => console.log(s.address().port)); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), child };
}

async function stop(child: ChildProcess): Promise<void> {
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  await gone;
}

test('libvirt\'s ranges are the defaults', () => {
  assert.deepEqual(PORT_RANGES, { display: { min: 5900, max: 65535 }, websocket: { min: 5700, max: 65535 }, migration: { min: 49152, max: 49215 } });
});

test('concurrent reserves never return the same port', async () => {
  const { port: base, child } = await otherProcessListening('127.0.0.1');
  await stop(child); // now a port range the kernel just showed us is usable
  const ports = new PortAllocator({ ranges: { display: { min: base, max: base + 63 } } });
  const got = await Promise.all(Array.from({ length: 16 }, (_, i) => ports.reserve('display', `guest-${i}`)));
  assert.equal(new Set(got).size, got.length, `duplicates in ${got.join(' ')}`);
  for (const p of got) assert.ok(p >= base && p <= base + 63);
  assert.equal(ports.reserved().size, 16);
});

test('concurrent reserves stay distinct even when every bind check succeeds late', async () => {
  const ports = new PortAllocator({ isFree: () => new Promise((r) => setTimeout(() => r(true), 5)) });
  const got = await Promise.all([1, 2, 3, 4].map((i) => ports.reserve('migration', `g${i}`)));
  assert.deepEqual(got, [49152, 49153, 49154, 49155]);
});

test('a port bound by another process is skipped, on 127.0.0.1 and on 0.0.0.0', async () => {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const { port, child } = await otherProcessListening(host);
    try {
      assert.equal(await canBind('127.0.0.1', port), false);
      const ports = new PortAllocator({ ranges: { websocket: { min: port, max: port + 20 } } });
      const got = await ports.reserve('websocket', 'g1');
      assert.ok(got > port && got <= port + 20, `${host}: got ${got}, the busy port is ${port}`);
      assert.equal(ports.reserved().has(port), false, 'the busy port is not left reserved');
      const only = new PortAllocator({ ranges: { websocket: { min: port, max: port } } });
      await assert.rejects(only.reserve('websocket', 'g1'), (e: unknown) =>
        e instanceof VireoError && e.code === 'OPERATION_FAILED' && e.message === `operation failed: Unable to find an unused port in range 'websocket' (${port}-${port})`);
    } finally {
      await stop(child);
    }
  }
});

test('reserveSpecific holds a port for its owner; release and releaseOwner give ports back', async () => {
  const ports = new PortAllocator({ isFree: async () => true });
  assert.equal(ports.reserveSpecific(5900, 'a'), true, 'a reconnected guest keeps its port');
  assert.equal(ports.reserveSpecific(5900, 'a'), true);
  assert.equal(ports.reserveSpecific(5900, 'b'), false, 'another guest cannot take it');
  assert.equal(await ports.reserve('display', 'b'), 5901);
  assert.equal(await ports.reserve('display', 'a'), 5902);
  ports.releaseOwner('a');
  assert.deepEqual([...ports.reserved()], [[5901, 'b']]);
  assert.equal(await ports.reserve('display', 'c'), 5900);
  ports.release(5901);
  assert.equal(await ports.reserve('display', 'c'), 5901);
});
