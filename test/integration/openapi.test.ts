import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/openapi/index.ts';
import { testStack } from '../helpers/stack.ts';

const { client } = testStack();

describe('GET /openapi.json on the deployed API', () => {
  it('answers the OpenAPI 3.1 document of every route, /jobs/batch included', async () => {
    const response = await client.raw('GET', 'openapi.json');

    expect(response.status).toBe(200);
    const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths['/jobs/batch'] ?? {})).toEqual(['post']);
    // The deployed document is the one the code builds (infra/openapi.test.ts ties it to the routes).
    expect(document).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });
});
