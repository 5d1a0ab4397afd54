// Graphics ports come from vireod's allocator (host/ports.ts), as libvirt allocates them from
// remote_display_port_min/max: guests started together get distinct ports, dumpxml shows each
// one and QEMU listens there (-vnc ADDR:N), a port another process holds is skipped, a stopped
// guest's port goes back, and a guest reconnected after a daemon restart keeps its port held.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { TestDaemon, guestXml } from './harness.js';
import { canBind } from '../../src/host/ports.js';

const vnc = "\n    <graphics type='vnc' autoport='yes'/>";
const spice = "\n    <graphics type='spice' autoport='yes'/>";

/** The first bytes a TCP server at `port` sends. */
function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('data', (d) => {
      resolve(d.toString('latin1'));
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('graphics ports', () => {
  const d = new TestDaemon();
  let blocker: Server | undefined;
  const define = async (name: string, xml: string): Promise<void> => {
    const f = path.join(d.root, `${name}.xml`);
    writeFileSync(f, xml);
    const r = await d.vireo(['define', f]);
    assert.equal(r.code, 0, r.stderr);
  };
  const portOf = async (name: string): Promise<number> => {
    const xml = (await d.vireo(['dumpxml', name])).stdout;
    const m = /<graphics type='(?:vnc|spice)' port='(\d+)' autoport='yes'/.exec(xml);
    assert.ok(m !== null, xml);
    return Number(m[1]);
  };

  before(async () => {
    await d.start();
    for (const [name, dev] of [['p1', vnc], ['p2', vnc], ['p3', spice], ['p4', vnc]] as const) {
      await define(name, guestXml(name, { extraDevices: dev }));
    }
  });
  after(async () => {
    blocker?.close();
    await d.cleanup();
  });

  test('guests started together get distinct ports from 5900 up, skipping one another process holds; QEMU listens on each', async () => {
    // Hold the lowest free display port, as another program on the host would.
    let held = 5900;
    while (!(await canBind('0.0.0.0', held))) held++;
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(held, '0.0.0.0', r));

    const starts = await Promise.all(['p1', 'p2', 'p3'].map((n) => d.vireo(['start', '--paused', n])));
    for (const r of starts) assert.equal(r.code, 0, r.stderr);
    const ports = await Promise.all(['p1', 'p2', 'p3'].map(portOf));
    assert.equal(new Set(ports).size, 3, `ports ${ports.join(' ')}`);
    for (const p of ports) assert.ok(p > 5900 && p !== held, `port ${p} (held: ${held})`);
    // The port is on QEMU's command line, not left to QEMU's own search.
    const cmdline = readFileSync(path.join(d.root, 'log', 'p1.log'), 'utf8');
    assert.match(cmdline, new RegExp(` -vnc 127\\.0\\.0\\.1:${ports[0]! - 5900}(,| )`));
    assert.match(await banner(ports[0]!), /^RFB 003\.008/);
    assert.match(await banner(ports[1]!), /^RFB 003\.008/);
    // SPICE answers the client's first message, not at once: a connection is what can be checked.
    await new Promise<void>((resolve, reject) => createConnection({ host: '127.0.0.1', port: ports[2]! }).once('connect', function (this: import('node:net').Socket) {
      this.destroy();
      resolve();
    }).once('error', reject));
  });

  test('after a daemon restart a running guest keeps its port: a fixed port on it is refused, and a stopped guest\'s port is given again', async () => {
    const p1 = await portOf('p1');
    const p2 = await portOf('p2');
    await d.stop('SIGKILL');
    await d.start();
    const fixed = guestXml('p5', { extraDevices: `\n    <graphics type='vnc' port='${p1}' autoport='no'/>` });
    await define('p5', fixed);
    const r = await d.vireo(['start', '--paused', 'p5']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`error: operation failed: VNC port ${p1} of domain 'p5' is already used by another running guest`));

    assert.equal((await d.vireo(['destroy', 'p2'])).code, 0);
    const s = await d.vireo(['start', '--paused', 'p4']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(await portOf('p4'), p2, 'p2\'s port went back to the pool when p2 stopped');
  });
});
