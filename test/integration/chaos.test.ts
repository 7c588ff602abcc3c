import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../bench/lib/map-limit.ts';
import type { JobRequestInput } from '../../src/api/job-request.ts';
import { isTerminal } from '../../src/jobs/lifecycle.ts';
import { WorkerPool } from '../../local/worker-pool.ts';
import { createEffectsTable, jobsWithIds, scanAll } from '../helpers/job-table.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, deployment, dynamodb } = testStack();
const effectsTable = `tailguard-chaos-effects-${Date.now()}`;
const JOBS = 2000;

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

  beforeAll(async () => {
    await createEffectsTable(dynamodb, effectsTable);
    pool = new WorkerPool({
      env: deployment.workerEnv,
      logDir: fileURLToPath(new URL('../../.tailguard/test/chaos-workers/', import.meta.url)),
      args: ['--poll-wait-seconds', '1', '--concurrency', '8', '--lease-seconds', '4', '--heartbeat-seconds', '1'],
    });
    for (let i = 0; i < 3; i++) pool.start('cpu');
  });

  afterAll(async () => {
    await pool.stopAll(5_000);
    await dynamodb.send(new DeleteTableCommand({ TableName: effectsTable }));
  });

  it('ends every job terminal, loses none, and commits each side effect exactly once', async () => {
    // Prepare: a killer that SIGKILLs a random chaos worker every 1.5 s and starts a replacement.
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const victim = pool.running[Math.floor(Math.random() * pool.running.length)];
        if (!victim || !killing) continue;
        await pool.kill(victim, 'SIGKILL');
        kills++;
        pool.start('cpu');
      }
    })();

    // Act
    const submitted = await mapLimit(workload(), 16, (request) => client.submit(request));
    await new Promise((resolve) => setTimeout(resolve, 5000));
    killing = false;
    await killer;
    const ids = new Set(submitted.map((s) => s.body.id));
    const jobs = await waitFor(
      () => jobsWithIds(dynamodb, deployment.jobsTable, ids),
      (found) => found.length === JOBS && found.every((job) => isTerminal(job.status)),
      { timeoutMs: 150_000, intervalMs: 2000, what: 'every chaos job to finish' },
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
  });
});
