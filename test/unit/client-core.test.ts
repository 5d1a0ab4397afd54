// The client core and the browser transport run in a browser: nothing they load, directly or
// through api/, may use Node (node: modules, Buffer, process). The CLI's transports live in
// src/client/node and src/client/*.ts beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBase64 } from '../../src/client/core/base64.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Every source file `entry` loads, following relative imports (type-only ones included). */
function closure(entries: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)\.js'/g)) todo.push(path.resolve(path.dirname(file), `${m[1]!}.ts`));
  }
  return seen;
}

test('the client core and the browser transport load nothing of Node', () => {
  const dirs = ['client/core', 'client/browser'].map((d) => path.join(src, d));
  const entries = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => path.join(d, f)));
  const problems: string[] = [];
  for (const [file, text] of closure(entries)) {
    const rel = path.relative(src, file);
    // Comments may talk about Node; code may not use it.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*'([^.'][^']*)'/g)) problems.push(`${rel} imports ${m[1]!}`);
    if (/\bBuffer\b/.test(code)) problems.push(`${rel} uses Buffer`);
    if (/\bprocess\./.test(code)) problems.push(`${rel} uses process`);
    if (/\bNodeJS\./.test(code)) problems.push(`${rel} uses Node's types`);
  }
  assert.deepEqual(problems, []);
});

test('base64 decodes to bytes without Buffer', () => {
  const bytes = Uint8Array.from([0, 1, 127, 128, 255, 0x0a]);
  assert.deepEqual(fromBase64(Buffer.from(bytes).toString('base64')), bytes);
  assert.deepEqual(fromBase64(''), new Uint8Array());
});
