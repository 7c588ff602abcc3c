import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/model/index.ts';
import { testStack } from '../helpers/stack.ts';
import { waitForJobs } from '../helpers/wait-for-jobs.ts';

const { client, deployment, dynamodb, waitForJob } = testStack();
const BACKLOG = 500;
const CRITICAL = 5;
// Half a second each: the cpu workers' slots drain the backlog over many seconds, not at once.
const LOW_JOB = { type: 'sleep', payload: { ms: 500 }, priority: 'low', capacity: 'cpu' } as const;
// A generous bound for 2 busy cores; the test waits for conditions.
const TIMEOUT_MS = 600_000;

const startedAt = (job: Job) => Date.parse(job.attemptLog[0]!.startedAt);

/** The bench's version with numbers is `npm run bench:isolation` (BENCHMARKS.md). */
describe('priority isolation', () => {
  it(
    `critical jobs submitted while ${BACKLOG} low jobs wait start ahead of them, before the backlog drains`,
    async () => {
      // Prepare: the backlog, all low on the cpu class, in one batch.
      const backlog = await client.submitBatch(Array.from({ length: BACKLOG }, () => LOW_JOB));
      const lowIds = backlog.flatMap((item) => ('job' in item ? [item.job.id] : []));
      expect(lowIds).toHaveLength(BACKLOG);

      // Act: critical jobs one at a time, each once the one before has started.
      const criticalIds: string[] = [];
      for (let i = 0; i < CRITICAL; i++) {
        const { body } = await client.submit({ type: 'noop', priority: 'critical', capacity: 'cpu' });
        criticalIds.push(body.id);
        await waitForJob(body.id, (job) => job.status !== 'QUEUED', 'to start', 60_000);
      }
      // Everything finishes, so the next test file sees an idle stack.
      const jobs = await waitForJobs(dynamodb, deployment.jobsTable, [...lowIds, ...criticalIds], {
        label: 'backlog and critical jobs',
        timeoutMs: TIMEOUT_MS,
        onProgress: () => undefined,
      });
      const lows = jobs.filter((job) => job.priority === 'low');
      const criticals = jobs.filter((job) => job.priority === 'critical');

      // Assess: each critical job was submitted while low jobs, all queued before it, were waiting,
      // and most of those were still waiting when it started: it went ahead of the backlog, not behind it.
      for (const critical of criticals) {
        expect(critical.status).toBe('SUCCEEDED');
        const waitingAtSubmit = lows.filter((low) => startedAt(low) > Date.parse(critical.createdAt)).length;
        const waitingAtStart = lows.filter((low) => startedAt(low) > startedAt(critical)).length;
        expect(waitingAtSubmit, `low jobs still waiting when critical ${critical.id} came`).toBeGreaterThan(
          BACKLOG / 5,
        );
        expect(waitingAtStart, `low jobs still waiting when critical ${critical.id} started`).toBeGreaterThan(
          waitingAtSubmit / 2,
        );
      }
      expect(lows.every((low) => low.status === 'SUCCEEDED')).toBe(true);
    },
    TIMEOUT_MS,
  );
});
