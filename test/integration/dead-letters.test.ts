import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../src/contract/job-view.ts';
import { encodeJobMessage } from '../../src/jobs/dispatch/index.ts';
import { testStack } from '../helpers/stack.ts';

const { client, deployment, sqs, waitUntilFinished, waitForJob } = testStack();

interface DlqPage {
  items: JobView[];
  cursor: string | null;
}

/** Reads every page of `GET /dlq?query`, `limit` at a time. */
async function allDeadJobs(query: string, limit: number): Promise<{ jobs: JobView[]; pages: number }> {
  const jobs: JobView[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await client.raw('GET', `dlq?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status).toBe(200);
    const page = response.body as DlqPage;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    jobs.push(...page.items);
    cursor = page.cursor;
    pages++;
  } while (cursor);
  return { jobs, pages };
}

describe('dead-letter list', () => {
  it('lists a job that exhausted its attempts, with its failure history, and requeue runs it again', async () => {
    // Prepare
    const submitted = await client.submit({
      type: 'fail',
      priority: 'low',
      maxAttempts: 2,
      backoff: { baseSeconds: 1, jitter: 'none' },
    });
    const dead = await waitUntilFinished(submitted.body.id);
    // Act
    const { jobs } = await allDeadJobs('priority=low&capacity=cpu', 2);
    const requeue = await client.raw('POST', `dlq/${dead.id}/requeue`);
    const rerun = await waitForJob(
      dead.id,
      (j) => j.status === 'DEAD' && j.attemptHistory.length === 4,
      'dead again after requeue',
    );
    // Assess
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 2 });
    const listed = jobs.find((j) => j.id === dead.id);
    expect(listed?.attemptHistory.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(listed?.attemptHistory.every((a) => a.workerId && a.startedAt && a.finishedAt && a.error)).toBe(true);
    expect(requeue.status).toBe(200);
    expect(requeue.body).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(rerun.attemptHistory.map((a) => a.attempt)).toEqual([1, 2, 1, 2]);
  });

  it('pages through every dead job of a class exactly once', async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 5 }, () => client.submit({ type: 'poison', priority: 'high', capacity: 'gpu' })),
      )
    ).map((s) => s.body.id);
    await Promise.all(ids.map((id) => waitUntilFinished(id)));
    const { jobs, pages } = await allDeadJobs('capacity=gpu&priority=high', 2);
    const listedIds = jobs.map((j) => j.id);
    expect(new Set(listedIds).size).toBe(listedIds.length);
    for (const id of ids) expect(listedIds).toContain(id);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('lists across every class and priority when no filter is given', async () => {
    const submitted = await client.submit({ type: 'poison', priority: 'critical', capacity: 'gpu' });
    await waitUntilFinished(submitted.body.id);
    const { jobs } = await allDeadJobs('', 50);
    expect(jobs.map((j) => j.id)).toContain(submitted.body.id);
  });

  it('bulk-redrives one queue: every dead job runs again, and its SQS DLQ is moved back', async () => {
    // Prepare: three dead jobs, and one of them also has a message in the queue's SQS DLQ.
    const ids = (
      await Promise.all(
        Array.from({ length: 3 }, () =>
          client.submit({ type: 'fail', priority: 'low', capacity: 'gpu', maxAttempts: 1 }),
        ),
      )
    ).map((s) => s.body.id);
    await Promise.all(ids.map((id) => waitUntilFinished(id)));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: deployment.queues['gpu-low']!.dlqUrl,
        MessageBody: encodeJobMessage(ids[0]!),
      }),
    );
    // Act
    const response = await client.raw('POST', 'dlq/redrive', JSON.stringify({ capacity: 'gpu', priority: 'low' }));
    // Assess: each runs exactly once more; the dead-lettered message, moved back by the redrive or
    // (a finished job's, so spent) deleted by the reaper first, does not make a third run.
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ remaining: false });
    expect((response.body as { messagesMoved: number }).messagesMoved).toBeLessThanOrEqual(1);
    expect((response.body as { requeued: number }).requeued).toBeGreaterThanOrEqual(3);
    for (const id of ids) {
      const job = await waitForJob(
        id,
        (j) => j.status === 'DEAD' && j.attemptHistory.length === 2,
        'dead again after redrive',
      );
      expect(job.attemptHistory.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await client.getJob(ids[0]!)).body.attemptHistory).toHaveLength(2);
  });

  it.each([
    ['dlq?priority=urgent', 'priority'],
    ['dlq?capacity=tpu', 'capacity'],
    ['dlq?limit=0', 'limit'],
    ['dlq?limit=101', 'limit'],
    ['dlq?cursor=garbage', 'cursor'],
    // Well-formed, but a start key no page handed out: never sent to DynamoDB as one.
    [
      `dlq?cursor=${Buffer.from('{"p":0,"k":{"id":7,"statusKey":"DEAD#gpu#low","updatedAt":"x"}}').toString('base64url')}`,
      'cursor',
    ],
    ['dlq?colour=red', 'colour'],
  ])('GET %s → 400 naming %s', async (path, field) => {
    const response = await client.raw('GET', path);
    expect(response.status).toBe(400);
    expect((response.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toContain(
      field,
    );
  });

  it('refuses to requeue a job that is not dead (409) or does not exist (404)', async () => {
    const submitted = await client.submit({ type: 'noop' });
    await waitUntilFinished(submitted.body.id);
    expect((await client.raw('POST', `dlq/${submitted.body.id}/requeue`)).status).toBe(409);
    expect((await client.raw('POST', 'dlq/00000000-0000-4000-8000-000000000000/requeue')).status).toBe(404);
  });

  it('refuses a bulk redrive without a valid queue', async () => {
    const response = await client.raw('POST', 'dlq/redrive', JSON.stringify({ capacity: 'gpu' }));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { details: [{ path: 'priority' }] } });
  });
});
