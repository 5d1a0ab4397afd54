/** The OpenAPI 3.1 document of the vireod API, built from routes.ts (docs/openapi.json). */
import { ROUTES, SCHEMAS, type QueryParam, type RouteSpec } from './routes.js';
import { ERROR_CODES } from './errors.js';
import { BYTES_MEDIA_TYPE, SPARSE_MEDIA_TYPE } from './volume-stream.js';

const VERSION = '0.1.0';

/** What `{ref}` names on a path: each resource kind is looked up its own way. */
function refDescription(path: string): string {
  if (path.startsWith('/v1/networks/')) return "a network's name or UUID";
  if (path.startsWith('/v1/pools/')) return "a storage pool's name or UUID";
  if (path.startsWith('/v1/interfaces/')) return "a host interface's name, else its MAC address";
  return 'domain id, UUID or name (looked up in that order)';
}

function operation(r: RouteSpec): Record<string, unknown> {
  const ref = { $ref: `#/components/schemas/${r.response}` };
  const ok: Record<string, unknown> =
    r.shape === 'bytes' ? {
      '200': {
        description: 'the bytes: raw with a content-length, or with sparse=1 the framed sparse stream (chunked; docs/api.md)',
        content: { [BYTES_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } }, [SPARSE_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } } },
      },
    }
      : r.shape === 'upgrade' ? { '101': { description: `Switching Protocols (${(r.upgrades ?? []).join(' or ')}): the connection now carries console bytes` } }
      : r.shape === 'ndjson' ? {
        '200': { description: 'a stream, one JSON object a line', content: { 'application/x-ndjson': { schema: ref } } },
        ...(r.upgrades?.includes('websocket') === true ? { '101': { description: 'Switching Protocols (websocket): one JSON object a text frame' } } : {}),
      }
        : { '200': { description: 'OK', content: { 'application/json': { schema: r.shape === 'array' ? { type: 'array', items: ref } : ref } } } };
  const op: Record<string, unknown> = {
    operationId: r.id,
    summary: r.summary,
    'x-vireo-access': r.access,
    responses: { ...ok, default: { description: `an error; codes: ${Object.keys(ERROR_CODES).join(', ')}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
  };
  const pathParam = (name: string, description: string): object => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
  const params = [
    ...(r.path.includes('{ref}') ? [pathParam('ref', refDescription(r.path))] : []),
    ...(r.path.includes('{vol}') ? [pathParam('vol', "a volume's name, key or path (percent-encoded: %2F for /)")] : []),
    ...(r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: q.required === true, description: q.description, schema: querySchema(q) })),
  ];
  if (params.length > 0) op.parameters = params;
  if (r.requestBody === 'bytes') {
    op.requestBody = {
      required: true,
      description: 'raw bytes, or with sparse=1 the framed sparse stream (docs/api.md); streamed to disk, not subject to the 9 MiB JSON body cap',
      content: { [BYTES_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } }, [SPARSE_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } } },
    };
  }
  if (r.request !== undefined) op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.request}` } } } };
  return op;
}

/** The JSON Schema of a query parameter's text. */
function querySchema(q: QueryParam): Record<string, unknown> {
  switch (q.type) {
    case 'flag':
      return { type: 'string', enum: ['0', '1'] };
    case 'integer':
      return { type: 'string', pattern: '^[0-9]+$' };
    case 'string':
      return q.enum === undefined ? { type: 'string' } : { type: 'string', enum: q.enum };
  }
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'vireod API',
      version: VERSION,
      description: "HTTP/1.1 + JSON on vireod's UNIX socket. Generated from src/api/routes.ts by scripts/gen-openapi.mjs; do not edit.",
    },
    paths,
    components: { schemas: SCHEMAS },
  };
}
