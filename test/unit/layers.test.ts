// Imports point down only (docs/architecture.md): a lower layer never imports a higher one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** What each top-level folder under src/ may import (besides itself and node builtins). */
const ALLOWED: Record<string, string[]> = {
  api: [],
  util: ['api'],
  conf: ['api'],
  qemu: ['conf', 'util', 'api'],
  storage: ['conf', 'util', 'api'],
  network: ['conf', 'util', 'api'],
  host: ['util', 'api'],
  daemon: ['qemu', 'storage', 'network', 'host', 'conf', 'util', 'api'],
  server: ['daemon', 'qemu', 'storage', 'network', 'host', 'conf', 'util', 'api'],
  client: ['util', 'api'],
  cli: ['client', 'api'],
  web: ['client', 'api'],
};

function* tsFiles(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

test('no import crosses a layer the wrong way', () => {
  const violations: string[] = [];
  for (const file of tsFiles(root)) {
    const layer = path.relative(root, file).split(path.sep)[0]!;
    const allowed = ALLOWED[layer];
    assert.ok(allowed !== undefined, `src/${layer} is not a known layer; add it to ALLOWED and docs/architecture.md`);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = path.relative(root, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!;
      if (target !== layer && !allowed.includes(target)) violations.push(`${path.relative(root, file)} imports ${m[1]} (${layer} -> ${target})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('qemu/qmp knows nothing about domains', () => {
  for (const file of tsFiles(path.join(root, 'qemu', 'qmp'))) {
    const src = readFileSync(file, 'utf8');
    assert.doesNotMatch(src, /from '\.\.\/\.\.\/conf|domain-model/, `${file} must not import domain code`);
  }
});
