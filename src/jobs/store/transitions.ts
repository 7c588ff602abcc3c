import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type AttemptRecord,
  assertTransition,
  type Job,
  type JobStatus,
  type Lease,
  StaleJobError,
} from '../model/index.ts';
import { setRecordFields } from './attempt-writes.ts';
import { ifConditionHeld } from './conditional-write.ts';
import type { JobTables, TransactWriteItem } from './job-tables.ts';
import { STATUS_SHARD_ATTRIBUTE, statusShardKey } from './status-key.ts';
import { UpdateExpressionBuilder } from './update-expression.ts';

/** What a caller may change alongside a status change. */
export type JobPatch = Partial<Omit<Job, 'id' | 'status' | 'version' | 'updatedAt'>>;

export interface TransitionChange {
  set?: JobPatch;
  remove?: (keyof Job)[];
  /** Writes of other tables (a handler's side effects), committed in the same transaction. */
  alsoWrite?: TransactWriteItem[];
  /** Fields to set on attempt records, by position in the attempt log. */
  attemptUpdates?: { index: number; fields: Partial<AttemptRecord> }[];
  /** Settling a running job: the write holds while this attempt (lease key) still holds its lease. */
  holder?: string;
}

/**
 * Moves a job from the status it was read in to `to`, applying `change`. The write holds only if
 * nobody changed the job since it was read (`version`), or, for an attempt settling a running
 * job, if that attempt still holds its lease (`change.holder`): a job may run two attempts at
 * once (speculation), and whichever settles first wins. Writes in `change.alsoWrite` (a
 * handler's side effects) commit in the same transaction. Returns the job as written.
 */
export async function transition(t: JobTables, job: Job, to: JobStatus, change: TransitionChange = {}): Promise<Job> {
  assertTransition(job.status, to);
  const { set = {}, remove = [], alsoWrite = [], attemptUpdates = [], holder } = change;
  const now = new Date().toISOString();
  const attemptLog = (set.attemptLog ?? job.attemptLog).map((record, i) => {
    const update = attemptUpdates.find((u) => u.index === i);
    return update ? { ...record, ...update.fields } : record;
  });
  const next: Job = { ...job, ...set, attemptLog, status: to, version: job.version + 1, updatedAt: now };
  for (const attribute of remove) delete next[attribute];

  const update = new UpdateExpressionBuilder();
  // A caller replacing the whole log (a claim, under the version it read) writes it with its record
  // updates applied: DynamoDB refuses an update that sets a list and a path inside it.
  const written = set.attemptLog === undefined ? set : { ...set, attemptLog };
  // Leaving an indexed status removes the index key: absent keys cost the index nothing.
  for (const [attribute, value] of Object.entries({
    ...written,
    status: to,
    updatedAt: now,
    [STATUS_SHARD_ATTRIBUTE]: statusShardKey(next),
  })) {
    // An undefined field (a handler that returned nothing) is removed, not written as a missing value.
    if (value === undefined) update.remove([attribute]);
    else update.set([attribute], value);
  }
  // Otherwise attempt records are updated in place by index (the log only grows), so two attempts
  // settling around the same time never overwrite each other's records.
  if (set.attemptLog === undefined)
    for (const { index, fields } of attemptUpdates) setRecordFields(update, index, fields);
  update.add('version', 1);
  for (const attribute of remove) update.remove([attribute]);
  update.when(
    update.equals('status', job.status),
    holder === undefined ? update.equals('version', job.version) : update.exists(['leases', holder]),
  );
  const write = { TableName: t.jobs, Key: { id: job.id }, ...update.build() };
  const sent = await ifConditionHeld<unknown>(
    alsoWrite.length === 0
      ? t.db.send(new UpdateCommand(write))
      : t.db.send(new TransactWriteCommand({ TransactItems: [{ Update: write }, ...alsoWrite] })),
  );
  if (sent === undefined) throw new StaleJobError(job.id);
  return next;
}

/**
 * Starts a waiting job without reading it first (a worker's claim from the job's message): one of
 * `from` → RUNNING with its next attempt, provided it has made `attempts` attempts and is due at
 * `start.at`. Returns the job as written; when the condition fails, the job as it is instead
 * (undefined when DynamoDB returned none: no job, or not returned), so the caller decides
 * without a second read.
 */
export async function startUnread(
  t: JobTables,
  id: string,
  from: readonly JobStatus[],
  attempts: number,
  start: { at: string; leases: Record<string, Lease>; record: AttemptRecord },
): Promise<{ started: Job } | { current: Job | undefined }> {
  for (const status of from) assertTransition(status, 'RUNNING');
  const update = new UpdateExpressionBuilder()
    .set('status', 'RUNNING')
    .set('attempts', attempts + 1)
    .set('leases', start.leases)
    .setIfMissing('startedAt', start.at)
    .append('attemptLog', [start.record])
    .set('updatedAt', start.at)
    .add('version', 1)
    .remove('runAt')
    .remove('speculation')
    .remove(STATUS_SHARD_ATTRIBUTE);
  update.when(
    update.isOneOf('status', from),
    update.equals('attempts', attempts),
    update.anyOf(update.notExists('runAt'), update.atMost('runAt', start.at)),
  );
  try {
    const { Attributes } = await t.db.send(
      new UpdateCommand({
        TableName: t.jobs,
        Key: { id },
        ...update.build(),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { started: Attributes as Job };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The item that failed the condition comes with the error; none when there is no job (or an
    // emulator leaves it out): the caller reads then, once, with its own waits for a missing job.
    return { current: error.Item ? (unmarshall(error.Item) as Job) : undefined };
  }
}
