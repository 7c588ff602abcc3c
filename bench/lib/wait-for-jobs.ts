import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isTerminal, type Job } from '../../src/jobs/model/index.ts';
import { jobsWithIds } from '../../test/helpers/job-table.ts';

/**
 * Scans the jobs table until every id is terminal with every attempt record closed (a losing
 * speculative attempt closes its own within a heartbeat), reporting progress as it goes.
 */
export async function waitForJobs(
  dynamodb: DynamoDBClient,
  table: string,
  ids: readonly string[],
  options: { onProgress: (finished: number) => void; timeoutMs?: number; label: string },
): Promise<Job[]> {
  const wanted = new Set(ids);
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  for (;;) {
    const done = (await jobsWithIds(dynamodb, table, wanted)).filter(
      (job) => isTerminal(job.status) && job.attemptLog.every((a) => a.outcome !== undefined),
    );
    options.onProgress(done.length);
    if (done.length === wanted.size) return done;
    if (Date.now() > deadline)
      throw new Error(
        `${options.label}: only ${done.length} of ${wanted.size} jobs finished in ${options.timeoutMs} ms`,
      );
    await sleep(500);
  }
}
