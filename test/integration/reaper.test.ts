import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import type { BatchItemView } from '../../src/client/index.ts';
import { encodeJobMessage } from '../../src/jobs/dispatch/index.ts';
import { isTerminal, type Job, type QueueKey } from '../../src/jobs/model/index.ts';
import { jobsWithIds } from '../helpers/job-table.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, deployment, dynamodb, sqs, waitUntilFinished, waitForJob } = testStack();
// The test stack's reaper: a job is stuck 5 s past due; a pass every 2 s (global-setup.ts).
const GRACE_MS = 5000;

const storedJob = async (id: string) =>
  unmarshall(
    (
      await dynamodb.send(
        new GetItemCommand({ TableName: deployment.jobsTable, Key: { id: { S: id } }, ConsistentRead: true }),
      )
    ).Item!,
  ) as Job;

async function messagesIn(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed)
  );
}

const dlqOf = (key: QueueKey) => deployment.queues[key]!.dlqUrl;

const idOf = (item: BatchItemView) => {
  if (!('job' in item)) throw new Error(`a batch item was refused: ${item.error.message}`);
  return item.job.id;
};

/** Fresh messages sent so far to jobs of `key` found without theirs, as GET /stats counts them. */
const lostOn = async (key: QueueKey) => (await client.stats()).messageChecks[key]?.resentTotal ?? 0;

/**
 * The documented bound past the grace (README, "No job left behind"): the checks queue's batching
 * window (5 s) and one review, with room for a cold reviewer on a busy emulator.
 */
const REVIEW_BOUND_MS = 30_000;

