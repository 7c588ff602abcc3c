import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { chunks, inWaves } from '../../aws/batches.ts';
import type { Job } from '../model/index.ts';
import type { CreateOutcome, IdempotencyRecord } from './job-store.ts';
import { jobItem } from './status-key.ts';

/** A job to create, with the record its idempotency key gets. */
export interface NewJobItem {
  job: Job;
  idempotency?: IdempotencyRecord;
}

/** What became of one item: created, its key's earlier record, or the error its writes still met. */
export type CreateManyOutcome = CreateOutcome | { created: false; failed: Error };

/** BatchWriteItem takes 25 puts; a transaction 100 actions, so 50 keyed jobs (job + key each)... */
const BATCH_WRITE_SIZE = 25;
const KEYED_PER_TRANSACTION = 50;
/** ...and at most 4 MB: payloads are up to 256 KiB each, so keyed jobs are also grouped by size. */
const TRANSACTION_BYTES = 3_500_000;
/** Calls in flight at once: a 1,000-job batch is 40 batch writes; more at once only meets throttling. */
const PARALLEL_CALLS = 8;
/** Tries of a write whose items DynamoDB left unprocessed or whose transaction conflicted. */
const WRITE_TRIES = 5;

type Tables = { jobs: string; idempotency: string };

/**
 * Writes many new jobs in few requests: jobs without a key in batch writes (their ids are fresh,
 * so nothing to condition), keyed jobs with their key records in transactions, where a key already
 * taken comes back as that key's record and the rest of the transaction is written again. Returns
 * one outcome per item, in order; an item is `failed` only after its writes were retried.
 */
export async function createMany(
  db: DynamoDBDocumentClient,
  tables: Tables,
  items: NewJobItem[],
): Promise<CreateManyOutcome[]> {
  const outcomes: CreateManyOutcome[] = new Array(items.length);
  const positions = items.map((_, index) => index);
  const keyless = positions.filter((i) => !items[i]!.idempotency);
  const keyed = positions.filter((i) => items[i]!.idempotency);
  const calls = [
    ...chunks(keyless, BATCH_WRITE_SIZE).map((chunk) => () => writeKeyless(db, tables, items, chunk, outcomes)),
    ...transactions(keyed, items).map((chunk) => () => writeKeyed(db, tables, items, chunk, outcomes)),
  ];
  await inWaves(calls, PARALLEL_CALLS);
  return outcomes;
}

async function writeKeyless(
  db: DynamoDBDocumentClient,
  tables: Tables,
  items: NewJobItem[],
  chunk: number[],
  outcomes: CreateManyOutcome[],
): Promise<void> {
  let pending = chunk;
  for (let attempt = 1; pending.length > 0; attempt++) {
    try {
      const { UnprocessedItems } = await db.send(
        new BatchWriteCommand({
          RequestItems: { [tables.jobs]: pending.map((i) => ({ PutRequest: { Item: jobItem(items[i]!.job) } })) },
        }),
      );
      const unprocessed = new Set((UnprocessedItems?.[tables.jobs] ?? []).map((r) => r.PutRequest?.Item?.id));
      for (const i of pending) if (!unprocessed.has(items[i]!.job.id)) outcomes[i] = { created: true };
      pending = pending.filter((i) => unprocessed.has(items[i]!.job.id));
      if (pending.length > 0 && attempt >= WRITE_TRIES) throw new Error('DynamoDB left the writes unprocessed');
    } catch (error) {
      if (attempt >= WRITE_TRIES) {
        for (const i of pending) outcomes[i] = { created: false, failed: error as Error };
        return;
      }
    }
    if (pending.length > 0) await backOff(attempt);
  }
}

async function writeKeyed(
  db: DynamoDBDocumentClient,
  tables: Tables,
  items: NewJobItem[],
  chunk: number[],
  outcomes: CreateManyOutcome[],
): Promise<void> {
  let pending = chunk;
  for (let attempt = 1; pending.length > 0; attempt++) {
    try {
      await db.send(
        new TransactWriteCommand({ TransactItems: pending.flatMap((i) => keyedWrites(tables, items[i]!)) }),
      );
      for (const i of pending) outcomes[i] = { created: true };
      return;
    } catch (error) {
      // Each job is two actions (job, key): a taken key is the second's ConditionalCheckFailed.
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      const taken = pending.filter((_, n) => reasons[2 * n + 1]?.Code === 'ConditionalCheckFailed');
      for (const i of taken) {
        const item = reasons[2 * pending.indexOf(i) + 1]!.Item;
        outcomes[i] = item
          ? { created: false, existing: unmarshall(item) as IdempotencyRecord }
          : { created: false, failed: error as Error };
      }
      pending = pending.filter((i) => !taken.includes(i));
      // A taken key is settled, not a failure: the rest is written again at once.
      if (taken.length === 0 && attempt >= WRITE_TRIES) {
        for (const i of pending) outcomes[i] = { created: false, failed: error as Error };
        return;
      }
      if (taken.length === 0) await backOff(attempt);
    }
  }
}

function keyedWrites(
  tables: Tables,
  { job, idempotency }: NewJobItem,
): TransactWriteCommandInput['TransactItems'] & {} {
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

/** Keyed items in groups a transaction takes: at most KEYED_PER_TRANSACTION, about TRANSACTION_BYTES. */
function transactions(keyed: number[], items: NewJobItem[]): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let bytes = 0;
  for (const i of keyed) {
    // The payload dominates an item; 1 KB covers the rest of the job and its key record.
    const size = Buffer.byteLength(items[i]!.job.payload ?? '') + 1024;
    if (group.length === KEYED_PER_TRANSACTION || (group.length > 0 && bytes + size > TRANSACTION_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(i);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Full-jitter exponential pause, as the SDK's own retries do. */
const backOff = (attempt: number) => sleep(Math.random() * 50 * 2 ** attempt);
