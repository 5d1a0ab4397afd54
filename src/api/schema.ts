/**
 * The JSON Schema subset the API is described in (OpenAPI 3.1 uses JSON Schema), and a small
 * validator for it. The server checks request bodies with it; tests check responses.
 */

export type JsonSchema =
  | { type: 'string'; enum?: readonly string[]; description?: string; format?: string }
  | { type: 'integer' | 'number'; minimum?: number; description?: string }
  | { type: 'boolean'; description?: string }
  | { type: 'null' }
  | { type: 'array'; items: JsonSchema; description?: string }
  | { type: 'object'; properties: Record<string, JsonSchema>; required?: readonly string[]; additionalProperties?: boolean; description?: string }
  | { anyOf: readonly JsonSchema[]; description?: string }
  | { $ref: string };

/** Schemas referenced as { $ref: '#/components/schemas/NAME' }. */
export type SchemaRegistry = Record<string, JsonSchema>;

/** The first problem with `value` against `schema`, as a sentence naming the field; undefined when valid. */
export function validate(value: unknown, schema: JsonSchema, registry: SchemaRegistry, at = 'body'): string | undefined {
  if ('$ref' in schema) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = registry[name];
    if (target === undefined) return `${at}: unknown schema ${name}`;
    return validate(value, target, registry, at);
  }
  if ('anyOf' in schema) {
    const problems = schema.anyOf.map((s) => validate(value, s, registry, at));
    return problems.some((p) => p === undefined) ? undefined : problems[0];
  }
  switch (schema.type) {
    case 'null':
      return value === null ? undefined : `${at} must be null`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${at} must be true or false`;
    case 'string':
      if (typeof value !== 'string') return `${at} must be a string`;
      return schema.enum === undefined || schema.enum.includes(value) ? undefined : `${at} must be one of ${schema.enum.join(', ')}`;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (schema.type === 'integer' && !Number.isInteger(value))) return `${at} must be ${schema.type === 'integer' ? 'an integer' : 'a number'}`;
      return schema.minimum !== undefined && value < schema.minimum ? `${at} must be at least ${schema.minimum}` : undefined;
    case 'array':
      if (!Array.isArray(value)) return `${at} must be an array`;
      for (const [i, v] of value.entries()) {
        const p = validate(v, schema.items, registry, `${at}[${i}]`);
        if (p !== undefined) return p;
      }
      return undefined;
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${at} must be an object`;
      const obj = value as Record<string, unknown>;
      for (const r of schema.required ?? []) if (!(r in obj)) return `${at}.${r} is required`;
      for (const [k, v] of Object.entries(obj)) {
        const prop = schema.properties[k];
        if (prop === undefined) {
          if (schema.additionalProperties === false) return `${at}.${k} is not a known field`;
          continue;
        }
        const p = validate(v, prop, registry, `${at}.${k}`);
        if (p !== undefined) return p;
      }
      return undefined;
    }
  }
}
