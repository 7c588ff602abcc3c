import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { localClientConfig } from '../../local/aws-env.ts';
import { scheduleName } from '../../src/jobs/dispatch/index.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, deployment, waitUntilFinished, waitForJob } = testStack();
const scheduler = new SchedulerClient(localClientConfig(deployment.endpoint));

describe('delayed and scheduled jobs', () => {
  it.each([
    ['delaySeconds', () => ({ delaySeconds: 3 })],
    ['runAt', () => ({ runAt: new Date(Date.now() + 3000).toISOString() })],
  ])(
    'a job delayed with %s is SCHEDULED, does not start early, and starts within 2 s of its time',
    async (_name, delay) => {
      // Act
      const submitted = await client.submit({ type: 'noop', ...delay() });
      const job = await waitUntilFinished(submitted.body.id, 15_000);
      // Assess
      expect(submitted.status).toBe(201);
      expect(submitted.body.status).toBe('SCHEDULED');
      const due = Date.parse(submitted.body.runAt!);
      const started = Date.parse(job.startedAt!);
      expect(started).toBeGreaterThanOrEqual(due);
      expect(started - due).toBeLessThanOrEqual(2000);
      expect(job.status).toBe('SUCCEEDED');
    },
  );

  it('shows a scheduled job as QUEUED once it is due and waiting for a worker', async () => {
    // The only gpu worker's 8 slots hold jobs that run until cancelled (no backups: speculation
    // off), so the due job cannot start until the test lets it, however slow the machine.
    const busy = await Promise.all(
      Array.from({ length: 8 }, () =>
        client.submit({ type: 'sleep', payload: { ms: 600_000 }, capacity: 'gpu', speculation: false }),
      ),
    );
    await Promise.all(busy.map((b) => waitForJob(b.body.id, (j) => j.status === 'RUNNING', 'running')));
    const submitted = await client.submit({ type: 'noop', capacity: 'gpu', delaySeconds: 1 });
    const waiting = await waitForJob(submitted.body.id, (j) => j.status !== 'SCHEDULED', 'due');
    await Promise.all(busy.map((b) => client.raw('POST', `jobs/${b.body.id}/cancel`)));
    expect(waiting).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect((await waitUntilFinished(submitted.body.id)).status).toBe('SUCCEEDED');
  });
});

