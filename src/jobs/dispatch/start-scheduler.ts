import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JobDispatcher, MAX_SQS_DELAY_SECONDS } from './job-dispatcher.ts';
import type { QueueTopology } from './queue-topology.ts';
import { encodeScheduledStart, type ScheduledStart, scheduleName } from './scheduled-start.ts';

/**
 * How long before a far start its schedule fires. EventBridge Scheduler fires within a minute of
 * its time (and an emulator some seconds late); waking up early and handing the rest of the wait
 * to SQS `DelaySeconds` makes far starts exact to the second as well.
 */
export const SCHEDULE_LEAD_SECONDS = 300;

export interface StartSchedulerConfig {
  sqs: SQSClient;
  scheduler: SchedulerClient;
  topology: QueueTopology;
  /** The start scheduler's own queue: schedules deliver the request back to it. */
  schedulerQueue: { url: string; arn: string };
  /** Where a start that is due now arms the check on its message. */
  checksQueueUrl: string;
  /** Role EventBridge Scheduler assumes to send to that queue. */
  roleArn: string;
  groupName: string;
}

/**
 * The start scheduler's one decision: a start within 15 minutes goes to the job queue with SQS
 * delay; a later one becomes a one-time `at()` schedule that fires SCHEDULE_LEAD_SECONDS early,
 * brings the request back here, and deletes itself.
 */
export class StartScheduler {
  private readonly dispatcher: JobDispatcher;

  constructor(private readonly config: StartSchedulerConfig) {
    this.dispatcher = new JobDispatcher(config.sqs, config.topology, {
      schedulerQueueUrl: config.schedulerQueue.url,
      checksQueueUrl: config.checksQueueUrl,
    });
  }

  async handle(request: ScheduledStart, now = Date.now()): Promise<'queued' | 'scheduled'> {
    const remainingSeconds = (request.notBefore - now) / 1000;
    if (remainingSeconds <= MAX_SQS_DELAY_SECONDS) {
      await this.dispatcher.dispatch(
        {
          id: request.jobId,
          type: request.type,
          capacity: request.capacity,
          priority: request.priority,
          attempts: request.attempts,
        },
        request.notBefore,
      );
      return 'queued';
    }
    const fireAt = new Date(request.notBefore - SCHEDULE_LEAD_SECONDS * 1000);
    try {
      await this.config.scheduler.send(
        new CreateScheduleCommand({
          Name: scheduleName({ id: request.jobId, attempts: request.attempts }),
          GroupName: this.config.groupName,
          ScheduleExpression: `at(${fireAt.toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.config.schedulerQueue.arn,
            RoleArn: this.config.roleArn,
            Input: encodeScheduledStart(request),
          },
        }),
      );
    } catch (error) {
      // A redelivered request finds its schedule already made.
      if (!(error instanceof ConflictException)) throw error;
    }
    return 'scheduled';
  }
}

/** Removes the schedule of a job's pending start, if it has one (cancellation). */
export async function deleteStartSchedule(
  scheduler: SchedulerClient,
  groupName: string,
  job: { id: string; attempts: number },
): Promise<boolean> {
  try {
    await scheduler.send(new DeleteScheduleCommand({ Name: scheduleName(job), GroupName: groupName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}
