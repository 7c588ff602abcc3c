import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../src/aws/environment/index.ts';
import { NOW, runningOn } from '../../test/helpers/store-fixtures.ts';
import { handler } from './handler.ts';

const db = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv(ENV.jobsTable, 'jobs');
  vi.stubEnv(ENV.idempotencyTable, 'idempotency');
});
afterAll(() => {
  vi.unstubAllEnvs();
  db.restore();
});
beforeEach(() => db.reset());

/** `GET /jobs` with a query string, as API Gateway hands it over. */
async function get(query: Record<string, string> | null) {
  const event = { httpMethod: 'GET', path: '/jobs', queryStringParameters: query } as unknown as APIGatewayProxyEvent;
  const response = await handler(event, { functionName: 'list-jobs', awsRequestId: 'r1' } as Context);
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

describe('GET /jobs', () => {
  it('lists running jobs of a class as job views, one partition of the byStatus index after the other', async () => {
    // Prepare
    db.on(QueryCommand).resolves({ Items: [] });
    db.on(QueryCommand, { ExpressionAttributeValues: { ':key': 'RUNNING#cpu#high' } }).resolves({
      Items: [runningOn(NOW + 30_000)],
    });
    // Act
    const { status, body } = await get({ status: 'RUNNING', capacity: 'cpu', limit: '10' });
    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ items: [{ id: 'j1', status: 'RUNNING', attemptHistory: [{ workerId: 'w1' }] }] });
    expect(body.cursor).toBeNull();
    expect(db.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':key'])).toEqual([
      'RUNNING#cpu#critical',
      'RUNNING#cpu#high',
      'RUNNING#cpu#default',
      'RUNNING#cpu#low',
    ]);
  });

  it.each([
    [null, 'status'],
    [{ status: 'DEAD' }, 'status'],
    [{ status: 'RUNNING', capacity: 'tpu' }, 'capacity'],
    [{ status: 'RUNNING', priority: 'urgent' }, 'priority'],
    [{ status: 'RUNNING', limit: '0' }, 'limit'],
    [{ status: 'RUNNING', limit: '101' }, 'limit'],
    [{ status: 'RUNNING', cursor: 'garbage' }, 'cursor'],
    [{ status: 'RUNNING', colour: 'red' }, 'colour'],
  ])('answers %j with 400 naming %s, before reading the table', async (query, field) => {
    // Act
    const { status, body } = await get(query);
    // Assess
    expect(status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    expect(db.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('answers any query string with 200 or a 400 naming what is wrong, never a 500', async () => {
    // Prepare
    db.on(QueryCommand).resolves({ Items: [] });
    const value = fc.oneof(
      fc.constantFrom('RUNNING', 'QUEUED', 'DEAD', 'cpu', 'gpu', 'high', '0', '1', '100', '101', '-1', '1e2', ''),
      fc.string(),
      fc.base64String(),
    );
    const query = fc.dictionary(fc.constantFrom('status', 'capacity', 'priority', 'limit', 'cursor', 'colour'), value);
    // Act + Assess
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const { status, body } = await get(q);
        expect([200, 400]).toContain(status);
        if (status === 400) expect(body.error.details.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
