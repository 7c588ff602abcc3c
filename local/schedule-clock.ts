import { GetScheduleCommand, ListSchedulesCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { nextFireTimes, RECURRING_PREFIX, SCHEDULED_TIME_PLACEHOLDER } from '../src/jobs/schedules/index.ts';

export interface ScheduleClockOptions {
  scheduler: SchedulerClient;
  sqs: SQSClient;
  /** Tailguard's schedule group. */
  groupName: string;
  /** How often it looks for due fires. @default 1000 */
  tickMs?: number;
  log: (line: string) => void;
}

/** Fires made per schedule in one tick at most: a clock that was stopped for hours does not flood. */
const MAX_FIRES_PER_TICK = 5;

/**
 * EventBridge Scheduler's part for recurring schedules on the emulator (docs/emulator.md): MiniStack
 * fires `rate()`/`cron()` schedules, but sends their input with `<aws.scheduler.scheduled-time>`
 * unfilled, and reads cron fields in UTC. This clock reads the same schedules from the emulator's
 * Scheduler, and at each fire time sends the schedule's target input, the scheduled time filled in,
 * to its target queue — what Scheduler does on AWS — so fires take the real path: fire queue, fire
 * Lambda, intake. It honours pause (State), StartDate, EndDate and time zones; fires due while it
 * was not running are not made up.
 */
export class ScheduleClock {
  private readonly startedAt = Date.now();
  /** Latest fire time sent, per schedule (name and creation, so one made again starts afresh). */
  private readonly lastFire = new Map<string, number>();
  private readonly queueUrls = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly options: ScheduleClockOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((error) => this.options.log(`schedule clock: ${(error as Error).message}`))
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.tickMs ?? 1000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Sends every fire due by `now` that was not sent yet. */
  async tick(now = Date.now()): Promise<void> {
    const { scheduler, groupName } = this.options;
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await scheduler.send(
        new ListSchedulesCommand({ GroupName: groupName, NamePrefix: RECURRING_PREFIX, NextToken }),
      );
      names.push(...(page.Schedules ?? []).flatMap((s) => (s.Name?.startsWith(RECURRING_PREFIX) ? [s.Name] : [])));
      NextToken = page.NextToken;
    } while (NextToken);
    for (const name of names) {
      const schedule = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: groupName }));
      const createdAt = (schedule.CreationDate ?? new Date(now)).getTime();
      const key = `${name}@${createdAt}`;
      const after = this.lastFire.get(key) ?? Math.max(this.startedAt, createdAt);
      const due = nextFireTimes(
        {
          paused: schedule.State === 'DISABLED',
          expression: schedule.ScheduleExpression ?? '',
          timezone: schedule.ScheduleExpressionTimezone ?? 'UTC',
          createdAt: new Date(createdAt).toISOString(),
          startAt: schedule.StartDate?.toISOString(),
          endAt: schedule.EndDate?.toISOString(),
        },
        after,
        MAX_FIRES_PER_TICK,
      ).filter((t) => t <= now);
      for (const fireTime of due) {
        await this.send(schedule.Target?.Arn ?? '', schedule.Target?.Input ?? '', fireTime);
        this.lastFire.set(key, fireTime);
      }
      if (!this.lastFire.has(key)) this.lastFire.set(key, after);
    }
  }

  private async send(queueArn: string, input: string, fireTime: number): Promise<void> {
    const scheduledTime = new Date(fireTime).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.options.sqs.send(
      new SendMessageCommand({
        QueueUrl: await this.queueUrl(queueArn),
        MessageBody: input.replaceAll(SCHEDULED_TIME_PLACEHOLDER, scheduledTime),
      }),
    );
  }

  private async queueUrl(arn: string): Promise<string> {
    const known = this.queueUrls.get(arn);
    if (known) return known;
    const [, , , , account, name] = arn.split(':');
    const { QueueUrl } = await this.options.sqs.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
    );
    this.queueUrls.set(arn, QueueUrl!);
    return QueueUrl!;
  }
}
