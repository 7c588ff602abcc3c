import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Job } from '../model/index.ts';
import { jobItem } from './status-key.ts';

export interface IdempotencyRecord {
  key: string;
  jobId: string;
  requestHash: string;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
}

export type CreateOutcome = { created: true } | { created: false; existing: IdempotencyRecord };

/** A job to create, with the record its idempotency key gets. */
export interface NewJobItem {
  job: Job;
  idempotency?: IdempotencyRecord;
}

/** One write of a transaction. */
export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The two writes that create a keyed job, in this order: the job, then its key's record. A key
 * already taken fails the second write, and the cancelled transaction carries that key's record.
 */
export function keyedJobWrites(
  tables: { jobs: string; idempotency: string },
  job: Job,
  idempotency: IdempotencyRecord,
): [TransactWriteItem, TransactWriteItem] {
  return [
    { Put: { TableName: tables.jobs, Item: jobItem(job), ConditionExpression: 'attribute_not_exists(id)' } },
    {
      Put: {
        TableName: tables.idempotency,
        Item: idempotency,
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': 'key' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ];
}

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
