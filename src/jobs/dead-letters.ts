import { GetQueueAttributesCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { ApiError } from '../api/api-error.ts';
import { CAPACITIES, type Capacity, type Priority, PRIORITIES, queueKey } from './classes.ts';
import type { Job } from './job.ts';
import type { JobDispatcher } from './job-dispatcher.ts';
import { type JobStore, StaleJobError, statusKey } from './job-store.ts';
import { requeueDeadJob } from './requeue-job.ts';
import { queueAddress, type QueueTopology } from './topology.ts';

/**
 * The dead-letter list: jobs that ended DEAD, per capacity class and priority, read from the jobs
 * table's `byStatus` index (their attempt history included). Messages SQS itself dead-lettered
 * (ones no worker could read or settle `maxReceiveCount` times) sit in the per-queue DLQs.
 */

export const DeadLetterQuerySchema = z.strictObject({
  priority: z.enum(PRIORITIES).optional(),
  capacity: z.enum(CAPACITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().optional(),
});
export type DeadLetterQuery = z.output<typeof DeadLetterQuerySchema>;

const CursorSchema = z.object({ p: z.int().min(0), k: z.record(z.string(), z.unknown()).optional() });
type Cursor = z.infer<typeof CursorSchema>;

/** The `status#capacity#priority` partitions a query covers, in a fixed order. */
function partitions(query: { capacity?: Capacity; priority?: Priority }): { capacity: Capacity; priority: Priority }[] {
  return CAPACITIES.filter((c) => !query.capacity || c === query.capacity).flatMap((capacity) =>
    PRIORITIES.filter((p) => !query.priority || p === query.priority).map((priority) => ({ capacity, priority })),
  );
}

/**
 * One page of dead jobs. Partitions are read in turn (cpu before gpu, critical before low), each
 * oldest first; the opaque cursor says where the next page starts.
 */
export async function listDeadJobs(store: JobStore, query: DeadLetterQuery): Promise<{ jobs: Job[]; cursor: string | null }> {
  const parts = partitions(query);
  let position: Cursor | undefined = decodeCursor(query.cursor, parts.length);
  const jobs: Job[] = [];
  while (position && jobs.length < query.limit) {
    const part = parts[position.p]!;
    const page = await store.listByStatus(statusKey({ status: 'DEAD', ...part }), query.limit - jobs.length, position.k);
    jobs.push(...page.jobs);
    position = page.nextKey ? { p: position.p, k: page.nextKey } : position.p + 1 < parts.length ? { p: position.p + 1 } : undefined;
  }
  return { jobs, cursor: position ? Buffer.from(JSON.stringify(position)).toString('base64url') : null };
}

function decodeCursor(cursor: string | undefined, partitionCount: number): Cursor {
  if (cursor === undefined) return { p: 0 };
  try {
    const position = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (position.p < partitionCount) return position;
  } catch {
    // Reported below.
  }
  throw ApiError.validation([{ path: 'cursor', message: 'not a cursor from a previous page of this query' }]);
}

export const RedriveRequestSchema = z.strictObject({
  capacity: z.enum(CAPACITIES),
  priority: z.enum(PRIORITIES),
  /** Jobs requeued by this call; call again while `remaining` is true. */
  limit: z.int().min(1).max(500).default(100),
});
export type RedriveRequest = z.output<typeof RedriveRequestSchema>;

export interface RedriveResult {
  requeued: number;
  remaining: boolean;
  /** The SQS message-move task that returns the queue's dead-lettered messages, if one started. */
  messageMoveTask: string | null;
}

/**
 * Bulk redrive of one queue's dead letters: requeues up to `limit` dead jobs (fresh budgets,
 * history kept) and starts an SQS message-move task that returns the DLQ's messages to the queue.
 */
export async function redriveDeadLetters(
  deps: { store: JobStore; dispatcher: JobDispatcher; sqs: SQSClient; topology: QueueTopology },
  request: RedriveRequest,
): Promise<RedriveResult> {
  const key = statusKey({ status: 'DEAD', capacity: request.capacity, priority: request.priority });
  const { jobs, nextKey } = await deps.store.listByStatus(key, request.limit);
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
  const { Attributes } = await deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  let messageMoveTask: string | null = null;
  if (Number(Attributes?.ApproximateNumberOfMessages ?? 0) > 0) {
    const task = await deps.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queue.dlqArn, DestinationArn: queue.arn }));
    messageMoveTask = task.TaskHandle ?? null;
  }
  return { requeued, remaining: nextKey !== undefined, messageMoveTask };
}
