import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { localClientConfig } from '../../local/aws-env.ts';
import { SCHEDULE_LEAD_SECONDS, scheduleName } from '../../src/jobs/dispatch/index.ts';
import { testStack } from '../helpers/stack.ts';

const { client, deployment, waitUntilFinished, waitForJob } = testStack();
const scheduler = new SchedulerClient(localClientConfig(deployment.endpoint));

/** Seconds between an attempt's end and the next attempt's start. */
const gaps = (job: { attemptHistory: { startedAt: string; finishedAt: string | null }[] }) =>
  job.attemptHistory
    .slice(1)
    .map((a, i) => (Date.parse(a.startedAt) - Date.parse(job.attemptHistory[i]!.finishedAt!)) / 1000);

describe('retries with backoff', () => {
  it('retries a flaky job until attempt N, waiting out exponential backoff between attempts', async () => {
    // Act
    const submitted = await client.submit({
      type: 'flaky',
      payload: { failures: 3 },
      maxAttempts: 5,
      backoff: { strategy: 'exponential', baseSeconds: 1, jitter: 'none' },
    });
    const job = await waitUntilFinished(submitted.body.id, 30_000);
    // Assess: 1 s, 2 s, 4 s, each no earlier than due and at most 1.5 s late (SQS delay is whole seconds, plus a poll).
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 4, result: { succeededOnAttempt: 4 } });
    gaps(job).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(2 ** i - 0.05);
      expect(gap).toBeLessThanOrEqual(2 ** i + 1.5);
    });
  });

  it('follows a linear policy', async () => {
    const submitted = await client.submit({
      type: 'flaky',
      payload: { failures: 2 },
      backoff: { strategy: 'linear', baseSeconds: 1.5, jitter: 'none' },
    });
    const job = await waitUntilFinished(submitted.body.id, 30_000);
    expect(job.status).toBe('SUCCEEDED');
    gaps(job).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(1.5 * (i + 1) - 0.05);
      expect(gap).toBeLessThanOrEqual(1.5 * (i + 1) + 1.5);
    });
  });

  it('hands a backoff beyond 15 minutes to the start scheduler, which schedules it in EventBridge Scheduler', async () => {
    // Prepare
    const submitted = await client.submit({
      type: 'fail',
      maxAttempts: 2,
      backoff: { baseSeconds: 1200, maxSeconds: 1200, jitter: 'none' },
    });
    const retrying = await waitForJob(submitted.body.id, (j) => j.status === 'RETRYING', 'retrying');
    // Act: the start-scheduler Lambda consumes the scheduled start and creates the schedule.
    const name = scheduleName({ id: submitted.body.id, attempts: 1 });
    const schedule = await waitForSchedule(name);
    // Assess: fires SCHEDULE_LEAD_SECONDS before the retry is due, back into the scheduler's queue.
    const due = Date.parse(retrying.runAt!);
    const fireAt = Date.parse(`${/^at\((.*)\)$/.exec(schedule.ScheduleExpression!)![1]}Z`);
    expect(Math.abs(fireAt - (due - SCHEDULE_LEAD_SECONDS * 1000))).toBeLessThan(2000);
    expect(schedule).toMatchObject({ ActionAfterCompletion: 'DELETE', FlexibleTimeWindow: { Mode: 'OFF' } });
    expect(JSON.parse(schedule.Target!.Input!)).toMatchObject({ jobId: submitted.body.id, attempts: 1 });
    // Cleanup: cancelling removes the schedule.
    expect((await client.raw('POST', `jobs/${submitted.body.id}/cancel`)).status).toBe(200);
    await expect(
      scheduler.send(new GetScheduleCommand({ Name: name, GroupName: deployment.scheduleGroup })),
    ).rejects.toThrow();
  });
});

async function waitForSchedule(name: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: deployment.scheduleGroup }));
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}
