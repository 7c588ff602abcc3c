import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/** A request's side (fields with defaults optional) or a response's (every field the API sends). */
type Side = 'input' | 'output';

const OPTIONS = {
  // OpenAPI 3.1's own schema dialect: the output goes into the document as it is.
  target: 'draft-2020-12',
  // A payload passes a custom check (its nesting depth) before z.json(); it is shown as any value.
  unrepresentable: 'any',
  // z.int() bounds every integer by ±2^53 (JavaScript's safe integers): noise in a document.
  override: ({ jsonSchema }: { jsonSchema: JsonSchema }) => {
    if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
  },
} as const;

export const schemaRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/**
 * JSON Schemas of named zod schemas, for `components.schemas`: one named inside another becomes a
 * `$ref` to it. `$schema` and `$id` are dropped: the document already gives dialect and place.
 */
export function namedSchemas(schemas: Record<string, z.ZodType>, side: Side): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, { ...OPTIONS, io: side, uri: (id) => schemaRef(id).$ref }).schemas;
  return Object.fromEntries(Object.entries(converted).map(([id, { $schema, $id, ...schema }]) => [id, schema]));
}

/** The JSON Schema of one zod schema, inline. */
export function jsonSchema(schema: z.ZodType, side: Side): JsonSchema {
  const { $schema, ...rest } = z.toJSONSchema(schema, { ...OPTIONS, io: side });
  return rest;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** One query parameter per field of the schema that validates a query string. */
export function queryParameters(schema: z.ZodObject): Parameter[] {
  const { properties = {}, required = [] } = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, field]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    schema: field,
  }));
}