describe('POST /jobs/{id}/cancel', () => {
  it('cancels a queued job before it starts', async () => {
    // Prepare: fill the gpu worker's 8 slots so the next gpu job stays queued.
    const busy = await Promise.all(
      Array.from({ length: 8 }, () =>
        client.submit({ type: 'sleep', payload: { ms: 600_000 }, capacity: 'gpu', speculation: false }),
      ),
    );
    await Promise.all(busy.map((b) => waitForJob(b.body.id, (j) => j.status === 'RUNNING', 'running')));
    const queued = await client.submit({ type: 'noop', capacity: 'gpu' });
    // Act
    const response = await client.raw('POST', `jobs/${queued.body.id}/cancel`);
    await Promise.all(busy.map((b) => client.raw('POST', `jobs/${b.body.id}/cancel`)));
    await Promise.all(busy.map((b) => waitUntilFinished(b.body.id)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Assess: it never ran, even after the worker had room and its message arrived.
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'CANCELLED', cancelRequested: false });
    const job = (await client.getJob(queued.body.id)).body;
    expect(job).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null, attemptHistory: [] });
  });

  it('cancels a scheduled job: it never starts', async () => {
    const scheduled = await client.submit({ type: 'noop', delaySeconds: 2 });
    const response = await client.raw('POST', `jobs/${scheduled.body.id}/cancel`);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(response.status).toBe(200);
    expect((await client.getJob(scheduled.body.id)).body).toMatchObject({ status: 'CANCELLED', attemptHistory: [] });
  });

  it('cancels a job scheduled beyond 15 minutes and removes its EventBridge schedule', async () => {
    const scheduled = await client.submit({ type: 'noop', delaySeconds: 7200 });
    const name = scheduleName({ id: scheduled.body.id, attempts: 0 });
    await waitFor(
      () =>
        scheduler.send(new GetScheduleCommand({ Name: name, GroupName: deployment.scheduleGroup })).then(
          () => true,
          () => false,
        ),
      (exists) => exists,
      { what: 'the schedule to exist' },
    );
    const response = await client.raw('POST', `jobs/${scheduled.body.id}/cancel`);
    expect(response.status).toBe(200);
    await expect(
      scheduler.send(new GetScheduleCommand({ Name: name, GroupName: deployment.scheduleGroup })),
    ).rejects.toThrow();
  });

  it('stops a running job through its heartbeat: the handler is aborted and the job ends CANCELLED', async () => {
    const running = await client.submit({ type: 'sleep', payload: { ms: 60_000 } });
    await waitForJob(running.body.id, (j) => j.status === 'RUNNING', 'running');
    const response = await client.raw('POST', `jobs/${running.body.id}/cancel`);
    // Finished, and every attempt's record closed (a backup the job may have had closes its own within a heartbeat).
    const job = await waitForJob(
      running.body.id,
      (j) => j.finishedAt !== null && j.attemptHistory.every((a) => a.outcome !== null),
      'cancelled, records closed',
      10_000,
    );
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    expect(job.status).toBe('CANCELLED');
    expect(job.attemptHistory[0]!.outcome).toBe('cancelled');
    expect(job.attemptHistory.every((a) => a.outcome === 'cancelled' || a.outcome === 'superseded')).toBe(true);
    expect(Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)).toBeLessThan(10_000);
  });

  it('refuses to cancel a finished job (409) or an unknown one (404)', async () => {
    const done = await client.submit({ type: 'noop' });
    await waitUntilFinished(done.body.id);
    const finished = await client.raw('POST', `jobs/${done.body.id}/cancel`);
    expect(finished.status).toBe(409);
    expect(finished.body).toMatchObject({ error: { code: 'JOB_FINISHED' } });
    expect((await client.raw('POST', 'jobs/00000000-0000-4000-8000-000000000000/cancel')).status).toBe(404);
  });
});

describe('timeouts', () => {
  it('aborts an attempt past timeoutSeconds and retries it as a retryable failure', async () => {
    const submitted = await client.submit({
      type: 'sleep',
      payload: { ms: 30_000 },
      timeoutSeconds: 1,
      maxAttempts: 2,
      speculation: false,
      backoff: { baseSeconds: 1, jitter: 'none' },
    });
    const job = await waitUntilFinished(submitted.body.id, 15_000);
    expect(job).toMatchObject({ status: 'DEAD', attempts: 2, error: { name: 'JobTimeoutError', retryable: true } });
    expect(job.attemptHistory.map((a) => a.outcome)).toEqual(['timed_out', 'timed_out']);
    for (const attempt of job.attemptHistory) {
      expect(Date.parse(attempt.finishedAt!) - Date.parse(attempt.startedAt)).toBeLessThan(3000);
    }
  });
});

describe('GET /health and GET /stats', () => {
  it('reports healthy', async () => {
    const response = await client.raw('GET', 'health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', checks: { jobsTable: 'ok', queues: 'ok' } });
  });

  it('reports depths of every queue, DLQ depths, and running jobs', async () => {
    const delayed = await client.submit({ type: 'noop', priority: 'critical', delaySeconds: 30 });
    const running = await client.submit({ type: 'sleep', payload: { ms: 5000 }, priority: 'high' });
    await waitForJob(running.body.id, (j) => j.status === 'RUNNING', 'running');
    // Running jobs are counted from the workers' reports, which follow the claim by up to a report interval.
    const stats = await waitFor(
      () => client.stats(),
      (s) => s.running.cpu >= 1,
      { what: 'GET /stats to count the running job' },
    );
    expect(Object.keys(stats.queues).sort()).toEqual(Object.keys(deployment.queues).sort());
    expect(stats.queues['cpu-critical']!.delayed).toBeGreaterThanOrEqual(1);
    expect(stats.queues['cpu-high']!.inFlight).toBeGreaterThanOrEqual(1);
    await client.raw('POST', `jobs/${delayed.body.id}/cancel`);
    await client.raw('POST', `jobs/${running.body.id}/cancel`);
  });
});
