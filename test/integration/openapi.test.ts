import { describe, expect, it } from 'vitest';
import { type OpenApiDocument, openApiDocument } from '../../src/contract/openapi/index.ts';
import { testStack } from '../helpers/stack.ts';
import { PYTHON_JOB_TYPES } from './global-setup.ts';

const { client } = testStack();

describe('GET /openapi.json on the deployed API', () => {
  it("answers the OpenAPI 3.1 document of every route, with the deployment's job types", async () => {
    // Act
    const response = await client.raw('GET', 'openapi.json');
    // Assess
    expect(response.status).toBe(200);
    const document = response.body as OpenApiDocument;
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths['/jobs/batch'] ?? {})).toEqual(['post']);
    const { properties } = document.components.schemas.JobRequest as { properties: { type: { enum: string[] } } };
    const jobTypes = properties.type.enum;
    expect(jobTypes).toEqual(expect.arrayContaining(['noop', 'sleep', ...PYTHON_JOB_TYPES]));
    // The deployed document is the one the code builds (infra/openapi.test.ts ties it to the routes).
    expect(document).toEqual(JSON.parse(JSON.stringify(openApiDocument({ jobTypes }))));
  });
});
