import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OpenApiContract } from '../../test/helpers/openapi-contract.ts';
import { apiGatewayEvent, PAYLOAD_FORMATS } from '../http/testing/api-gateway-event.ts';
import { handler } from './handler.ts';

const contract = new OpenApiContract();

describe.each(PAYLOAD_FORMATS)('a method a path does not take, payload format %s', (format) => {
  it.each([
    ['TRACE', '/health', 'GET'],
    ['DELETE', '/jobs/{id}', 'GET'],
    ['PUT', '/jobs', 'POST, GET'],
  ])('%s %s → 405 with the JSON error shape, Allow: %s', async (method, route, allow) => {
    // Prepare
    const event = apiGatewayEvent(format, { method, route, pathParameters: { id: 'j1' } });
    // Act
    const response = await handler(event, { functionName: 'method-not-allowed', awsRequestId: 'r1' } as Context);
    // Assess
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', allow });
    expect(body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', message: expect.stringContaining(method) });
    expect(contract.violation({ method, path: route, status: 405, body })).toBeUndefined();
  });
});
