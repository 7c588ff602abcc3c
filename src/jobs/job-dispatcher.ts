import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueKey } from './classes.ts';
import type { Job } from './job.ts';
import { encodeJobMessage } from './job-message.ts';
import { queueAddress, type QueueTopology } from './topology.ts';

/** SQS holds a message back for at most 15 minutes; later starts go through EventBridge Scheduler. */
export const MAX_SQS_DELAY_SECONDS = 900;

export interface SchedulerTarget {
  client: SchedulerClient;
  /** Role EventBridge Scheduler assumes to send to the job queues. */
  roleArn: string;
  groupName: string;
}

/**
 * Puts a job's message on its queue, now or at `notBefore`: SQS `DelaySeconds` when the wait is
 * within 15 minutes (exact to the second, one request), a one-time EventBridge Scheduler `at()`
 * schedule that sends the same message and deletes itself otherwise.
 */
export class JobDispatcher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly topology: QueueTopology,
    private readonly scheduler?: SchedulerTarget,
  ) {}

  async dispatch(job: Pick<Job, 'id' | 'capacity' | 'priority' | 'attempts'>, notBefore = Date.now()): Promise<void> {
    const queue = queueAddress(this.topology, queueKey(job.capacity, job.priority));
    const delaySeconds = Math.max(0, Math.ceil((notBefore - Date.now()) / 1000));
    if (delaySeconds <= MAX_SQS_DELAY_SECONDS) {
      await this.sqs.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: encodeJobMessage(job.id), DelaySeconds: delaySeconds }),
      );
      return;
    }
    if (!this.scheduler) throw new Error('a start later than 15 minutes needs EventBridge Scheduler, which is not configured');
    await this.scheduler.client.send(
      new CreateScheduleCommand({
        Name: scheduleName(job),
        GroupName: this.scheduler.groupName,
        ScheduleExpression: `at(${new Date(notBefore).toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: queue.arn, RoleArn: this.scheduler.roleArn, Input: encodeJobMessage(job.id) },
      }),
    );
  }
}

/** One schedule per job and attempt, so a retry never collides with the schedule that started it. */
export const scheduleName = (job: Pick<Job, 'id' | 'attempts'>): string => `job-${job.id}-${job.attempts}`;
