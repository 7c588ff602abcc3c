import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobRequestSchema } from '../../jobs/intake/index.ts';
import { packageRoot } from '../../package-root.ts';
import { OPENAPI_FILE, openApiDocument, openApiJson } from './index.ts';
import { describes } from './response-schemas.ts';

const document = openApiDocument();

/** Every `$ref` anywhere in a JSON value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

describe('openApiDocument', () => {
  it(`is committed as ${OPENAPI_FILE}, up to date`, () => {
    // Prepare
    const file = `${packageRoot(import.meta.url)}${OPENAPI_FILE}`;
    // Act
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    // Assess
    expect(committed, `${OPENAPI_FILE} is stale: run \`npm run openapi\` and commit it`).toBe(openApiJson());
  });

  it('is OpenAPI 3.1 and lists every route, POST /jobs/batch included', () => {
    // Assess
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(Object.keys(document.paths['/jobs/batch'] ?? {})).toEqual(['post']);
    expect(Object.keys(document.paths['/jobs'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/openapi.json'] ?? {})).toEqual(['get']);
  });

  it.each(['/jobs', '/dlq'])('documents the empty cursor GET %s refuses', (path) => {
    // Act
    const cursor = document.paths[path]?.get?.parameters?.find((p) => p.name === 'cursor');
    // Assess
    expect(cursor?.schema).toMatchObject({ type: 'string', minLength: 1 });
  });

  it('describes a batch whose items are read one by one: a bad item is answered in the 200, not refused', () => {
    // Prepare
    const documented = z.fromJSONSchema(document.components.schemas.JobBatch!);
    // Act
    const verdicts = [{ jobs: [{ type: 'noop' }, { type: 'not a type' }, 42] }, { jobs: [] }, { jobs: [{}], x: 1 }].map(
      (body) => documented.safeParse(body).success,
    );
    // Assess
    expect(verdicts).toEqual([true, false, false]);
    expect(document.paths['/jobs/batch']?.post?.responses['200']?.description).toContain('400 item');
  });

  it('names only schemas it defines', () => {
    // Act
    const targets = new Set(refsIn(document));
    // Assess
    for (const ref of targets) {
      expect(Object.keys(document.components.schemas)).toContain(ref.replace('#/components/schemas/', ''));
    }
  });

  it('describes the POST /jobs body as JobRequestSchema checks it', () => {
    // Prepare: the document's schema read back as a validator, independent of the zod original.
    const documented = z.fromJSONSchema(document.components.schemas.JobRequest!);
    const bodies = [
      { type: 'noop' },
      { type: 'embed', payload: { text: ['a'] }, priority: 'high', capacity: 'gpu', maxAttempts: 6 },
      { type: 'noop', backoff: { strategy: 'linear', baseSeconds: 5 }, runAt: '2026-01-01T07:00:00Z' },
      {},
      { type: 'not a type' },
      { type: 'noop', priority: 'urgent' },
      { type: 'noop', maxAttempts: 1.5 },
      { type: 'noop', colour: 'blue' },
      { type: 'noop', backoff: { jitter: 'some' } },
    ];
    // Act
    const verdicts = bodies.map((body) => [
      documented.safeParse(body).success,
      JobRequestSchema.safeParse(body).success,
    ]);
    // Assess: three accepted, the rest refused, by both.
    expect(verdicts).toEqual(bodies.map((_, i) => (i < 3 ? [true, true] : [false, false])));
  });

  it('compiles only while a response schema has exactly the fields of its type, optional ones included', () => {
    // Act: each line fails `tsc` (the directive) unless the schema and the type agree.
    const same = describes<{ a: string; b?: number }>()(z.object({ a: z.string(), b: z.number().optional() }));
    // @ts-expect-error the type's optional `b` is missing from the schema
    describes<{ a: string; b?: number }>()(z.object({ a: z.string() }));
    // @ts-expect-error the schema's `b` is required, the type's optional
    describes<{ a: string; b?: number }>()(z.object({ a: z.string(), b: z.number() }));
    // Assess
    expect(same.safeParse({ a: 'x' }).success).toBe(true);
  });
});
