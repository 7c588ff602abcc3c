import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV, environmentFor } from '../../src/aws/environment/index.ts';
import { ALL_QUEUE_KEYS, type QueueKey } from '../../src/jobs/model/index.ts';
import { queued } from '../../test/helpers/store-fixtures.ts';
import type { HttpRoute } from './http-handler.ts';
import { apiGatewayEvent, PAYLOAD_FORMATS, type SentRequest } from './testing/api-gateway-event.ts';

/**
 * The same handlers behind a REST API (payload format 1.0) and an HTTP API (2.0, `api.kind:
 * 'http'`): each request, sent in either format, must get the same answer and the same effects.
 */
const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const JOB_ID = '40bcbc1a-8f2e-4c36-9d57-2a1f0e6b7c11';
const queue = 'https://sqs.eu-west-1.amazonaws.com/123456789012/q';
const checks = 'https://sqs.eu-west-1.amazonaws.com/123456789012/checks';
const topology = Object.fromEntries(
  ALL_QUEUE_KEYS.map((key) => [
    key,
    {
      url: queue,
      arn: 'arn:aws:sqs:eu-west-1:123456789012:q',
      dlqUrl: queue,
      dlqArn: 'arn:aws:sqs:eu-west-1:123456789012:q',
    },
  ]),
) as Record<QueueKey, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;

const handlers = {} as Record<'submitJob' | 'submitBatch' | 'getJob' | 'listJobs' | 'createWorkflow', HttpRoute>;

beforeAll(async () => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  const environment = environmentFor('submitJob', {
    jobStore: { jobs: 'jobs', idempotency: 'idempotency' },
    queues: { topology },
    dispatch: { schedulerQueueUrl: queue, checksQueueUrl: checks },
    intake: {},
    payloads: { bucket: 'payloads' },
    coordination: { table: 'coordination' },
    tenants: { config: {} },
    // Off: these tests are about bodies; fair dispatch has its own (src/jobs/fairness).
    fairness: { windowPerWeight: 0 },
  });
  // GET /jobs also reads the worker registry (running jobs are the workers' reports).
  vi.stubEnv(ENV.workersTable, 'workers');
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  // Imported after the environment is set: a handler reads its settings when loaded.
  handlers.submitJob = (await import('../submit-job/handler.ts')).handler;
  handlers.submitBatch = (await import('../submit-batch/handler.ts')).handler;
  handlers.getJob = (await import('../get-job/handler.ts')).handler;
  handlers.listJobs = (await import('../list-jobs/handler.ts')).handler;
  handlers.createWorkflow = (await import('../create-workflow/handler.ts')).handler;
});
afterAll(() => {
  vi.unstubAllEnvs();
  db.restore();
  sqs.restore();
});
beforeEach(() => {
  db.reset();
  sqs.reset();
});

