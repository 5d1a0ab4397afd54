// Writes docs/openapi.json from src/api/routes.ts (build first: npx tsc -p .).
// `node scripts/gen-openapi.mjs --check` exits 1 when the checked-in file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { openApiDocument } from '../dist/src/api/openapi.js';

const file = new URL('../docs/openapi.json', import.meta.url);
const text = JSON.stringify(openApiDocument(), null, 2) + '\n';
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    console.error('docs/openapi.json is out of date: run node scripts/gen-openapi.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
