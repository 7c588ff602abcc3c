import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchItemView, JobView } from '../../src/client/index.ts';
import { testStack } from '../helpers/stack.ts';

const { client, countJobs } = testStack();

const jobOf = (item: BatchItemView | undefined): JobView => {
  if (!item || !('job' in item)) throw new Error(`expected a job, got ${JSON.stringify(item)}`);
  return item.job;
};

/** The 1,000-job batch that all ends SUCCEEDED is the load test's burst (load.test.ts). */
describe('POST /jobs/batch', () => {
  it('answers each item as POST /jobs would, in order: [valid, invalid, valid, too large] → [201, 400, 201, 413]', async () => {
    const before = await countJobs();
    const response = await client.raw(
      'POST',
      'jobs/batch',
      JSON.stringify({
        jobs: [
          { type: 'noop' },
          { type: 'noop', priority: 'urgent' },
          { type: 'noop' },
          { type: 'noop', payload: 'x'.repeat(300_000) },
        ],
      }),
    );

    expect(response.status).toBe(200);
    const { items } = response.body as { items: BatchItemView[] };
    expect(items.map((item) => item.status)).toEqual([201, 400, 201, 413]);
    expect(items[1]).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'priority' }] } });
    expect(items[3]).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', details: [{ path: 'payload' }] } });
    expect(await countJobs()).toBe(before + 2);
  });

  it('honours each job its own idempotency key, across batches and within one', async () => {
    const [a, b] = [`batch-a-${randomUUID()}`, `batch-b-${randomUUID()}`];
    const first = await client.submitBatch([
      { type: 'noop', idempotencyKey: a },
      { type: 'noop', idempotencyKey: a },
      { type: 'noop', idempotencyKey: b },
      { type: 'sleep', payload: { ms: 1 }, idempotencyKey: a },
    ]);
    expect(first.map((item) => item.status)).toEqual([201, 200, 201, 409]);
    expect(jobOf(first[1]).id).toBe(jobOf(first[0]).id);

    const again = await client.submitBatch([
      { type: 'noop', idempotencyKey: b },
      { type: 'noop', idempotencyKey: a },
    ]);
    expect(again.map((item) => item.status)).toEqual([200, 200]);
    expect(again.map((item) => jobOf(item).id)).toEqual([jobOf(first[2]).id, jobOf(first[0]).id]);
  });

  it('refuses a batch of 1,001 jobs whole with a 400 naming `jobs`, and creates nothing', async () => {
    const before = await countJobs();
    const response = await client.raw(
      'POST',
      'jobs/batch',
      JSON.stringify({ jobs: Array.from({ length: 1001 }, () => ({ type: 'noop' })) }),
    );

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'jobs' }] } });
    expect(await countJobs()).toBe(before);
  });

  it.each([
    ['no jobs', '{"jobs":[]}', 'jobs'],
    ['not a list', '{"jobs":{"type":"noop"}}', 'jobs'],
    ['an unknown field', '{"jobs":[{"type":"noop"}],"priority":"high"}', 'priority'],
    ['not JSON', '{"jobs":[', ''],
  ])('refuses a body with %s whole with a 400 naming the field', async (_, body, path) => {
    const before = await countJobs();
    const response = await client.raw('POST', 'jobs/batch', body);

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { details: [{ path }] } });
    expect(await countJobs()).toBe(before);
  });

  it('refuses an Idempotency-Key header: each job carries its own key', async () => {
    const response = await client.raw('POST', 'jobs/batch', '{"jobs":[{"type":"noop"}]}', {
      'Idempotency-Key': 'whole-batch',
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { details: [{ path: 'Idempotency-Key' }] } });
  });
});
