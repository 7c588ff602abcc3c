import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { type JobDispatcher, type QueueTopology, queueAddress } from '../dispatch/index.ts';
import { CAPACITIES, PRIORITIES, pageQueryFields, queueKey, StaleJobError } from '../model/index.ts';
import { type JobStore, pageByStatus, type StatusPage } from '../store/index.ts';
import { requeueDeadJob } from './requeue-job.ts';

/**
 * The dead-letter list: jobs that ended DEAD, per capacity class and priority, read from the jobs
 * table's `byStatusShard` index (their attempt history included). Messages SQS itself dead-lettered
 * (ones no worker could read or settle `maxReceiveCount` times) sit in the per-queue DLQs.
 */

export const DeadLetterQuerySchema = z.strictObject(pageQueryFields);
export type DeadLetterQuery = z.output<typeof DeadLetterQuerySchema>;

/** One page of dead jobs, oldest first per queue (order and cursor: `pageByStatus`). */
export function listDeadJobs(store: JobStore, query: DeadLetterQuery): Promise<StatusPage> {
  return pageByStatus(store, 'DEAD', query);
}

export const RedriveRequestSchema = z.strictObject({
  capacity: z.enum(CAPACITIES),
  priority: z.enum(PRIORITIES),
  /** Jobs requeued by this call; call again while `remaining` is true. */
  limit: z.int().min(1).max(500).default(100),
});
export type RedriveRequest = z.output<typeof RedriveRequestSchema>;

export interface RedriveResult {
  /** Dead jobs requeued by this call. */
  requeued: number;
  /** Messages moved from the queue's SQS DLQ back to the queue. */
  messagesMoved: number;
  /** True when dead jobs or DLQ messages are left: call again. */
  remaining: boolean;
}

/**
 * Bulk redrive of one queue's dead letters: requeues up to `limit` dead jobs (fresh budgets,
 * history kept) and moves up to `limit` messages from the queue's SQS DLQ back to the queue.
 * A moved message of a job that already runs or finished is dropped by the claim.
 */
export async function redriveDeadLetters(
  deps: { store: JobStore; dispatcher: JobDispatcher; sqs: SQSClient; topology: QueueTopology },
  request: RedriveRequest,
): Promise<RedriveResult> {
  const { jobs, cursor } = await pageByStatus(deps.store, 'DEAD', request);
  let requeued = 0;
  for (const job of jobs) {
    try {
      await requeueDeadJob(deps.store, deps.dispatcher, job);
      requeued++;
    } catch (error) {
      // Requeued by someone else meanwhile: nothing left to do for it.
      if (!(error instanceof StaleJobError)) throw error;
    }
  }
  const queue = queueAddress(deps.topology, queueKey(request.capacity, request.priority));
  const moved = await moveMessages(deps.sqs, queue.dlqUrl, queue.url, request.limit);
  return { requeued, messagesMoved: moved.count, remaining: cursor !== null || moved.more };
}

/**
 * Moves up to `limit` messages between queues, ten at a time: receive, send, then delete, so a
 * crash in between duplicates a message rather than losing it. (SQS's own message-move tasks do
 * the same on AWS, but local emulators do not implement them; this loop runs on both.)
 */
async function moveMessages(
  sqs: SQSClient,
  from: string,
  to: string,
  limit: number,
): Promise<{ count: number; more: boolean }> {
  let count = 0;
  while (count < limit) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: Math.min(10, limit - count),
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) return { count, more: false };
    const entries = Messages.map((m, i) => ({
      Id: String(i),
      MessageBody: m.Body ?? '',
      ReceiptHandle: m.ReceiptHandle ?? '',
    }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: to,
        Entries: entries.map(({ Id, MessageBody }) => ({ Id, MessageBody })),
      }),
    );
    const delivered = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = entries.filter((e) => delivered.has(e.Id));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from,
          Entries: done.map(({ Id, ReceiptHandle }) => ({ Id, ReceiptHandle })),
        }),
      );
    }
    count += done.length;
    if (done.length < entries.length) return { count, more: true };
  }
  return { count, more: true };
}
