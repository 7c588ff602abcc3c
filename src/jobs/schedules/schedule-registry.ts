import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleOutput,
  ListSchedulesCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { ScheduleExistsError } from '../model/index.ts';
import { type Fire, FireSchema, fireInput } from './fire.ts';
import type { ScheduleRequest } from './schedule-request.ts';

/**
 * Tailguard's recurring schedules share the schedule group with the start scheduler's one-time
 * ones (`job-…`); this prefix tells them apart and keeps their names from colliding.
 */
export const RECURRING_PREFIX = 'recurring-';

/** How Scheduler retries a fire it could not deliver, and where it gives up to. */
export const FIRE_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;

/** Where fires go: the fire queue, as whom, and the dead-letter queue of undeliverable ones. */
export interface FireTarget {
  queueArn: string;
  roleArn: string;
  deadLetterArn: string;
}

/** A recurring schedule as Scheduler keeps it, read back. */
export interface StoredSchedule {
  name: string;
  expression: string;
  timezone: string;
  paused: boolean;
  startAt?: string;
  endAt?: string;
  createdAt: string;
  overlap: Fire['overlap'];
  job: Fire['job'];
}

/** The Scheduler target of a schedule: its fire, retried for a day, then dead-lettered. */
export function fireTarget(target: FireTarget, fire: Omit<Fire, 'scheduledTime'>) {
  return {
    Arn: target.queueArn,
    RoleArn: target.roleArn,
    Input: fireInput(fire),
    RetryPolicy: { ...FIRE_RETRY_POLICY },
    DeadLetterConfig: { Arn: target.deadLetterArn },
  };
}

/**
 * EventBridge Scheduler adapter for recurring schedules: each is one schedule in the group whose
 * target input is its fire (fire.ts), so Scheduler holds the whole definition and nothing else
 * needs to stay in step with it.
 */
export class ScheduleRegistry {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly config: { groupName: string; target: FireTarget },
  ) {}

  /** Creates it; ScheduleExistsError when the name is taken. */
  async create(request: ScheduleRequest): Promise<void> {
    try {
      await this.scheduler.send(
        new CreateScheduleCommand({
          Name: RECURRING_PREFIX + request.name,
          GroupName: this.config.groupName,
          ScheduleExpression: (request.cron ?? request.rate)!,
          ScheduleExpressionTimezone: request.timezone,
          ...(request.startAt && { StartDate: new Date(request.startAt) }),
          ...(request.endAt && { EndDate: new Date(request.endAt) }),
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          Description: `Tailguard recurring job ${request.job.type}`,
          Target: fireTarget(this.config.target, {
            schedule: request.name,
            overlap: request.overlap,
            job: request.job,
          }),
        }),
      );
    } catch (error) {
      if (error instanceof ConflictException) throw new ScheduleExistsError(request.name);
      throw error;
    }
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    const output = await this.getRaw(name);
    return output && stored(name, output);
  }

  /** Every recurring schedule of the group, by name. */
  async list(): Promise<StoredSchedule[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.scheduler.send(
        new ListSchedulesCommand({ GroupName: this.config.groupName, NamePrefix: RECURRING_PREFIX, NextToken }),
      );
      for (const s of page.Schedules ?? []) if (s.Name?.startsWith(RECURRING_PREFIX)) names.push(s.Name);
      NextToken = page.NextToken;
    } while (NextToken);
    const schedules = await Promise.all(names.map((n) => this.get(n.slice(RECURRING_PREFIX.length))));
    return schedules.filter((s) => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** False when there was none. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.scheduler.send(
        new DeleteScheduleCommand({ Name: RECURRING_PREFIX + name, GroupName: this.config.groupName }),
      );
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  }

  /** Pauses or resumes it (Scheduler's DISABLED / ENABLED); false when there is none. */
  async setPaused(name: string, paused: boolean): Promise<boolean> {
    const current = await this.getRaw(name);
    if (!current) return false;
    await this.scheduler.send(
      new UpdateScheduleCommand({
        Name: current.Name,
        GroupName: current.GroupName,
        ScheduleExpression: current.ScheduleExpression,
        ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
        StartDate: current.StartDate,
        EndDate: current.EndDate,
        FlexibleTimeWindow: current.FlexibleTimeWindow,
        Description: current.Description,
        Target: current.Target,
        ActionAfterCompletion: current.ActionAfterCompletion,
        State: paused ? 'DISABLED' : 'ENABLED',
      }),
    );
    return true;
  }

  private async getRaw(name: string): Promise<GetScheduleOutput | undefined> {
    try {
      return await this.scheduler.send(
        new GetScheduleCommand({ Name: RECURRING_PREFIX + name, GroupName: this.config.groupName }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}

function stored(name: string, output: GetScheduleOutput): StoredSchedule {
  // The input's scheduled time is Scheduler's placeholder until a fire fills it.
  const fire = FireSchema.omit({ scheduledTime: true }).parse(JSON.parse(output.Target?.Input ?? '{}'));
  const iso = (date: Date | undefined) => (date ? new Date(date).toISOString() : undefined);
  return {
    name,
    expression: output.ScheduleExpression ?? '',
    timezone: output.ScheduleExpressionTimezone ?? 'UTC',
    paused: output.State === 'DISABLED',
    startAt: iso(output.StartDate),
    endAt: iso(output.EndDate),
    createdAt: iso(output.CreationDate) ?? new Date(0).toISOString(),
    overlap: fire.overlap,
    job: fire.job,
  };
}
