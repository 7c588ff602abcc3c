import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { retryLeftovers } from '../../aws/retries.ts';
import type { Job } from '../model/index.ts';
import { batchGet } from './batch-get.ts';
import type { JobTables, TransactWriteItem } from './job-tables.ts';
import { jobItem } from './status-key.ts';

export interface IdempotencyRecord {
  key: string;
  jobId: string;
  requestHash: string;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
}

export type CreateOutcome = KeyedOutcome<IdempotencyRecord>;
/** A keyed create: written, or the key was taken and this is its record (nothing written). */
export type KeyedOutcome<R extends KeyRecord = KeyRecord> = { created: true } | { created: false; existing: R };

/** A job to create, with the record its idempotency key gets. */
export interface NewJobItem {
  job: Job;
  idempotency?: IdempotencyRecord;
}

/** Tries of a keyed create whose transaction conflicted with another request's. */
const CREATE_TRIES = 5;

/**
 * Writes a new job. With an idempotency record, job and record are written in one transaction,
 * so a key always points at a job that exists; when the key is taken, the existing record comes
 * back instead and nothing is written. `alongside`: conditional writes that must commit with the
 * job or not at all (a tenant's count of waiting jobs), after the job's and the key's; when one's
 * condition fails, nothing is written and the transaction's error is thrown (see conditionFailedAt).
 */
export async function createJob(
  t: JobTables,
  job: Job,
  idempotency?: IdempotencyRecord,
  alongside: TransactWriteItem[] = [],
): Promise<CreateOutcome> {
  if (!idempotency && alongside.length === 0) {
    await t.db.send(new PutCommand(jobPut(t, job)));
    return { created: true };
  }
  const writes = [...(idempotency ? keyedJobWrites(t, job, idempotency) : [{ Put: jobPut(t, job) }]), ...alongside];
  return transactKeyed(t, writes, idempotency ? 1 : undefined);
}

/**
 * Writes a new item of another kind (a workflow) and the record of the key that created it, in one
 * transaction: `put` must be conditional on the item being new. The record names the item its own
 * way (`workflowId`); a key is one namespace, so a job's key used for a workflow is taken, and the
 * request hashes, which never match across kinds, make it a conflict. Generic only so that a
 * record's own fields are not excess properties.
 */
export function createKeyed<R extends KeyRecord>(
  t: JobTables,
  put: TransactWriteItem,
  record: R,
): Promise<KeyedOutcome> {
  return transactKeyed(t, [put, keyPut(t, record)], 1);
}

/** What every key's record holds, whatever the key created. */
export type KeyRecord = Omit<IdempotencyRecord, 'jobId'>;

/**
 * One transaction, the key's record at `keyIndex` (if any): a taken key answers its record,
 * anything else throws. Concurrent requests with one key (or one tenant's count) collide as
 * TransactionConflict: once the winner commits, a retry finds its record (or the count it left).
 */
async function transactKeyed(
  t: JobTables,
  writes: TransactWriteItem[],
  keyIndex: number | undefined,
): Promise<CreateOutcome> {
  const keyTaken = (error: unknown) => (keyIndex === undefined ? undefined : takenKey(error, keyIndex)?.record);
  try {
    const { left, error } = await retryLeftovers(
      [writes],
      async () => {
        await t.db.send(new TransactWriteCommand({ TransactItems: writes }));
        return [];
      },
      { tries: CREATE_TRIES, pauseMs: 10, retryable: (e) => !keyTaken(e) && isConflict(e) },
    );
    if (left.length > 0) throw error;
    return { created: true };
  } catch (error) {
    const existing = keyTaken(error);
    if (existing) return { created: false, existing };
    throw error;
  }
}

const jobPut = (t: Pick<JobTables, 'jobs'>, job: Job) => ({
  TableName: t.jobs,
  Item: jobItem(job),
  ConditionExpression: 'attribute_not_exists(id)',
});

/** The record an idempotency key points at, if the key was used. */
export async function idempotencyRecord(t: JobTables, key: string): Promise<IdempotencyRecord | undefined> {
  const { Item } = await t.db.send(new GetCommand({ TableName: t.idempotency, Key: { key }, ConsistentRead: true }));
  return Item as IdempotencyRecord | undefined;
}

/** The records of those of `keys` that were used, in no particular order. */
export async function idempotencyRecords(t: JobTables, keys: string[]): Promise<IdempotencyRecord[]> {
  return (await batchGet(t.db, t.idempotency, 'key', keys, true)) as IdempotencyRecord[];
}

/**
 * The two writes that create a keyed job, in this order: the job, then its key's record. A key
 * already taken fails the second write, and the cancelled transaction carries that key's record.
 */
export function keyedJobWrites(
  tables: Pick<JobTables, 'jobs' | 'idempotency'>,
  job: Job,
  idempotency: IdempotencyRecord,
): [TransactWriteItem, TransactWriteItem] {
  return [{ Put: jobPut(tables, job) }, keyPut(tables, idempotency)];
}

/** A key's record, written only while the key is free; a taken key's cancelled transaction carries its record. */
const keyPut = (tables: Pick<JobTables, 'idempotency'>, record: KeyRecord): TransactWriteItem => ({
  Put: {
    TableName: tables.idempotency,
    Item: record,
    ConditionExpression: 'attribute_not_exists(#key)',
    ExpressionAttributeNames: { '#key': 'key' },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/**
 * Whether the transaction failed because the key written at `index` (see keyedJobWrites) was
 * taken, and that key's record when the error carries it; `undefined` for any other failure.
 */
export function takenKey(error: unknown, index: number): { record?: IdempotencyRecord } | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const reason = error.CancellationReasons?.[index];
  if (reason?.Code !== 'ConditionalCheckFailed') return undefined;
  return { record: reason.Item && (unmarshall(reason.Item) as IdempotencyRecord) };
}

const isConflict = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  error.CancellationReasons?.some((reason) => reason.Code === 'TransactionConflict') === true;
