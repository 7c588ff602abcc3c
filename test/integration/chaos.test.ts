import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../local/worker-pool.ts';
import type { JobRequestInput } from '../../src/jobs/intake/index.ts';
import { isTerminal } from '../../src/jobs/model/index.ts';
import { createEffectsTable, jobsWithIds, scanAll } from '../helpers/job-table.ts';
import { mapLimit } from '../helpers/map-limit.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { killWorkers } from '../helpers/worker-killer.ts';

const { client, deployment, dynamodb } = testStack();
const effectsTable = `tailguard-chaos-effects-${Date.now()}`;
const JOBS = 2000;
// Submitting 2,000 jobs through the emulator's API takes 2-4 minutes on 2 busy cores; the run as
// long again. The bound is for a broken build, not a slow machine.
const TIMEOUT_MS = 900_000;

/** 40 % noop, 40 % sleep of 20-400 ms, 20 % flaky failing once; each records its effect. */
function workload(): JobRequestInput[] {
  return Array.from({ length: JOBS }, (_, i): JobRequestInput => {
    const common = { maxAttempts: 10, backoff: { baseSeconds: 0.5, jitter: 'none' as const } };
    if (i % 5 < 2) return { type: 'noop', payload: { effectsTable }, ...common };
    if (i % 5 < 4) return { type: 'sleep', payload: { ms: 20 + ((i * 37) % 380), effectsTable }, ...common };
    return { type: 'flaky', payload: { failures: 1, effectsTable }, ...common };
  });
}

describe('chaos: workers killed with SIGKILL while 2,000 jobs run', () => {
  let pool: WorkerPool;
  const killer = new AbortController();
  const submittedIds = new Set<string>();

  beforeAll(async () => {
    await createEffectsTable(dynamodb, effectsTable);
    pool = new WorkerPool({
      env: deployment.workerEnv,
      logDir: fileURLToPath(new URL('../../.tailguard/test/chaos-workers/', import.meta.url)),
      args: ['--poll-wait-seconds', '1', '--concurrency', '8', '--lease-seconds', '4', '--heartbeat-seconds', '1'],
    });
    for (let i = 0; i < 3; i++) pool.start('cpu');
  });

  // Pass, fail or time out: stop killing, stop this test's workers, and end whatever of its jobs
  // still runs before its effects table goes, so nothing of this test outlives it.
  afterAll(async () => {
    killer.abort();
    await pool.stopAll(5_000);
    const unfinished = (await jobsWithIds(dynamodb, deployment.jobsTable, submittedIds)).filter(
      (job) => !isTerminal(job.status),
    );
    await mapLimit(unfinished, 16, (job) => client.raw('POST', `jobs/${job.id}/cancel`));
    await waitFor(
      () => jobsWithIds(dynamodb, deployment.jobsTable, submittedIds),
      (jobs) => jobs.every((job) => isTerminal(job.status)),
      { timeoutMs: 120_000, intervalMs: 2000, what: 'the chaos jobs left over to end' },
    ).catch(() => undefined);
    await dynamodb.send(new DeleteTableCommand({ TableName: effectsTable }));
  }, TIMEOUT_MS);

  it(
    'ends every job terminal, loses none, and commits each side effect exactly once',
    async () => {
      // Prepare: a killer that SIGKILLs a random chaos worker every 1.5 s and starts a replacement.
      const killing = killWorkers(pool, 1500, killer.signal);

      // Act: kill workers while jobs arrive and until the last one is 5 s in.
      const submitted = await mapLimit(workload(), 16, async (request) => {
        const response = await client.submit(request);
        submittedIds.add(response.body.id);
        return response;
      });
      await sleep(5000);
      killer.abort();
      const kills = await killing;
      const ids = new Set(submitted.map((s) => s.body.id));
      const jobs = await waitFor(
        () => jobsWithIds(dynamodb, deployment.jobsTable, ids),
        (found) => found.length === JOBS && found.every((job) => isTerminal(job.status)),
        { timeoutMs: TIMEOUT_MS, intervalMs: 2000, what: 'every chaos job to finish' },
      );
      const effects = await scanAll<{ jobId: string; commits: number }>(dynamodb, effectsTable);

      // Assess
      expect(kills).toBeGreaterThanOrEqual(10);
      expect(jobs.filter((job) => job.status !== 'SUCCEEDED')).toEqual([]);
      const lost = jobs.filter((job) => job.attemptLog.some((a) => a.outcome === 'lost'));
      expect(lost.length).toBeGreaterThan(0);
      expect(effects).toHaveLength(JOBS);
      expect(effects.filter((e) => e.commits !== 1)).toEqual([]);
      expect(new Set(effects.map((e) => e.jobId))).toEqual(ids);
    },
    TIMEOUT_MS,
  );
});
