// docs/errors.md documents every registered error code, with its status and meaning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, type ErrorCode } from '../../src/api/errors.js';
import { httpStatusFor } from '../../src/server/status.js';

const doc = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md'), 'utf8');

test('every error code is documented with its HTTP status and meaning', () => {
  for (const [code, meaning] of Object.entries(ERROR_CODES)) {
    assert.ok(doc.includes(`| \`${code}\` | ${httpStatusFor(code as ErrorCode)} | ${meaning} |`), `docs/errors.md lacks ${code}`);
  }
});

test('the doc lists no code that does not exist', () => {
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \|/gm)) assert.ok(m[1]! in ERROR_CODES, `docs/errors.md lists unknown code ${m[1]}`);
});
