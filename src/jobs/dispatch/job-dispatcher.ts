import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Job, queueKey } from '../model/index.ts';
import { encodeJobMessage } from './job-message.ts';
import { type QueueTopology, queueAddress } from './queue-topology.ts';
import { encodeScheduledStart } from './scheduled-start.ts';

/** SQS holds a message back for at most 15 minutes; later starts go through the start scheduler. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * Puts a job's message on its queue, now or at `notBefore`. Within 15 minutes SQS `DelaySeconds`
 * does it: exact to the second, one request. Beyond that the start goes to the start-scheduler
 * Lambda's queue, which keeps it in EventBridge Scheduler until it is near (see start-scheduler.ts).
 */
export class JobDispatcher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly topology: QueueTopology,
    private readonly schedulerQueueUrl: string,
  ) {}

  /** Sends the message that asks a worker (not the straggler's) to race a backup attempt. */
  async dispatchBackup(job: Pick<Job, 'id' | 'capacity' | 'priority'>): Promise<void> {
    const queue = queueAddress(this.topology, queueKey(job.capacity, job.priority));
    await this.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: encodeJobMessage(job.id, true) }));
  }

  async dispatch(job: Pick<Job, 'id' | 'capacity' | 'priority' | 'attempts'>, notBefore = Date.now()): Promise<void> {
    const delaySeconds = Math.max(0, Math.ceil((notBefore - Date.now()) / 1000));
    if (delaySeconds <= MAX_SQS_DELAY_SECONDS) {
      const queue = queueAddress(this.topology, queueKey(job.capacity, job.priority));
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: encodeJobMessage(job.id),
          DelaySeconds: delaySeconds,
        }),
      );
      return;
    }
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.schedulerQueueUrl,
        MessageBody: encodeScheduledStart({
          jobId: job.id,
          capacity: job.capacity,
          priority: job.priority,
          attempts: job.attempts,
          notBefore,
        }),
      }),
    );
  }
}
