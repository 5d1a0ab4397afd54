// The API description (src/api/routes.ts) is the contract: the server serves exactly its routes,
// docs/openapi.json is generated from it, and request checks use its schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTES, SCHEMAS, findRoute, matchRoute } from '../../src/api/routes.js';
import { checkQuery } from '../../src/api/query.js';
import { VireoError } from '../../src/api/errors.js';
import { validate } from '../../src/api/schema.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { HANDLED_IDS } from '../../src/server/router.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('the server binds exactly one handler to every route id, and ids are unique', () => {
  const ids = ROUTES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...HANDLED_IDS].sort(), [...ids].sort());
});

test('paths match segment by segment; a parameter takes one non-empty segment', () => {
  assert.deepEqual(matchRoute('GET', '/v1/domains/vm%201/xml'), { spec: findRoute('GET', '/v1/domains/x/xml'), params: { ref: 'vm%201' } });
  assert.deepEqual(matchRoute('GET', '/v1/domains/create')?.params, { ref: 'create' }, 'a domain may be named create: only POST is the create route');
  assert.equal(matchRoute('POST', '/v1/domains/create')?.spec.id, 'domain.create');
  assert.equal(matchRoute('GET', '/v1/domains//xml'), undefined);
  assert.equal(matchRoute('GET', '/v1/domains/a/b/xml'), undefined);
  assert.equal(matchRoute('GET', '/v1/host/'), undefined);
});

test('query parameters are checked against their declared types', () => {
  const q = (id: string, qs: string): string => {
    const spec = ROUTES.find((r) => r.id === id)!;
    try {
      const v = checkQuery(spec, new URLSearchParams(qs));
      return JSON.stringify(spec.query?.map((p) => (p.type === 'flag' ? v.flag(p.name) : p.type === 'integer' ? v.int(p.name) : v.str(p.name))) ?? []);
    } catch (e) {
      return e instanceof VireoError ? `${e.code}: ${e.message}` : String(e);
    }
  };
  assert.equal(q('domain.xml', 'inactive=1&security-info=0'), '[true,false,false]');
  assert.equal(q('domain.xml', 'inactive=yes'), "INVALID_ARG: invalid argument: query parameter 'inactive' must be 0 or 1, not 'yes'");
  assert.equal(q('domain.xml', 'inactiv=1'), "INVALID_ARG: invalid argument: unknown query parameter 'inactiv'; domain.xml takes inactive, security-info, update-cpu");
  assert.equal(q('domain.list', 'all=1'), "INVALID_ARG: invalid argument: unknown query parameter 'all'; domain.list takes none");
  assert.equal(q('domain.xml', 'inactive=1&inactive=1'), "INVALID_ARG: invalid argument: query parameter 'inactive' is given more than once");
  assert.equal(q('host.cpustats', 'cpu=3'), '[3]');
  assert.equal(q('host.cpustats', 'cpu=-1'), "INVALID_ARG: invalid argument: query parameter 'cpu' must be a non-negative integer, not '-1'");
  assert.equal(q('domain.metadata', 'live=1'), "INVALID_ARG: invalid argument: query parameter 'uri' is required by domain.metadata");
  assert.equal(q('domain.metadata', 'uri=http%3A%2F%2Fx%2F'), '["http://x/",false,false]');
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
