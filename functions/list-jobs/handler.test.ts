import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
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
  vi.stubEnv(ENV.workersTable, 'workers');
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
  it('lists retrying jobs of a class as job views, one key of the byStatusShard index after the other', async () => {
    // Prepare
    const retrying = { ...runningOn(NOW), status: 'RETRYING', leases: undefined };
    db.on(QueryCommand).resolves({ Items: [] });
    db.on(QueryCommand, { ExpressionAttributeValues: { ':key': 'RETRYING#cpu#high#3' } }).resolves({
      Items: [retrying],
    });
    // Act
    const { status, body } = await get({ status: 'RETRYING', capacity: 'cpu', limit: '10' });
    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ items: [{ id: 'j1', status: 'RETRYING' }] });
    expect(body.cursor).toBeNull();
    const keys = db.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':key']);
    expect(keys).toHaveLength(4 * 8);
    expect(keys.slice(0, 2)).toEqual(['RETRYING#cpu#critical#0', 'RETRYING#cpu#critical#1']);
  });

  it("asks the index for one tenant's jobs only, the jobs without a tenant counting as `default`'s", async () => {
    // Prepare
    db.on(QueryCommand).resolves({ Items: [] });
    // Act
    const acme = await get({ status: 'SCHEDULED', tenant: 'acme', capacity: 'cpu', priority: 'high' });
    const byDefault = await get({ status: 'SCHEDULED', tenant: 'default', capacity: 'cpu', priority: 'high' });
    // Assess
    expect([acme.status, byDefault.status]).toEqual([200, 200]);
    const inputs = db.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({
      FilterExpression: '#tenant = :tenant',
      ExpressionAttributeNames: { '#tenant': 'tenant' },
      ExpressionAttributeValues: { ':tenant': 'acme' },
    });
    expect(inputs.at(-1)).toMatchObject({
      FilterExpression: 'attribute_not_exists(#tenant) OR #tenant = :tenant',
      ExpressionAttributeValues: { ':tenant': 'default' },
    });
  });

  it('lists running jobs as their workers report them, read by id', async () => {
    // Prepare: one live worker reporting job j1; the index is never asked.
    db.on(ScanCommand).resolves({
      Items: [{ workerId: 'w1', capacity: 'cpu', jobIds: ['j1'], expiresAt: Math.ceil(Date.now() / 1000) + 60 }],
    });
    db.on(BatchGetCommand).resolves({ Responses: { jobs: [runningOn(NOW + 30_000)] } });
    // Act
    const { status, body } = await get({ status: 'RUNNING', capacity: 'cpu' });
    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ items: [{ id: 'j1', status: 'RUNNING', attemptHistory: [{ workerId: 'w1' }] }] });
    expect(db.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.jobs?.Keys).toEqual([{ id: 'j1' }]);
    expect(db.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it.each([
    [null, 'status'],
    [{ status: 'DEAD' }, 'status'],
    [{ status: 'QUEUED' }, 'status'],
    [{ status: 'RUNNING', capacity: 'tpu' }, 'capacity'],
    [{ status: 'RUNNING', priority: 'urgent' }, 'priority'],
    [{ status: 'RUNNING', limit: '0' }, 'limit'],
    [{ status: 'RUNNING', limit: '101' }, 'limit'],
    [{ status: 'RUNNING', cursor: 'garbage' }, 'cursor'],
    [{ status: 'RUNNING', cursor: '' }, 'cursor'],
    [{ status: 'RUNNING', colour: 'red' }, 'colour'],
    [{ status: 'RUNNING', tenant: 'a b' }, 'tenant'],
    [{ status: 'RUNNING', tenant: '' }, 'tenant'],
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
    db.on(ScanCommand).resolves({ Items: [] });
    const value = fc.oneof(
      fc.constantFrom(
        'RUNNING',
        'RETRYING',
        'SCHEDULED',
        'QUEUED',
        'DEAD',
        'cpu',
        'gpu',
        'high',
        '0',
        '1',
        '100',
        '101',
        '-1',
        '1e2',
        '',
      ),
      fc.string(),
      fc.base64String(),
    );
    const query = fc.dictionary(
      fc.constantFrom('status', 'capacity', 'priority', 'tenant', 'limit', 'cursor', 'colour'),
      value,
    );
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
