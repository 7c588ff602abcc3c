import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../src/contract/job-view.ts';
import { CAPACITIES, PRIORITIES } from '../../src/jobs/model/index.ts';
import { mapLimit } from '../helpers/map-limit.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, deployment, sqs } = testStack();
const JOBS = 1500;
// A generous bound for 2 busy cores; the test waits for the condition.
const TIMEOUT_MS = 600_000;

/** Messages in every work queue's SQS dead-letter queue, visible or not. */
async function deadLettered(): Promise<number> {
  const counts = await mapLimit(Object.values(deployment.queues), 4, async (queue) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue!.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  });
  return counts.reduce((a, b) => a + b, 0);
}

describe(`${JOBS.toLocaleString('en')} jobs across every priority and capacity class`, () => {
  it(
    'all succeed, none lost, each handler run exactly once, each on its own class; every DLQ stays empty',
    async () => {
      // Prepare: cpu jobs on every priority, one in five on gpu.
      const requests = Array.from({ length: JOBS }, (_, i) => ({
        type: 'noop',
        priority: PRIORITIES[i % PRIORITIES.length]!,
        capacity: CAPACITIES[i % 5 === 0 ? 1 : 0]!,
      }));
      // Other tests leave unreadable messages in some DLQs on purpose: count this burst's only.
      const deadLetteredBefore = await deadLettered();
      // Act: the burst goes in through POST /jobs/batch, 1,000 jobs a call.
      const submitted = await client.submitBatch(requests);
      const ids = submitted.flatMap((item) => ('job' in item ? [item.job.id] : []));
      const finished = await waitFor(
        () => mapLimit(ids, 16, async (id) => (await client.getJob(id)).body),
        (jobs: JobView[]) => jobs.every((job) => job.status === 'SUCCEEDED' || job.status === 'DEAD'),
        { timeoutMs: TIMEOUT_MS, intervalMs: 2000, what: `${JOBS} jobs to finish` },
      );
      const deadLetteredAfter = await deadLettered();
      // Assess
      expect(submitted.map((s) => s.status)).toEqual(requests.map(() => 201));
      expect(new Set(ids).size).toBe(JOBS);
      for (const [i, job] of finished.entries()) {
        expect(job).toMatchObject({
          status: 'SUCCEEDED',
          attempts: 1,
          priority: requests[i]!.priority,
          capacity: requests[i]!.capacity,
        });
        expect(job.attemptHistory).toHaveLength(1);
        expect(job.attemptHistory[0]!.workerId.startsWith(`local-${job.capacity}-`)).toBe(true);
      }
      expect(deadLetteredAfter).toBe(deadLetteredBefore);
    },
    TIMEOUT_MS,
  );
});

describe('metrics', () => {
  it('emits CloudWatch EMF documents for each finished job, with class and priority dimensions', () => {
    // Prepare: the worker logs of this run (EMF goes to stdout, which ECS ships to CloudWatch Logs).
    const dir = fileURLToPath(new URL('../../.tailguard/test/workers/', import.meta.url));
    const documents = readdirSync(dir)
      .flatMap((file) => readFileSync(`${dir}${file}`, 'utf8').split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
          },
      );
    // Assess
    const names = new Set(
      documents.flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name))),
    );
    for (const name of ['JobsSucceeded', 'RunTimeMs', 'EnqueueToStartMs']) expect(names.has(name)).toBe(true);
    const first = documents[0]!._aws.CloudWatchMetrics[0]!;
    expect(first.Namespace).toBe('Tailguard');
    expect(first.Dimensions[0]).toEqual(expect.arrayContaining(['Capacity', 'Priority']));
  });
});
