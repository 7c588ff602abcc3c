import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AttemptRecord, type Job, type ProgressReport, StaleJobError } from '../model/index.ts';
import { ifConditionHeld } from './conditional-write.ts';
import { type JobTables, updateJobIf, updateJobOrStale } from './job-tables.ts';
import { UpdateExpressionBuilder } from './update-expression.ts';

// Writes of one attempt that are not transitions: they leave the job's status and version alone,
// so they never conflict with a claim or a settle made under the version read.

/**
 * The heartbeat: extends one attempt's lease and records its progress. Fails with StaleJobError
 * when the attempt no longer holds its lease (the job finished on another attempt, or was taken
 * over); returns the job as it is now, so the worker also sees cancellation requests.
 */
export async function heartbeat(
  t: JobTables,
  job: Job,
  holder: string,
  expiresAt: number,
  progress: ProgressReport | undefined,
): Promise<Job> {
  const update = new UpdateExpressionBuilder()
    .set(['leases', holder, 'expiresAt'], expiresAt)
    .set(['leases', holder, 'heartbeatAt'], Date.now());
  if (progress !== undefined)
    update.set(['leases', holder, 'progress'], progress.fraction).set(['leases', holder, 'progressAt'], progress.at);
  if (progress?.rate !== undefined) update.set(['leases', holder, 'progressRate'], progress.rate);
  update.when(update.equals('status', 'RUNNING'), update.exists(['leases', holder]));
  const written = await ifConditionHeld(
    t.db.send(
      new UpdateCommand({ TableName: t.jobs, Key: { id: job.id }, ...update.build(), ReturnValues: 'ALL_NEW' }),
    ),
  );
  if (written === undefined) throw new StaleJobError(job.id);
  return written.Attributes as Job;
}

/**
 * Ends one attempt of a job that keeps running on another attempt (its speculative twin):
 * removes the attempt's lease and closes its record, without a status change.
 */
export async function dropAttempt(
  t: JobTables,
  job: Job,
  holder: string,
  index: number,
  fields: Partial<AttemptRecord>,
): Promise<void> {
  const update = new UpdateExpressionBuilder();
  setRecordFields(update, index, fields);
  update.remove(['leases', holder]).when(update.equals('status', 'RUNNING'), update.exists(['leases', holder]));
  await updateJobOrStale(t, job, update);
}

/**
 * Closes an attempt's record after the job moved on without it (its twin won, or another worker
 * took over): it only fills the record, and only if nobody closed it yet.
 */
export async function closeAttempt(
  t: JobTables,
  job: Job,
  index: number,
  claimId: string,
  fields: Partial<AttemptRecord>,
): Promise<void> {
  const update = new UpdateExpressionBuilder();
  setRecordFields(update, index, fields);
  // A record already closed (e.g. marked lost by the worker that took the job over) stays as it is.
  update.when(
    update.equals(['attemptLog', index, 'claimId'], claimId),
    update.notExists(['attemptLog', index, 'outcome']),
  );
  await updateJobIf(t, job, update);
}

/** Sets an attempt record's defined fields in place, by its position in the attempt log. */
export function setRecordFields(update: UpdateExpressionBuilder, index: number, fields: Partial<AttemptRecord>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value !== undefined) update.set(['attemptLog', index, field], value);
  }
}
