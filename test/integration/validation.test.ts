import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_DEPTH } from '../../src/jobs/intake/index.ts';
import { testStack } from '../helpers/stack.ts';

const { client, countJobs, request } = testStack();

/** Each case: a body (or raw text) that must be refused, the status, and the field named. */
const invalid: { name: string; body: unknown; status: number; path: string }[] = [
  { name: 'missing type', body: {}, status: 400, path: 'type' },
  { name: 'empty type', body: { type: '' }, status: 400, path: 'type' },
  { name: 'type with a space', body: { type: 'has space' }, status: 400, path: 'type' },
  { name: 'type of 129 characters', body: { type: 'x'.repeat(129) }, status: 400, path: 'type' },
  { name: 'type not a string', body: { type: 42 }, status: 400, path: 'type' },
  { name: 'type no worker handles', body: { type: 'no-such-type' }, status: 400, path: 'type' },
  { name: 'unknown priority', body: { type: 'noop', priority: 'urgent' }, status: 400, path: 'priority' },
  { name: 'unknown capacity', body: { type: 'noop', capacity: 'tpu' }, status: 400, path: 'capacity' },
  { name: 'maxAttempts 0', body: { type: 'noop', maxAttempts: 0 }, status: 400, path: 'maxAttempts' },
  { name: 'maxAttempts 26', body: { type: 'noop', maxAttempts: 26 }, status: 400, path: 'maxAttempts' },
  { name: 'maxAttempts fractional', body: { type: 'noop', maxAttempts: 2.5 }, status: 400, path: 'maxAttempts' },
  {
    name: 'unknown backoff strategy',
    body: { type: 'noop', backoff: { strategy: 'fibonacci' } },
    status: 400,
    path: 'backoff.strategy',
  },
  {
    name: 'backoff cap below base',
    body: { type: 'noop', backoff: { baseSeconds: 10, maxSeconds: 5 } },
    status: 400,
    path: 'backoff.maxSeconds',
  },
  {
    name: 'unknown backoff field',
    body: { type: 'noop', backoff: { factor: 3 } },
    status: 400,
    path: 'backoff.factor',
  },
  { name: 'timeoutSeconds 0', body: { type: 'noop', timeoutSeconds: 0 }, status: 400, path: 'timeoutSeconds' },
  { name: 'negative delay', body: { type: 'noop', delaySeconds: -1 }, status: 400, path: 'delaySeconds' },
  {
    name: 'delay beyond a year',
    body: { type: 'noop', delaySeconds: 366 * 86_400 },
    status: 400,
    path: 'delaySeconds',
  },
  { name: 'runAt not ISO-8601', body: { type: 'noop', runAt: 'tomorrow' }, status: 400, path: 'runAt' },
  {
    name: 'runAt beyond a year',
    body: { type: 'noop', runAt: new Date(Date.now() + 400 * 86_400_000).toISOString() },
    status: 400,
    path: 'runAt',
  },
  {
    name: 'delaySeconds and runAt',
    body: { type: 'noop', delaySeconds: 5, runAt: new Date().toISOString() },
    status: 400,
    path: 'runAt',
  },
  {
    name: 'idempotency key with a space',
    body: { type: 'noop', idempotencyKey: 'a b' },
    status: 400,
    path: 'idempotencyKey',
  },
  { name: 'unknown top-level field', body: { type: 'noop', colour: 'blue' }, status: 400, path: 'colour' },
  { name: 'body is an array', body: [{ type: 'noop' }], status: 400, path: '' },
  { name: 'body is a string', body: 'noop', status: 400, path: '' },
  {
    name: 'payloadRef not issued by POST /uploads',
    body: { type: 'noop', payloadRef: 's3://b/k' },
    status: 400,
    path: 'payloadRef',
  },
  {
    name: 'payload and payloadRef together',
    body: { type: 'noop', payload: 1, payloadRef: 'tgu_default_7d3f1c9e-4a7b-4c1e-9f0a-2b8c6d5e4f3a' },
    status: 400,
    path: 'payloadRef',
  },
];

describe('POST /jobs refuses bad input and changes nothing', () => {
  let jobsBefore: number;
  beforeAll(async () => {
    jobsBefore = await countJobs();
  });

  it.each(invalid)('$name → $status naming "$path"', async ({ body, status, path }) => {
    // Act
    const response = await client.raw('POST', 'jobs', JSON.stringify(body));
    // Assess
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    const details = (response.body as { error: { details: { path: string }[] } }).error.details;
    expect(details.map((d) => d.path)).toContain(path);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await client.raw('POST', 'jobs', '{"type": "noop",');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_JSON', details: [{ path: '' }] } });
  });

  it('refuses an empty body', async () => {
    const response = await client.raw('POST', 'jobs', '');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('refuses a body over the size limit (5 MiB of payload: larger ones are uploaded) before parsing it', async () => {
    const response = await client.raw('POST', 'jobs', JSON.stringify({ type: 'noop', payload: 'y'.repeat(5_400_000) }));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('refuses a payload nested 2,000 levels deep with a 400, not a 500', async () => {
    // Written as text: objects and arrays alternating, deeper than any recursive parser should go.
    const body = `{"type":"noop","payload":${'{"a":['.repeat(1000)}1${']}'.repeat(1000)}}`;
    const response = await client.raw('POST', 'jobs', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: {
        code: 'VALIDATION_FAILED',
        details: [{ path: 'payload', message: expect.stringContaining(`at most ${MAX_PAYLOAD_DEPTH} levels`) }],
      },
    });
  });

  it('refuses an Idempotency-Key header that contradicts the body', async () => {
    const response = await client.raw('POST', 'jobs', JSON.stringify({ type: 'noop', idempotencyKey: 'body-key' }), {
      'Idempotency-Key': 'header-key',
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { details: [{ path: 'idempotencyKey' }] } });
  });

  it('refuses a malformed job id on GET', async () => {
    const response = await client.raw('GET', 'jobs/not-a-uuid');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { details: [{ path: 'id' }] } });
  });

  it('created no job for any refused request', async () => {
    expect(await countJobs()).toBe(jobsBefore);
  });
});

describe('GET /jobs and GET /dlq', () => {
  it.each(['jobs?status=RUNNING&cursor=', 'dlq?cursor='])('%s (empty cursor) → 400 naming cursor', async (path) => {
    // Act
    const response = await client.raw('GET', path);
    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'cursor' }] } });
  });
});

describe('requests outside the routes', () => {
  it('POST /jobs/batch with no body and no content type → 400 with the JSON error shape', async () => {
    // Act
    const response = await request('jobs/batch', { method: 'POST' });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: '' }] } });
  });

  it.each([
    // fetch refuses to send TRACE itself; functions/method-not-allowed's unit test has it.
    ['PATCH', 'health', 'GET'],
    ['DELETE', 'jobs/00000000-0000-4000-8000-000000000000', 'GET'],
    ['PUT', 'jobs', 'POST, GET'],
  ])('%s /%s → 405 naming the methods the path takes (%s)', async (method, path, allow) => {
    // Act
    const response = await request(path, { method });
    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(await response.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });
});