async function send(route: HttpRoute, format: (typeof PAYLOAD_FORMATS)[number], request: SentRequest) {
  const response = await route(apiGatewayEvent(format, request), { functionName: 'f', awsRequestId: 'r1' } as Context);
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

describe.each(PAYLOAD_FORMATS)('payload format %s', (format) => {
  it('POST /jobs: reads a base64-encoded body and the Idempotency-Key header, whatever its case', async () => {
    // Prepare: the key was never used.
    db.on(GetCommand).resolves({});
    db.on(TransactWriteCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    // Act
    const { status, body } = await send(handlers.submitJob, format, {
      method: 'POST',
      route: '/jobs',
      headers: { 'Idempotency-Key': 'order-42', 'Content-Type': 'application/octet-stream' },
      body: JSON.stringify({ type: 'noop', priority: 'high' }),
      base64: true,
    });
    // Assess: the key made it a transaction of the job and its key record.
    expect(status).toBe(201);
    expect(body).toMatchObject({ type: 'noop', priority: 'high', status: 'QUEUED' });
    const written = db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(written.map((item) => item.Put?.TableName)).toEqual(['jobs', 'idempotency']);
    expect(written[1]!.Put!.Item).toMatchObject({ key: 'order-42' });
    // The job's message, and the check on it.
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([queue, checks]);
  });

  it('POST /workflows: takes the Idempotency-Key header, writing the workflow and its key in one transaction', async () => {
    // Prepare: the key was never used.
    db.on(GetCommand).resolves({});
    db.on(BatchWriteCommand).resolves({});
    db.on(TransactWriteCommand).resolves({});
    db.on(PutCommand).resolves({});
    db.on(UpdateCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    // Act
    const { status, body } = await send(handlers.createWorkflow, format, {
      method: 'POST',
      route: '/workflows',
      headers: { 'idempotency-key': 'nightly-1' },
      body: JSON.stringify({ steps: [{ name: 'a', type: 'noop' }] }),
    });
    // Assess
    expect(status).toBe(201);
    const written = db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(written.map((item) => item.Put?.TableName)).toEqual(['jobs', 'idempotency']);
    expect(written[1]!.Put!.Item).toMatchObject({ key: 'nightly-1', workflowId: body.id });
  });

  it('POST /workflows: a header and a body key that differ are a 400 naming idempotencyKey, nothing written', async () => {
    // Act
    const { status, body } = await send(handlers.createWorkflow, format, {
      method: 'POST',
      route: '/workflows',
      headers: { 'Idempotency-Key': 'nightly-1' },
      body: JSON.stringify({ idempotencyKey: 'nightly-2', steps: [{ name: 'a', type: 'noop' }] }),
    });
    // Assess
    expect(status).toBe(400);
    expect(body.error.details).toEqual([
      { path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' },
    ]);
    expect(db.calls()).toHaveLength(0);
  });

  it('POST /jobs: a body that is not JSON is a 400, not a 500', async () => {
    const { status, body } = await send(handlers.submitJob, format, { method: 'POST', route: '/jobs', body: '{type' });
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_JSON');
  });

  it.each(['/jobs', '/jobs/batch'] as const)(
    'POST %s: no body and no content type is a 400 naming the body',
    async (route) => {
      const { status, body } = await send(route === '/jobs' ? handlers.submitJob : handlers.submitBatch, format, {
        method: 'POST',
        route,
      });
      expect(status).toBe(400);
      expect(body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: '', message: expect.stringMatching(/body is required/) }],
      });
    },
  );

  it('GET /jobs/{id}: reads the path parameter', async () => {
    // Prepare
    db.on(GetCommand, { Key: { id: JOB_ID } }).resolves({ Item: { ...queued, id: JOB_ID } });
    // Act
    const { status, body } = await send(handlers.getJob, format, {
      method: 'GET',
      route: '/jobs/{id}',
      pathParameters: { id: JOB_ID },
    });
    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: JOB_ID, status: 'QUEUED' });
  });

  it('GET /jobs/{id}: a malformed id is a 400 naming it, an unknown one a 404', async () => {
    db.on(GetCommand).resolves({});
    const get = (id: string) =>
      send(handlers.getJob, format, { method: 'GET', route: '/jobs/{id}', pathParameters: { id } });

    const malformed = await get('not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.map((d: { path: string }) => d.path)).toEqual(['id']);
    expect((await get(JOB_ID)).status).toBe(404);
  });

  it('GET /jobs: reads the query string, and refuses a request without one', async () => {
    // Prepare
    db.on(QueryCommand).resolves({ Items: [] });
    // Act
    const listed = await send(handlers.listJobs, format, {
      method: 'GET',
      route: '/jobs',
      query: [
        ['status', 'RETRYING'],
        ['capacity', 'gpu'],
        ['limit', '5'],
      ],
    });
    const bare = await send(handlers.listJobs, format, { method: 'GET', route: '/jobs' });
    // Assess
    expect(listed).toEqual({ status: 200, body: { items: [], cursor: null } });
    expect(db.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      ExpressionAttributeValues: { ':key': 'RETRYING#gpu#critical#0' },
      Limit: 5,
    });
    expect(bare.status).toBe(400);
    expect(bare.body.error.details.map((d: { path: string }) => d.path)).toContain('status');
  });
});
