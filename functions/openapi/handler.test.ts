import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../src/aws/environment/index.ts';
import { openApiDocument } from '../../src/contract/openapi/index.ts';
import { apiGatewayEvent } from '../http/testing/api-gateway-event.ts';

/** The handler as a fresh container loads it: it reads the deployment's settings on load. */
async function getDocument() {
  vi.resetModules();
  const { handler } = await import('./handler.ts');
  return handler(apiGatewayEvent('1.0', { method: 'GET', route: '/openapi.json' }), {
    functionName: 'openapi',
    awsRequestId: 'r1',
  } as Context);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /openapi.json', () => {
  it('answers the OpenAPI document as JSON', async () => {
    // Act
    const response = await getDocument();
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual(openApiDocument());
  });

  it("lists the deployment's job types as the values `type` may take", async () => {
    // Prepare
    vi.stubEnv(ENV.jobTypes, 'noop,embed');
    // Act
    const document = JSON.parse((await getDocument()).body);
    // Assess
    expect(document).toEqual(openApiDocument({ jobTypes: ['noop', 'embed'] }));
    expect(document.components.schemas.JobRequest.properties.type.enum).toEqual(['noop', 'embed']);
  });
});