describe('reaper: no job waits for a message that is gone', () => {
  it('leaves no job behind when the intake stops between the send and the job write: the retry runs it', async () => {
    // Prepare: the intake fails after sending the message (test-only fault switch), as if it died there.
    const request = JSON.stringify({ type: 'noop', capacity: 'gpu', priority: 'high' });
    const key = `reaper-${randomUUID()}`;
    const failed = await client.raw('POST', 'jobs', request, {
      'Idempotency-Key': key,
      'x-tailguard-fault': 'after-send',
    });
    // Act: the caller retries, as it should after a 5xx; the first request wrote nothing, so this one creates the job.
    const retried = await client.raw('POST', 'jobs', request, { 'Idempotency-Key': key });
    const id = (retried.body as { id: string }).id;
    const job = await waitUntilFinished(id, 60_000);
    // Assess: one job, run once; the first message (no job behind it) waits in its queue for the worker to drop it.
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(201);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect((await storedJob(id)).redispatches).toBeUndefined();
  });

  it('runs a delayed job whose message was purged from its queue before it was due', async () => {
    // Prepare
    const submitted = await client.submit({ type: 'noop', capacity: 'gpu', priority: 'low', delaySeconds: 2 });
    // Act
    await sqs.send(new PurgeQueueCommand({ QueueUrl: deployment.queues['gpu-low']!.url }));
    expect(await messagesIn(deployment.queues['gpu-low']!.url)).toBe(0);
    const job = await waitUntilFinished(submitted.body.id, 60_000);
    // Assess
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(Date.parse(job.startedAt!) - Date.parse(submitted.body.runAt!)).toBeGreaterThanOrEqual(GRACE_MS - 1000);
    expect((await storedJob(submitted.body.id)).redispatches).toBe(1);
  });

  it('runs a QUEUED job whose message was purged behind a backlog, once, within the grace and a review of its check', async () => {
    // Prepare: a noop waiting behind more 4 s sleeps than the gpu worker runs at once (8).
    const backlog = await client.submitBatch(
      Array.from({ length: 16 }, () => ({
        type: 'sleep',
        capacity: 'gpu' as const,
        priority: 'low' as const,
        payload: { ms: 4000 },
      })),
    );
    const noop = await client.submit({ type: 'noop', capacity: 'gpu', priority: 'low' });
    const before = await lostOn('gpu-low');
    // Act
    const purgedAt = Date.now();
    await sqs.send(new PurgeQueueCommand({ QueueUrl: deployment.queues['gpu-low']!.url }));
    const job = await waitUntilFinished(noop.body.id, 120_000);
    // Assess: one attempt, started once its check came due (the grace after its send) and was reviewed.
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const startedAfter = Date.parse(job.startedAt!) - purgedAt;
    console.error(`purged QUEUED job started ${startedAfter} ms after the purge (grace ${GRACE_MS} ms)`);
    expect(startedAfter).toBeLessThan(GRACE_MS + REVIEW_BOUND_MS);
    expect((await storedJob(noop.body.id)).redispatches).toBe(1);
    const sleeps = await Promise.all(backlog.map((item) => waitUntilFinished(idOf(item), 120_000)));
    expect(sleeps.map((s) => [s.status, s.attempts])).toEqual(sleeps.map(() => ['SUCCEEDED', 1]));
    expect((await lostOn('gpu-low')) - before).toBeGreaterThanOrEqual(1);
  });

  it('runs every job of a 1,000-job backlog purged at once exactly once, and GET /stats shows them while they wait', async () => {
    // Prepare
    const before = await lostOn('gpu-low');
    // A hundred tenants of ten jobs each, all under their windows (src/jobs/fairness): every job's message is sent, and purged.
    const submitted = await client.submitBatch(
      Array.from({ length: 1000 }, (_, i) => ({
        type: 'noop',
        capacity: 'gpu' as const,
        priority: 'low' as const,
        tenant: `purged-${i % 100}`,
      })),
    );
    // Act
    await sqs.send(new PurgeQueueCommand({ QueueUrl: deployment.queues['gpu-low']!.url }));
    // Assess: the stats name the queue with jobs waiting past the grace and count the fresh messages.
    const seen = await waitFor(
      () => client.stats(),
      (stats) => (stats.messageChecks['gpu-low']?.resentTotal ?? 0) > before,
      { what: 'GET /stats to report jobs of gpu-low without their message', timeoutMs: 120_000 },
    );
    expect(seen.messageChecks['gpu-low']!.waitingPastGrace).toBeGreaterThan(0);
    expect(seen.messageChecks['gpu-low']!.oldestWaitMs).toBeGreaterThanOrEqual(GRACE_MS);
    const ids = new Set(submitted.map(idOf));
    const jobs = await waitFor(
      () => jobsWithIds(dynamodb, deployment.jobsTable, ids),
      (found) => found.length === ids.size && found.every((job) => isTerminal(job.status)),
      { what: 'the 1,000 purged jobs to finish', timeoutMs: 300_000, intervalMs: 3000 },
    );
    expect(jobs.filter((job) => job.status !== 'SUCCEEDED' || job.attempts !== 1)).toEqual([]);
    expect(jobs.filter((job) => (job.redispatches ?? 0) > 0).length).toBeGreaterThan(0);
  });

  it('sends back a dead-lettered message of an unfinished job, and ends the job DEAD with the reason when it keeps coming back', async () => {
    // Prepare: a job due in 10 minutes (not stuck), whose message SQS dead-letters again and again.
    const submitted = await client.submit({ type: 'noop', capacity: 'gpu', priority: 'critical', delaySeconds: 600 });
    const id = submitted.body.id;
    // Act + Assess: each of the first three returns to its queue (delayed to its due time) and is counted.
    for (let returns = 1; returns <= 3; returns++) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqOf('gpu-critical'), MessageBody: encodeJobMessage(id) }));
      const job = await waitFor(
        () => storedJob(id),
        (j) => j.deadLetterReturns === returns,
        { what: `dead-letter return ${returns}` },
      );
      expect(job.status).toBe('SCHEDULED');
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqOf('gpu-critical'), MessageBody: encodeJobMessage(id) }));
    const dead = await waitForJob(id, (j) => j.status === 'DEAD', 'ended DEAD by the reaper');
    expect(dead.error).toMatchObject({ name: 'DeadLetteredError', retryable: false });
    expect(dead.error!.message).toMatch(/dead-letter queue 4 times/);
    const listed = await client.raw('GET', 'dlq?capacity=gpu&priority=critical&limit=100');
    expect((listed.body as { items: { id: string }[] }).items.map((j) => j.id)).toContain(id);
    await waitFor(
      () => messagesIn(dlqOf('gpu-critical')),
      (n) => n === 0,
      { what: 'the DLQ to be empty' },
    );
  });

  it('deletes a dead-lettered message of a finished job and leaves one it cannot read for a person', async () => {
    // Prepare
    const done = await client.submit({ type: 'noop', capacity: 'gpu', priority: 'default' });
    await waitUntilFinished(done.body.id);
    // Act
    await sqs.send(
      new SendMessageCommand({ QueueUrl: dlqOf('gpu-default'), MessageBody: encodeJobMessage(done.body.id) }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqOf('gpu-default'), MessageBody: 'not a tailguard message' }));
    // Assess: the spent one goes, the unreadable one stays (hidden while the reaper looks at it).
    await waitFor(
      () => messagesIn(dlqOf('gpu-default')),
      (n) => n === 1,
      { what: 'only the unreadable message left' },
    );
    expect((await client.getJob(done.body.id)).body.attemptHistory).toHaveLength(1);
  });
});
