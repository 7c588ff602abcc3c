import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { environmentFor } from '../../src/aws/environment/index.ts';
import { ALL_QUEUE_KEYS, type QueueKey } from '../../src/jobs/model/index.ts';
import { TenantWaits } from '../../src/jobs/tenant-stats/index.ts';
import { OpenApiContract } from '../../test/helpers/openapi-contract.ts';
import { apiGatewayEvent } from '../http/testing/api-gateway-event.ts';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const queue = 'https://sqs.eu-west-1.amazonaws.com/123456789012/q';
const address = {
  url: queue,
  arn: 'arn:aws:sqs:eu-west-1:123456789012:q',
  dlqUrl: queue,
  dlqArn: 'arn:aws:sqs:eu-west-1:123456789012:q',
};
const topology = Object.fromEntries(ALL_QUEUE_KEYS.map((key) => [key, address])) as Record<QueueKey, typeof address>;

beforeAll(() => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  const environment = environmentFor('getStats', {
    jobStore: { jobs: 'jobs', idempotency: 'idempotency' },
    queues: { topology },
    typeLimits: { limits: {} },
    workerRegistry: { table: 'workers' },
    coordination: { table: 'coordination' },
    dispatch: { schedulerQueueUrl: queue, checksQueueUrl: queue },
  });
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
});
afterAll(() => {
  vi.unstubAllEnvs();
  db.restore();
  sqs.restore();
});

describe('GET /stats', () => {
  it('answers what the OpenAPI document describes, the jobs each worker runs and its tenants included', async () => {
    // Prepare: one live worker running one job of acme's, which waited 40 ms; every queue empty, no dead job.
    const seen = new Date().toISOString();
    const waits = new TenantWaits();
    waits.record('acme', 40);
    db.on(ScanCommand).resolves({
      Items: [
        {
          workerId: 'w1',
          capacity: 'cpu',
          onProbation: false,
          slots: 4,
          running: 1,
          jobIds: ['40bcbc1a-8f2e-4c36-9d57-2a1f0e6b7c11'],
          tenants: { acme: { running: 1, waits: waits.encoded(20).acme } },
          startedAt: seen,
          lastSeenAt: seen,
          expiresAt: Math.ceil(Date.now() / 1000) + 60,
        },
      ],
    });
    db.on(QueryCommand).resolves({ Count: 0 });
    db.on(BatchGetCommand).resolves({ Responses: {} });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    const { handler } = await import('./handler.ts');
    // Act
    const response = await handler(apiGatewayEvent('1.0', { method: 'GET', route: '/stats' }), {
      functionName: 'get-stats',
      awsRequestId: 'r1',
    } as Context);
    // Assess
    const body = JSON.parse(response.body);
    expect(body.workers[0].jobIds).toEqual(['40bcbc1a-8f2e-4c36-9d57-2a1f0e6b7c11']);
    expect(body.running).toEqual({ cpu: 1, gpu: 0 });
    expect(body.tenants).toEqual([{ tenant: 'acme', running: 1, queued: 0, waitP99Ms: 40 }]);
    expect(body.workers[0]).not.toHaveProperty('tenants');
    expect(
      new OpenApiContract().violation({ method: 'GET', path: '/stats', status: response.statusCode, body }),
    ).toBeUndefined();
  });
});
