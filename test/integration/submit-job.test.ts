import { describe, expect, it } from 'vitest';
import { TailguardClient } from '../../src/client/tailguard-client.ts';
import { testStack } from '../helpers/stack.ts';

const { client, checked, deployment, waitUntilFinished } = testStack();

describe('POST /jobs → worker → SUCCEEDED', () => {
  it('runs a noop job once and records the attempt', async () => {
    // Act
    const submitted = await client.submit({ type: 'noop' });
    const job = await waitUntilFinished(submitted.body.id, 5_000);
    // Assess
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      type: 'noop',
      status: 'QUEUED',
      priority: 'default',
      capacity: 'cpu',
      attempts: 0,
      maxAttempts: 4,
    });
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { ok: true }, error: null });
    expect(job.attemptHistory).toHaveLength(1);
    expect(job.attemptHistory[0]).toMatchObject({ attempt: 1, outcome: 'succeeded' });
    expect(job.attemptHistory[0]?.workerId).toMatch(/^local-cpu-/);
    expect(Date.parse(job.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(job.startedAt!));
  });

  it('passes the payload to the handler and stores its result', async () => {
    const submitted = await client.submit({ type: 'sleep', payload: { ms: 50 }, priority: 'high' });
    const job = await waitUntilFinished(submitted.body.id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', payload: { ms: 50 }, result: { sleptMs: 50 }, priority: 'high' });
  });

  it('retries a flaky job with backoff until it succeeds', async () => {
    const submitted = await client.submit({
      type: 'flaky',
      payload: { failures: 2 },
      backoff: { baseSeconds: 1, maxSeconds: 2, jitter: 'none' },
    });
    const job = await waitUntilFinished(submitted.body.id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 3, result: { succeededOnAttempt: 3 } });
    expect(job.attemptHistory.map((a) => a.outcome)).toEqual(['failed', 'failed', 'succeeded']);
  });

  it('kills a job whose retries run out and keeps each failure', async () => {
    const submitted = await client.submit({
      type: 'fail',
      maxAttempts: 2,
      backoff: { baseSeconds: 1, jitter: 'none' },
    });
    const job = await waitUntilFinished(submitted.body.id);
    expect(job).toMatchObject({ status: 'DEAD', attempts: 2, error: { name: 'Error', retryable: true } });
    expect(job.attemptHistory.map((a) => a.error)).toEqual([
      'fail handler failed attempt 1',
      'fail handler failed attempt 2',
    ]);
  });

  it('fails an attempt whose effects cannot be committed, with backoff, instead of redelivering it as lost', async () => {
    // The root cause of the stuck-queue report (docs/emulator.md): a refused commit used to leave
    // the job RUNNING until its lease expired, then be taken over as a lost attempt, again and again.
    const submitted = await client.submit({
      type: 'noop',
      payload: { effectsTable: 'tailguard-no-such-table' },
      maxAttempts: 2,
      backoff: { baseSeconds: 0.5, jitter: 'none' },
    });
    const job = await waitUntilFinished(submitted.body.id);
    expect(job).toMatchObject({ status: 'DEAD', attempts: 2, error: { name: 'CommitFailedError', retryable: true } });
    expect(job.attemptHistory.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(job.attemptHistory[0]!.error).toMatch(/could not be committed/);
  });

  it('kills a poison job after exactly one attempt', async () => {
    const submitted = await client.submit({ type: 'poison' });
    const job = await waitUntilFinished(submitted.body.id);
    expect(job).toMatchObject({ status: 'DEAD', attempts: 1, error: { name: 'NonRetryableError', retryable: false } });
  });

  it('runs gpu jobs on gpu-class workers only', async () => {
    const submitted = await Promise.all(
      Array.from({ length: 5 }, () => client.submit({ type: 'noop', capacity: 'gpu' })),
    );
    const jobs = await Promise.all(submitted.map((s) => waitUntilFinished(s.body.id)));
    for (const job of jobs) {
      expect(job.status).toBe('SUCCEEDED');
      expect(job.attemptHistory[0]?.workerId).toMatch(/^local-gpu-/);
    }
  });

  it('refuses unsigned requests: the API requires IAM (SigV4) authorization', async () => {
    const unsigned = new TailguardClient({ baseUrl: deployment.apiUrl, fetch: checked(globalThis.fetch) });
    const response = await unsigned.raw('POST', 'jobs', JSON.stringify({ type: 'noop' }));
    expect(response.status).toBe(403);
  });

  it('answers 404 for an unknown job id', async () => {
    const response = await client.raw('GET', 'jobs/00000000-0000-4000-8000-000000000000');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
  });
});
