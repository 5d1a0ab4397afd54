// The pure parts of the request limits: strict percent-decoding, UTF-8 checks, XML caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, splitTarget } from '../../src/server/request.js';
import { firstInvalidUtf8 } from '../../src/api/utf8.js';
import { parseXml, utf8Length, MAX_XML_BYTES } from '../../src/conf/xml.js';
import { VireoError } from '../../src/api/errors.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof VireoError ? `${e.code}: ${e.message}` : String(e);
  }
  return 'no error';
};

test('query strings decode strictly', () => {
  assert.deepEqual([...parseQuery('a=1&b=x+y&c=%2F&d')], [['a', '1'], ['b', 'x y'], ['c', '/'], ['d', '']]);
  assert.match(code(() => parseQuery('a=%zz')), /^INVALID_ARG: .*query parameter 'a': '%zz'/);
  assert.match(code(() => parseQuery('%E0%A4=1')), /^INVALID_ARG: .*query string: '%E0%A4'/);
  assert.deepEqual(splitTarget('/v1/x?y=1#f'), { path: '/v1/x', query: 'y=1' });
});

test('the first byte that is not UTF-8', () => {
  const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
  assert.equal(firstInvalidUtf8(Buffer.from('plain and caf\u00e9 \u{1F600}')), Buffer.byteLength('plain and caf\u00e9 \u{1F600}'));
  assert.equal(firstInvalidUtf8(b(0x61, 0xe9, 0x62)), 1, 'a Latin-1 byte');
  assert.equal(firstInvalidUtf8(b(0xc0, 0x80)), 0, 'an overlong NUL');
  assert.equal(firstInvalidUtf8(b(0x61, 0xed, 0xa0, 0x80)), 1, 'an encoded surrogate');
  assert.equal(firstInvalidUtf8(b(0x61, 0x62, 0xe2, 0x82)), 2, 'a truncated sequence');
  assert.equal(firstInvalidUtf8(b(0xf4, 0x90, 0x80, 0x80)), 0, 'beyond U+10FFFF');
});

test('XML over the size, depth and element caps is XML_TOO_LARGE', () => {
  assert.equal(utf8Length('a\u00e9\u20ac\u{1F600}'), 1 + 2 + 3 + 4);
  const big = `<a>${'\u00e9'.repeat(MAX_XML_BYTES / 2)}</a>`;
  assert.match(code(() => parseXml(big)), /^XML_TOO_LARGE: \(domain_definition\): XML document too large: 4\.0 MiB; vireo accepts at most 4\.0 MiB$/);
  assert.equal(code(() => parseXml(`<a>${'<b>'.repeat(255)}${'</b>'.repeat(255)}</a>`)), 'no error', '256 levels are fine');
  assert.match(code(() => parseXml(`<a>${'<b>'.repeat(256)}${'</b>'.repeat(256)}</a>`)), /^XML_TOO_LARGE: .*more than 256 levels deep/);
  assert.match(code(() => parseXml(`<a>${'<b/>'.repeat(50_000)}</a>`)), /^XML_TOO_LARGE: .*more than 50000 elements/);
});
