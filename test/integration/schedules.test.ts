import { randomUUID } from 'node:crypto';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { localClientConfig } from '../../local/aws-env.ts';
import type { ScheduleView } from '../../src/contract/views.ts';
import { RECURRING_PREFIX, SCHEDULED_TIME_PLACEHOLDER } from '../../src/jobs/schedules/index.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, deployment, sqs, waitUntilFinished } = testStack();
const scheduler = new SchedulerClient(localClientConfig(deployment.endpoint));

/** A name no other run of the suite against the same emulator has used. */
const unique = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

/** Polls `GET /schedules/{name}` until `done` accepts it. */
const waitForSchedule = (name: string, done: (s: ScheduleView) => boolean, what: string, timeoutMs: number) =>
  waitFor(() => client.getSchedule(name), done, { timeoutMs, intervalMs: 1000, what: `schedule ${name}: ${what}` });

const MINUTE = 60_000;

describe('recurring schedules', () => {
  it.concurrent('a rate(1 minute) schedule makes one job per fire time, a minute apart, each showing its fire time', async () => {
    // Prepare
    const name = unique('every-minute');
    const created = await client.createSchedule({ name, rate: 'rate(1 minute)', job: { type: 'noop' } });
    // Act: the first two fires come a minute and two minutes after it was made.
    const fired = await waitForSchedule(name, (s) => s.recentJobs.length >= 2, 'two fires', 150_000);
    // Assess
    const [second, first] = fired.recentJobs;
    expect(created).toMatchObject({ name, rate: 'rate(1 minute)', cron: null, state: 'ENABLED', overlap: 'skip' });
    const firstFireAfter = Date.parse(created.nextFires[0]!) - Date.parse(created.createdAt);
    expect(firstFireAfter).toBeGreaterThan(MINUTE - 1000);
    expect(firstFireAfter).toBeLessThanOrEqual(MINUTE);
    expect(Date.parse(second!.fireTime) - Date.parse(first!.fireTime)).toBe(MINUTE);
    expect(first!.fireTime).toBe(created.nextFires[0]);
    expect(new Set(fired.recentJobs.map((j) => j.fireTime)).size).toBe(fired.recentJobs.length);
    const job = await waitUntilFinished(first!.jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', type: 'noop', schedule: name, fireTime: first!.fireTime });
    const listed = await client.listJobs({ schedule: name });
    expect(listed.items.map((j) => j.id)).toEqual(expect.arrayContaining([first!.jobId, second!.jobId]));
    expect(listed.items.every((j) => j.schedule === name)).toBe(true);
    expect((await client.listSchedules()).map((s) => s.name)).toContain(name);
    await client.deleteSchedule(name);
  }, 200_000);

  it.concurrent('a paused schedule makes no job for 70 s, then fires again once resumed', async () => {
    // Prepare: a schedule that has fired once.
    const name = unique('paused');
    await client.createSchedule({ name, rate: 'rate(1 minute)', job: { type: 'noop' } });
    const fired = await waitForSchedule(name, (s) => s.recentJobs.length >= 1, 'its first fire', 100_000);
    // Act
    const paused = await client.pauseSchedule(name);
    const pausedAt = Date.now();
    // Assess: no fire while paused, however long the machine takes to look.
    expect(paused).toMatchObject({ state: 'PAUSED', nextFires: [] });
    while (Date.now() - pausedAt < 70_000) {
      expect((await client.getSchedule(name)).recentJobs).toHaveLength(fired.recentJobs.length);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const resumed = await client.pauseSchedule(name, false);
    expect(resumed.state).toBe('ENABLED');
    expect(Date.parse(resumed.nextFires[0]!)).toBeGreaterThan(Date.now() - 1000);
    await client.deleteSchedule(name);
  }, 200_000);

  it('deletes a schedule: it is a 404 from then on, its jobs stay', async () => {
    // Prepare
    const name = unique('deleted');
    await client.createSchedule({ name, cron: 'cron(0 3 * * ? *)', timezone: 'Europe/Berlin', job: { type: 'noop' } });
    // Act
    const deleted = await client.raw('DELETE', `schedules/${name}`);
    // Assess
    expect(deleted).toEqual({ status: 200, body: { name, deleted: true } });
    for (const [method, path] of [
      ['GET', `schedules/${name}`],
      ['DELETE', `schedules/${name}`],
      ['POST', `schedules/${name}/pause`],
    ]) {
      const answer = await client.raw(method!, path!);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: { code: 'SCHEDULE_NOT_FOUND' } });
    }
  });

  it('shows a cron schedule’s next fire times on the wall clock of its time zone', async () => {
    // Act
    const name = unique('berlin-monday');
    const created = await client.createSchedule({
      name,
      cron: 'cron(0 9 ? * MON *)',
      timezone: 'Europe/Berlin',
      job: { type: 'noop', priority: 'high' },
    });
    await client.deleteSchedule(name);
    // Assess: Mondays, 09:00 in Berlin.
    expect(created.nextFires).toHaveLength(3);
    for (const fire of created.nextFires) {
      const wall = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(fire));
      expect(wall).toBe('Mon 09:00');
    }
    expect(created.job).toMatchObject({ type: 'noop', priority: 'high', capacity: 'cpu' });
  });

  it.each([
    ['an invalid cron expression', { cron: 'cron(99 * * * ? *)' }, 'cron', 'minutes: 99 is outside 0-59'],
    ['an unknown time zone', { rate: 'rate(5 minutes)', timezone: 'Mars/Olympus' }, 'timezone', 'Mars/Olympus'],
    ['a rate below 1 minute', { rate: 'rate(30 seconds)' }, 'rate', 'at least 1 minute'],
    ['neither cron nor rate', {}, 'cron', 'exactly one'],
    ['a job type no worker handles', { rate: 'rate(1 hour)', job: { type: 'no-such-type' } }, 'job.type', 'no worker'],
  ])('refuses %s with a 400 naming the field, and creates nothing', async (_what, fields, path, message) => {
    // Prepare
    const name = unique('refused');
    // Act
    const answer = await client.raw('POST', 'schedules', JSON.stringify({ name, job: { type: 'noop' }, ...fields }));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: [{ path, message: expect.stringContaining(message) }] },
    });
    expect((await client.raw('GET', `schedules/${name}`)).status).toBe(404);
  });

  it('refuses a second schedule of the same name with a 409', async () => {
    // Prepare
    const name = unique('taken');
    await client.createSchedule({ name, rate: 'rate(1 day)', job: { type: 'noop' } });
    // Act
    const again = await client.raw(
      'POST',
      'schedules',
      JSON.stringify({ name, rate: 'rate(2 days)', job: { type: 'noop' } }),
    );
    // Assess
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'SCHEDULE_EXISTS', details: [{ path: 'name' }] } });
    expect((await client.getSchedule(name)).rate).toBe('rate(1 day)');
    await client.deleteSchedule(name);
  });

  it('makes one job when the same fire is delivered twice', async () => {
    // Prepare: a schedule that never fires by itself, and its target input as Scheduler would fill it.
    const name = unique('twice');
    await client.createSchedule({ name, cron: 'cron(0 0 1 1 ? 2099)', job: { type: 'noop' } });
    const { Target } = await scheduler.send(
      new GetScheduleCommand({ Name: RECURRING_PREFIX + name, GroupName: deployment.scheduleGroup }),
    );
    const fireTime = '2026-12-06T12:00:00Z';
    const body = Target!.Input!.replace(SCHEDULED_TIME_PLACEHOLDER, fireTime);
    const [, , , , account, queueName] = Target!.Arn!.split(':');
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: account }),
    );
    // Act: two deliveries at once, then a late third.
    await Promise.all([1, 2].map(() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }))));
    const fired = await waitForSchedule(name, (s) => s.recentJobs.length > 0, 'the fire', 30_000);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    await waitFor(
      async () => {
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return (
          Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
        );
      },
      (left) => left === 0,
      { timeoutMs: 30_000, what: 'every delivery handled' },
    );
    // Assess
    const after = await client.getSchedule(name);
    expect(after.recentJobs).toEqual([
      { jobId: fired.recentJobs[0]!.jobId, fireTime: '2026-12-06T12:00:00.000Z', status: expect.any(String) },
    ]);
    expect((await client.listJobs({ schedule: name })).items).toHaveLength(1);
    await client.deleteSchedule(name);
  });
});
