// The API description (src/api/routes.ts) is the contract: the server serves exactly its routes,
// docs/openapi.json is generated from it, and request checks use its schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTES, SCHEMAS, pathPattern, findRoute } from '../../src/api/routes.js';
import { validate } from '../../src/api/schema.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { routes } from '../../src/server/http.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('the server serves exactly the routes the API description lists', () => {
  const served = routes('vireo:///system').map((r) => `${r.method} ${r.pattern.source}`).sort();
  const special = ['GET /v1/events', 'GET /v1/domains/{ref}/console/attach']; // served outside the JSON route table
  const described = ROUTES.filter((r) => !special.includes(`${r.method} ${r.path}`)).map((r) => `${r.method} ${pathPattern(r.path).source}`).sort();
  assert.deepEqual(served, described);
});

test('docs/openapi.json is generated from the description (node scripts/gen-openapi.mjs)', () => {
  const checkedIn = readFileSync(path.join(repo, 'docs', 'openapi.json'), 'utf8');
  assert.equal(checkedIn, JSON.stringify(openApiDocument(), null, 2) + '\n');
});

test('every schema a route names exists', () => {
  for (const r of ROUTES) {
    assert.ok(SCHEMAS[r.response] !== undefined, `${r.path}: ${r.response}`);
    if (r.request !== undefined) assert.ok(SCHEMAS[r.request] !== undefined, `${r.path}: ${r.request}`);
  }
});

test('request checks name the field that is wrong', () => {
  const start = findRoute('POST', '/v1/domains/vm1/start')!;
  const check = (body: unknown): string | undefined => validate(body, { $ref: `#/components/schemas/${start.request!}` }, SCHEMAS);
  assert.equal(check({}), undefined);
  assert.equal(check({ paused: true }), undefined);
  assert.equal(check({ paused: 'yes' }), 'body.paused must be true or false');
  assert.equal(check({ pasued: true }), 'body.pasued is not a known field');
  const define = findRoute('POST', '/v1/domains')!;
  assert.equal(validate({}, { $ref: `#/components/schemas/${define.request!}` }, SCHEMAS), 'body.xml is required');
});

test('nullable and enum fields', () => {
  const ok = { version: '0.1.0', versionNumber: 1000, hypervisor: null, hostname: 'h', uri: 'u', kvm: { usable: false, reason: 'no vmx' } };
  assert.equal(validate(ok, { $ref: '#/components/schemas/HostInfo' }, SCHEMAS), undefined);
  assert.match(validate({ ...ok, hypervisor: { name: 'Xen', version: '1', versionNumber: 1 } }, { $ref: '#/components/schemas/HostInfo' }, SCHEMAS)!, /body.hypervisor/);
});
