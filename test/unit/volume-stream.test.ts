// The sparse stream of vol-upload/vol-download --sparse: frames survive any split into chunks,
// zero blocks become holes, and a stream without its end frame, or with a wrong total, is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SparseDecoder, frameHeader, zeroRuns, type StreamEvent } from '../../src/api/volume-stream.js';
import { sparseFrames } from '../../src/client/core/volume-stream.js';

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

async function encode(data: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const f of sparseFrames((async function* () { yield data; })())) parts.push(f.slice());
  return concat(parts);
}

/** Decode `wire` fed in pieces of `step` bytes back into bytes (holes as zeros). */
function decode(wire: Uint8Array, step: number): { bytes: Uint8Array; events: StreamEvent[]; complete: boolean } {
  const d = new SparseDecoder();
  const events: StreamEvent[] = [];
  for (let i = 0; i < wire.length; i += step) events.push(...d.push(wire.subarray(i, i + step)).map((e) => (e.kind === 'data' ? { kind: 'data' as const, bytes: e.bytes.slice() } : e)));
  const parts = events.flatMap((e) => (e.kind === 'data' ? [e.bytes] : e.kind === 'hole' ? [new Uint8Array(e.length)] : []));
  return { bytes: concat(parts), events, complete: d.complete };
}

test('zero blocks become holes, data stays data', () => {
  const b = new Uint8Array(4096 * 4 + 10);
  b[4096 * 2 + 7] = 1;
  assert.deepEqual(zeroRuns(b), [{ hole: true, length: 8192 }, { hole: false, length: 4096 }, { hole: true, length: 4096 + 10 }]);
});

test('a sparse stream decodes to the same bytes whatever the chunking', async () => {
  const data = new Uint8Array(64 * 1024);
  data.fill(7, 10_000, 20_000);
  data[60_000] = 9;
  const wire = await encode(data);
  assert.ok(wire.length < 20_000, `holes are not sent: ${wire.length} bytes on the wire`);
  for (const step of [1, 5, 9, 4096, wire.length]) {
    const r = decode(wire, step);
    assert.equal(r.complete, true);
    assert.deepEqual(r.bytes, data, `chunks of ${step}`);
  }
});

test('a stream cut before its end frame is not complete, and a wrong total is refused', async () => {
  const wire = await encode(new Uint8Array([1, 2, 3]));
  assert.equal(decode(wire.subarray(0, wire.length - 9), 4).complete, false);
  const lying = concat([frameHeader('D', 2), new Uint8Array([1, 2]), frameHeader('E', 3)]);
  assert.throws(() => new SparseDecoder().push(lying), /the end frame says 3 bytes, the frames covered 2/);
  assert.throws(() => new SparseDecoder().push(concat([frameHeader('D', 0), new Uint8Array([0x51, 0, 0, 0, 0, 0, 0, 0, 0])])), /unknown frame kind 0x51/);
});

test('an error frame carries the error body', () => {
  const body = new TextEncoder().encode(JSON.stringify({ code: 'STORAGE_FAILED', message: 'cannot read' }));
  const ev = new SparseDecoder().push(concat([frameHeader('X', body.length), body]));
  assert.deepEqual(ev, [{ kind: 'error', body: { code: 'STORAGE_FAILED', message: 'cannot read' } }]);
});
