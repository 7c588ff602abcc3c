import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { chunks, inWaves } from '../../aws/batches.ts';
import { retryLeftovers } from '../../aws/retries.ts';
import { type Job, type QueueKey, queueKey, tenantOf } from '../model/index.ts';
import { encodeJobMessage } from './job-message.ts';
import { type CheckedJob, checkedJob, encodeMessageCheck, MAX_JOBS_PER_CHECK } from './message-check.ts';
import { type QueueTopology, queueAddress } from './queue-topology.ts';
import { encodeScheduledStart } from './scheduled-start.ts';

/** A job to start: its type goes on the message when known (older scheduled starts lack it). */
type DispatchedJob = Pick<Job, 'id' | 'capacity' | 'priority' | 'attempts'> & Partial<Pick<Job, 'type' | 'tenant'>>;

/** How a start goes: `place` when the job holds a place in its tenant's window (src/jobs/fairness). */
export interface DispatchOptions {
  place?: boolean;
}

/** SendMessageBatch takes ten messages; a few requests at once keep a 1,000-job batch quick. */
const SQS_BATCH_SIZE = 10;
const PARALLEL_SENDS = 8;
const SEND_TRIES = 4;

/** SQS holds a message back for at most 15 minutes; later starts go through the start scheduler. */
export const MAX_SQS_DELAY_SECONDS = 900;

/** Where the dispatcher sends what is not a job's own message. */
export interface DispatchQueues {
  /** Starts beyond SQS's 15-minute delay (the start scheduler's requests). */
  schedulerQueueUrl: string;
  /** Checks on immediate starts' messages, delivered a grace period later (message-check.ts). */
  checksQueueUrl: string;
}

/**
 * Puts a job's message on its queue, now or at `notBefore`. Within 15 minutes SQS `DelaySeconds`
 * does it: exact to the second, one request. Beyond that the start goes to the start-scheduler
 * Lambda's queue, which keeps it in EventBridge Scheduler until it is near (see start-scheduler.ts).
 * An immediate start also arms a check on its message: a QUEUED job is in no index, so the check
 * is how the reaper learns of one whose message vanished. Delayed starts need none: their jobs are
 * indexed (SCHEDULED, RETRYING) until a worker claims them.
 */
export class JobDispatcher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly topology: QueueTopology,
    private readonly queues: DispatchQueues,
  ) {}

  /** Sends the message that asks a worker (not the straggler's) to race a backup attempt. */
  async dispatchBackup(job: Pick<Job, 'id' | 'capacity' | 'priority' | 'tenant'>): Promise<void> {
    const queue = queueAddress(this.topology, queueOf(job));
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: encodeJobMessage(job.id, { backup: true }),
        MessageGroupId: tenantOf(job),
      }),
    );
  }

  async dispatch(job: DispatchedJob, notBefore = Date.now(), options: DispatchOptions = {}): Promise<void> {
    const { queueUrl, entry } = this.message(job, notBefore, options);
    const sentAt = Date.now();
    await Promise.all([
      this.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...entry })),
      entry.DelaySeconds === 0 && this.sendCheck(queueOf(job), [checkedJob(job, sentAt)]),
    ]);
  }

  /**
   * Dispatches many jobs in few requests: SendMessageBatch, ten messages a request, per queue.
   * Entries SQS refused are sent again (a few times); returns the ids of jobs still without a message.
   */
  async dispatchMany(starts: ({ job: DispatchedJob; notBefore: number } & DispatchOptions)[]): Promise<Set<string>> {
    const byQueue = new Map<string, SendMessageBatchRequestEntry[]>();
    for (const { job, notBefore, place } of starts) {
      const { queueUrl, entry } = this.message(job, notBefore, { place });
      byQueue.set(queueUrl, [...(byQueue.get(queueUrl) ?? []), { Id: job.id, ...entry }]);
    }
    const sends = [...byQueue].flatMap(([queueUrl, entries]) =>
      chunks(entries, SQS_BATCH_SIZE).map((batch) => () => this.sendBatch(queueUrl, batch)),
    );
    const sentAt = Date.now();
    const unsent = new Set((await inWaves(sends, PARALLEL_SENDS)).flat());
    await this.checkMany(
      starts.filter(({ job, notBefore }) => !unsent.has(job.id) && notBefore <= sentAt),
      sentAt,
      unsent,
    );
    return unsent;
  }

  /** Checks on the sent immediate starts, one per queue and thousand jobs; a job whose check failed joins `unsent`. */
  private async checkMany(starts: { job: DispatchedJob }[], sentAt: number, unsent: Set<string>): Promise<void> {
    const byQueue = new Map<QueueKey, CheckedJob[]>();
    for (const { job } of starts)
      byQueue.set(queueOf(job), [...(byQueue.get(queueOf(job)) ?? []), checkedJob(job, sentAt)]);
    const checks = [...byQueue].flatMap(([queue, jobs]) =>
      chunks(jobs, MAX_JOBS_PER_CHECK).map((part) => async () => {
        await this.sendCheck(queue, part).catch(() => {
          for (const [id] of part) unsent.add(id);
        });
      }),
    );
    await inWaves(checks, PARALLEL_SENDS);
  }

  private async sendCheck(queue: QueueKey, jobs: CheckedJob[]): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queues.checksQueueUrl,
        MessageBody: encodeMessageCheck({ queue, jobs }),
      }),
    );
  }

  /** One SendMessageBatch, its refused entries sent again; the ids of those that never went. */
  private async sendBatch(queueUrl: string, entries: SendMessageBatchRequestEntry[]): Promise<string[]> {
    const { left } = await retryLeftovers(
      entries,
      async (pending) => {
        const { Failed = [] } = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [...pending] }),
        );
        const failed = new Set(Failed.map((f) => f.Id));
        return pending.filter((e) => failed.has(e.Id));
      },
      { tries: SEND_TRIES },
    );
    return left.map((e) => e.Id!);
  }

  /**
   * Where a job's start message goes and what it says: its queue within 15 minutes, else the start
   * scheduler. Its `MessageGroupId` is the tenant, so SQS fair queues act on it on AWS (the
   * emulator keeps it and does not reorder; docs/fairness.md).
   */
  private message(
    job: DispatchedJob,
    notBefore: number,
    { place }: DispatchOptions = {},
  ): { queueUrl: string; entry: Omit<SendMessageBatchRequestEntry, 'Id'> } {
    const delaySeconds = Math.max(0, Math.ceil((notBefore - Date.now()) / 1000));
    if (delaySeconds <= MAX_SQS_DELAY_SECONDS) {
      const queue = queueAddress(this.topology, queueOf(job));
      const tenant = tenantOf(job);
      const body = encodeJobMessage(job.id, {
        attempts: job.attempts,
        type: job.type,
        due: notBefore,
        tenant,
        ...(place && { place }),
      });
      return { queueUrl: queue.url, entry: { MessageBody: body, DelaySeconds: delaySeconds, MessageGroupId: tenant } };
    }
    const { id: jobId, type, capacity, priority, attempts } = job;
    return {
      queueUrl: this.queues.schedulerQueueUrl,
      entry: { MessageBody: encodeScheduledStart({ jobId, type, capacity, priority, attempts, notBefore }) },
    };
  }
}

const queueOf = (job: Pick<Job, 'capacity' | 'priority'>): QueueKey => queueKey(job.capacity, job.priority);
