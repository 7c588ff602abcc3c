import { describe, expect, it } from 'vitest';
import type { JobRequestInput } from '../../src/client/index.ts';
import type { JobView } from '../../src/contract/job-view.ts';
import { median } from '../../src/jobs/speculation/index.ts';
import { atPeak, mostAtOnce } from '../helpers/attempt-overlap.ts';
import { mapLimit } from '../helpers/map-limit.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client } = testStack();
// Generous for 2 busy cores: 200 jobs two at a time, each message refused many times on the way.
const TIMEOUT_MS = 400_000;

async function submitAll(requests: JobRequestInput[]): Promise<string[]> {
  const items = await client.submitBatch(requests);
  expect(items.map((item) => item.status)).toEqual(requests.map(() => 201));
  return items.flatMap((item) => ('job' in item ? [item.job.id] : []));
}

/** Polls the jobs until every one has finished. */
function untilFinished(ids: readonly string[], timeoutMs: number): Promise<JobView[]> {
  return waitFor(
    () => mapLimit(ids, 16, (id) => client.get(id)),
    (jobs) => jobs.every((job) => job.status === 'SUCCEEDED' || job.status === 'DEAD'),
    { timeoutMs, intervalMs: 2000, what: `${ids.length} jobs to finish` },
  );
}

/** When half the jobs had finished. */
const medianFinish = (jobs: JobView[]) => median(jobs.map((job) => Date.parse(job.finishedAt!)));

// The test deployment's limits (global-setup.ts): limited-sleep 2 at once, rated-noop 1 start a second.
describe('per-type limits', () => {
  it(
    'never runs 3 of a type limited to 2 in a 200-job burst; waiting uses no attempt and holds no other type up',
    async () => {
      // Act: the burst, then unlimited jobs queued behind it on the same queue.
      const limited = await submitAll(
        Array.from({ length: 200 }, () => ({ type: 'limited-sleep', payload: { ms: 100 } })),
      );
      const others = await submitAll(Array.from({ length: 20 }, () => ({ type: 'noop' })));
      const stats = await client.stats();
      const [limitedJobs, otherJobs] = await Promise.all([
        untilFinished(limited, TIMEOUT_MS - 20_000),
        untilFinished(others, TIMEOUT_MS - 20_000),
      ]);
      // Assess
      expect(stats.limits['limited-sleep']).toEqual({ concurrency: 2, running: expect.any(Number) });
      expect(stats.limits['limited-sleep']!.running).toBeLessThanOrEqual(2);
      expect(stats.limits['rated-noop']).toEqual({ perSecond: 1 });
      for (const job of [...limitedJobs, ...otherJobs]) expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      const attempts = limitedJobs.flatMap((job) =>
        job.attemptHistory.map((attempt) => ({ jobId: job.id, ...attempt })),
      );
      expect(mostAtOnce(attempts), atPeak(attempts)).toBe(2);
      // The unlimited jobs went past the waiting ones instead of queueing behind the limit: most were
      // done while half the limited ones still waited. (Not every one: a message that comes back
      // after its visibility timeout is late for reasons of its own.)
      expect(medianFinish(otherJobs)).toBeLessThan(medianFinish(limitedJobs));
    },
    TIMEOUT_MS,
  );

  it('starts a type limited to 1 a second no faster, without using attempts', async () => {
    // Act
    const ids = await submitAll(Array.from({ length: 10 }, () => ({ type: 'rated-noop' })));
    const jobs = await untilFinished(ids, 120_000);
    // Assess: 10 starts take 10 one-second windows, so the first and last start 8 s apart at the
    // least, less a claim's time (unlimited, 10 noops start within a second or so).
    for (const job of jobs) expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const starts = jobs.map((job) => Date.parse(job.attemptHistory[0]!.startedAt)).sort((a, b) => a - b);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(7000);
  });
});
