import type { Job, Speculation } from '../model/index.ts';
import { type JobTables, updateJobIf, updateJobOrStale } from './job-tables.ts';
import { UpdateExpressionBuilder } from './update-expression.ts';

// Flags and counters on a job that are not transitions: the job keeps its status and version, so
// a worker's claim or settle never conflicts with them. Each is written by the one caller whose
// condition holds.

/**
 * Flags a running job for cancellation; its worker sees the flag on its next heartbeat. The job
 * stays RUNNING until the worker settles it.
 */
export async function requestCancel(t: JobTables, job: Job): Promise<Job> {
  const update = new UpdateExpressionBuilder().set('cancelRequested', true);
  await updateJobOrStale(
    t,
    job,
    update.when(update.equals('status', 'RUNNING'), update.equals('version', job.version)),
  );
  return { ...job, cancelRequested: true };
}

/**
 * Asks for a speculative backup of a running job: at most one per running period, unless an
 * earlier request was never picked up by a worker before `staleBefore`.
 */
export function requestSpeculation(
  t: JobTables,
  job: Job,
  speculation: Speculation,
  staleBefore: number,
): Promise<boolean> {
  const update = new UpdateExpressionBuilder().set('speculation', speculation);
  return updateJobIf(
    t,
    job,
    update.when(
      update.equals('status', 'RUNNING'),
      update.exists(['leases', speculation.against]),
      update.anyOf(
        update.notExists('speculation'),
        update.allOf(
          update.lessThan('speculation.requestedAt', staleBefore),
          update.notExists('speculation.claimedBy'),
        ),
      ),
    ),
  );
}

/** Records that capacity was requested for a backup nobody took; true for the one caller that did it. */
export function markCapacityRequested(t: JobTables, job: Job, now: number): Promise<boolean> {
  const update = new UpdateExpressionBuilder().set('speculation.capacityRequestedAt', now);
  return updateJobIf(
    t,
    job,
    update.when(
      update.equals('status', 'RUNNING'),
      update.exists('speculation'),
      update.notExists('speculation.claimedBy'),
      update.notExists('speculation.capacityRequestedAt'),
    ),
  );
}

/**
 * Records that the reaper sends a stuck job a fresh message: true for the one caller that may,
 * provided the job is as read and was not re-dispatched since `staleBefore` (epoch ms).
 */
export function markRedispatched(t: JobTables, job: Job, now: number, staleBefore: number): Promise<boolean> {
  const update = new UpdateExpressionBuilder().set('redispatchedAt', now).increment('redispatches');
  return updateJobIf(
    t,
    job,
    update.when(
      update.equals('status', job.status),
      update.equals('version', job.version),
      update.anyOf(update.notExists('redispatchedAt'), update.lessThan('redispatchedAt', staleBefore)),
    ),
  );
}

/** Counts one more of the job's messages reaching an SQS dead-letter queue; false if the job moved since it was read. */
export function countDeadLetterReturn(t: JobTables, job: Job): Promise<boolean> {
  const update = new UpdateExpressionBuilder().increment('deadLetterReturns');
  return updateJobIf(t, job, update.when(update.equals('status', job.status), update.equals('version', job.version)));
}
