import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/openapi/index.ts';
import { handler } from './handler.ts';

describe('GET /openapi.json', () => {
  it('answers the OpenAPI document as JSON', async () => {
    // Prepare
    const event = { httpMethod: 'GET', path: '/openapi.json' } as unknown as APIGatewayProxyEvent;
    // Act
    const response = await handler(event, { functionName: 'openapi', awsRequestId: 'r1' } as Context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual(openApiDocument());
  });
});
