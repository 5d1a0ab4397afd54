/**
 * Query parameters checked against a route's declaration (api/routes.ts) and read with their
 * declared types. Browser-safe: a client may check before it sends.
 */
import { VireoError } from './errors.js';
import type { QueryParam, RouteSpec } from './routes.js';

/** The checked query of one request. Reading a parameter the route does not declare is a bug, and throws. */
export interface Query {
  /** A 'flag' parameter: true when given as 1. */
  flag(name: string): boolean;
  /** An 'integer' parameter, or undefined when absent. */
  int(name: string): number | undefined;
  /** A 'string' parameter, or undefined when absent. */
  str(name: string): string | undefined;
}

/** Check `params` against `spec.query`; INVALID_ARG names the parameter that is unknown, repeated, malformed or missing. */
export function checkQuery(spec: Pick<RouteSpec, 'id' | 'query'>, params: URLSearchParams): Query {
  const declared = spec.query ?? [];
  const bad = (message: string): VireoError => new VireoError('INVALID_ARG', `invalid argument: ${message}`);
  const seen = new Set<string>();
  const values = new Map<string, boolean | number | string>();
  for (const [name, value] of params) {
    const p = declared.find((q) => q.name === name);
    if (p === undefined) {
      const known = declared.length === 0 ? `${spec.id} takes none` : `${spec.id} takes ${declared.map((q) => q.name).join(', ')}`;
      throw bad(`unknown query parameter '${name}'; ${known}`);
    }
    if (seen.has(name)) throw bad(`query parameter '${name}' is given more than once`);
    seen.add(name);
    values.set(name, parseValue(p, value, bad));
  }
  for (const p of declared) if (p.required === true && !seen.has(p.name)) throw bad(`query parameter '${p.name}' is required by ${spec.id}`);

  const get = (name: string, type: QueryParam['type']): boolean | number | string | undefined => {
    const p = declared.find((q) => q.name === name);
    if (p === undefined || p.type !== type) throw new Error(`${spec.id} declares no ${type} query parameter '${name}'`);
    return values.get(name);
  };
  return {
    flag: (name) => get(name, 'flag') === true,
    int: (name) => get(name, 'integer') as number | undefined,
    str: (name) => get(name, 'string') as string | undefined,
  };
}

function parseValue(p: QueryParam, value: string, bad: (m: string) => VireoError): boolean | number | string {
  switch (p.type) {
    case 'flag':
      if (value === '1') return true;
      if (value === '0') return false;
      throw bad(`query parameter '${p.name}' must be 0 or 1, not '${value}'`);
    case 'integer':
      if (!/^\d{1,15}$/.test(value)) throw bad(`query parameter '${p.name}' must be a non-negative integer, not '${value}'`);
      return Number(value);
    case 'string':
      if (p.enum !== undefined && !p.enum.includes(value)) throw bad(`query parameter '${p.name}' must be one of ${p.enum.join(', ')}, not '${value}'`);
      return value;
  }
}
