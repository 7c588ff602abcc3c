import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireInput } from '../src/jobs/schedules/index.ts';
import { ScheduleClock } from './schedule-clock.ts';

const scheduler = mockClient(SchedulerClient);
const sqs = mockClient(SQSClient);
const CREATED = Date.parse('2026-12-06T10:00:00Z');
const QUEUE_URL = 'http://localhost:4571/000000000000/fires';
const input = fireInput({ schedule: 'every-minute', overlap: 'skip', job: { type: 'noop' } as never });

/** One recurring schedule in the group, as the emulator's Scheduler answers it. */
function schedule(fields: { State?: 'ENABLED' | 'DISABLED'; ScheduleExpression?: string } = {}) {
  scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'recurring-every-minute' }, { Name: 'job-x-0' }] });
  scheduler.on(GetScheduleCommand).resolves({
    Name: 'recurring-every-minute',
    ScheduleExpression: 'rate(1 minute)',
    ScheduleExpressionTimezone: 'UTC',
    State: 'ENABLED',
    CreationDate: new Date(CREATED),
    Target: {
      Arn: 'arn:aws:sqs:us-east-1:000000000000:fires',
      RoleArn: 'arn:aws:iam::000000000000:role/r',
      Input: input,
    },
    ...fields,
  });
}

const sent = () => sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!));

describe('ScheduleClock', () => {
  let clock: ScheduleClock;
  beforeEach(() => {
    scheduler.reset();
    sqs.reset();
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: QUEUE_URL });
    sqs.on(SendMessageCommand).resolves({});
    vi.setSystemTime(CREATED - 5000);
    clock = new ScheduleClock({
      scheduler: new SchedulerClient({}),
      sqs: new SQSClient({}),
      groupName: 'g',
      log: () => {},
    });
    vi.useRealTimers();
  });

  it('sends each fire once, at its time, to the target queue with the scheduled time filled in', async () => {
    // Prepare
    schedule();
    // Act
    for (const seconds of [30, 59, 60.5, 61, 119, 121]) await clock.tick(CREATED + seconds * 1000);
    // Assess
    expect(sent()).toEqual([
      { schedule: 'every-minute', scheduledTime: '2026-12-06T10:01:00Z', overlap: 'skip', job: { type: 'noop' } },
      { schedule: 'every-minute', scheduledTime: '2026-12-06T10:02:00Z', overlap: 'skip', job: { type: 'noop' } },
    ]);
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe(QUEUE_URL);
    expect(scheduler.commandCalls(ListSchedulesCommand)[0]!.args[0].input).toMatchObject({
      GroupName: 'g',
      NamePrefix: 'recurring-',
    });
  });

  it('sends nothing for a paused schedule', async () => {
    // Prepare
    schedule({ State: 'DISABLED' });
    // Act
    await clock.tick(CREATED + 61_000);
    // Assess
    expect(sent()).toEqual([]);
  });

  it('reads cron fields on the schedule’s time zone', async () => {
    // Prepare: 11:05 in Berlin is 10:05 UTC in December.
    schedule({ ScheduleExpression: 'cron(5 11 * * ? *)' });
    scheduler.on(GetScheduleCommand).callsFake(() => ({
      Name: 'recurring-every-minute',
      ScheduleExpression: 'cron(5 11 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      CreationDate: new Date(CREATED),
      Target: { Arn: 'arn:aws:sqs:us-east-1:000000000000:fires', Input: input },
    }));
    // Act
    await clock.tick(CREATED + 4 * 60_000);
    await clock.tick(CREATED + 6 * 60_000);
    // Assess
    expect(sent().map((m) => m.scheduledTime)).toEqual(['2026-12-06T10:05:00Z']);
  });
});
