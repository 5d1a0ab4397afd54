// Request limits (issue 7, defect 6): an oversized body, XML or nesting gets a clear coded error,
// vireod never buffers past its cap, and bad encodings are refused instead of mangled.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, guestXml } from './harness.js';

interface Reply { status: number; headers: http.IncomingHttpHeaders; json: { error?: { code: string; message: string } } }

describe('request limits', () => {
  const d = new TestDaemon();
  const file = (name: string, data: string | Buffer): string => {
    const f = path.join(d.root, name);
    writeFileSync(f, data);
    return f;
  };
  const configs = (): string[] => readdirSync(path.join(d.root, 'etc', 'domains')).filter((f) => f.endsWith('.xml')).sort();

  /** The daemon's peak resident memory (VmHWM), in MiB. */
  function daemonPeakMiB(): number {
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        if (cmd.some((a) => a.endsWith('dist/src/server/main.js')) && cmd.includes(d.root)) { // bin/vireod execs node on it
          const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]!;
          return Number(kb) / 1024;
        }
      } catch {
        // raced with an exit
      }
    }
    throw new Error('vireod not found');
  }

  function request(method: string, target: string, body?: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, method, path: target, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) as Reply['json'] }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  before(() => d.start());
  after(() => d.cleanup());

  test('a body that keeps coming is cut off at the cap with 413, and the connection is closed', async () => {
    // No Content-Length: vireod can only count. The client sends up to 100 MB, as long as no reply came.
    const r = await new Promise<{ status: number; code: string; closed: boolean; sentMiB: number }>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, method: 'POST', path: '/v1/domains', headers: { 'content-type': 'application/json' } });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      let answered = false;
      const pump = (): void => {
        while (!answered && sent < 100 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      req.on('response', (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          // The daemon hangs up after the reply (the client sees EOF or a reset as it keeps writing).
          const done = (): void => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as Reply['json']).error?.code ?? '', closed: true, sentMiB: sent / 1048576 });
          if (req.socket?.destroyed === true) done();
          else req.socket?.once('close', done);
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!answered) reject(e);
      });
      pump();
    });
    assert.equal(r.status, 413);
    assert.equal(r.code, 'REQUEST_TOO_LARGE');
    assert.ok(r.sentMiB < 100, `the reply came before the client had sent everything (${r.sentMiB} MiB)`);
    assert.ok(daemonPeakMiB() < 250, `vireod peaked at ${daemonPeakMiB()} MiB`);
  });

  // Before the cap, vireod waited for the 200 MB that never came: the timeout turns that hang into a failure.
  test('a declared Content-Length over the cap is refused before the body is read', { timeout: 60_000 }, async () => {
    const r = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, method: 'POST', path: '/v1/domains', headers: { 'content-type': 'application/json', 'content-length': 200 * 1024 * 1024 } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) as Reply['json'] }));
      });
      req.on('error', reject);
      req.write('{"xml": "');
    });
    assert.equal(r.status, 413);
    assert.equal(r.headers.connection, 'close');
    assert.match(r.json.error!.message, /^request body too large: 200\.0 MiB; vireod accepts at most 9\.0 MiB$/);
  });

  test('domain XML over 4 MiB is refused, naming the limit', async () => {
    const big = guestXml('huge').replace('<devices>', `<description>${'x'.repeat(6 * 1024 * 1024)}</description>\n  <devices>`);
    const f = file('huge.xml', big);
    const r = await d.vireo(['define', f]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: Failed to define domain from ${f}\nerror: (domain_definition): XML document too large: 6.0 MiB; vireo accepts at most 4.0 MiB\n`);
    assert.deepEqual(configs(), []);
  });

  test('100,000 nested elements are "too deep", not a stack overflow', async () => {
    const deep = guestXml('deep').replace('<devices>', `<metadata><a:x xmlns:a='http://example.org/a'>${'<a:x>'.repeat(100_000)}${'</a:x>'.repeat(100_000)}</a:x></metadata>\n  <devices>`);
    const r = await d.vireo(['define', file('deep.xml', deep)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\nerror: \(domain_definition\):\d+: XML nested too deeply: element <a:x> at line \d+ is more than 256 levels deep; vireo reads at most 256\n$/);
    assert.deepEqual(configs(), []);
  });

  test('a document of more than 50,000 elements is refused', async () => {
    const many = guestXml('many').replace('<devices>', `<metadata><a:x xmlns:a='http://example.org/a'>${'<a:y/>'.repeat(60_000)}</a:x></metadata>\n  <devices>`);
    const r = await d.vireo(['define', file('many.xml', many)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /XML document too large: more than 50000 elements \(the first one over is <a:y> at line \d+\); vireo reads at most 50000\n$/);
  });

  test('an XML file that is not UTF-8 is refused, naming the byte', async () => {
    const latin1 = Buffer.from(guestXml('latin').replace('<devices>', '<description>caf\u00e9</description>\n  <devices>'), 'latin1');
    const f = file('latin1.xml', latin1);
    const r = await d.vireo(['define', f]);
    assert.equal(r.code, 1);
    const at = latin1.indexOf(0xe9);
    assert.equal(r.stderr, `error: Failed to define domain from ${f}\nerror: ${f}:${latin1.subarray(0, at).toString().split('\n').length}: input is not proper UTF-8: byte 0xE9 at offset ${at} (save it as UTF-8)\n`);
    assert.deepEqual(configs(), []);
  });

  test('a JSON body that is not UTF-8, or holds a lone surrogate, is refused', async () => {
    const body = Buffer.concat([Buffer.from('{"xml": "<domain>caf'), Buffer.from([0xe9]), Buffer.from('</domain>"}')]);
    const r = await request('POST', '/v1/domains', body);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.error, { code: 'INVALID_ARG', message: 'the request body is not valid UTF-8 (at byte 20)' });
    const r2 = await request('POST', '/v1/domains', Buffer.from(JSON.stringify({ xml: guestXml('sur') }).replace('<name>sur', '<name>sur\\ud800')));
    assert.equal(r2.status, 400);
    assert.deepEqual(r2.json.error, { code: 'INVALID_ARG', message: 'invalid request: body.xml is not valid Unicode (it holds a lone surrogate escape)' });
    assert.deepEqual(configs(), []);
  });

  test('a malformed percent-encoding in the path or the query is INVALID_ARG, not INTERNAL', async () => {
    const r = await request('GET', '/v1/domains/%E0%A4%A');
    assert.equal(r.status, 400);
    assert.equal(r.json.error?.code, 'INVALID_ARG');
    assert.match(r.json.error.message, /malformed percent-encoding in the URL path: '%E0%A4%A'/);
    const r2 = await request('GET', '/v1/domains/x/xml?inactive=%zz');
    assert.equal(r2.status, 400);
    assert.match(r2.json.error!.message, /malformed percent-encoding in the query parameter 'inactive': '%zz'/);
    const r3 = await request('GET', '/v1/domains/%FF');
    assert.equal(r3.status, 400, 'a percent-encoding that is not UTF-8 is malformed too');
  });
});
