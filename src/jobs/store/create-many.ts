import { BatchWriteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { chunks, inWaves } from '../../aws/batches.ts';
import { retryLeftovers } from '../../aws/retries.ts';
import { type CreateOutcome, keyedJobWrites, type NewJobItem, takenKey } from './idempotency.ts';
import type { JobTables } from './job-tables.ts';
import { jobItem } from './status-key.ts';

/** What became of one item: created, its key's earlier record, or the error its writes still met. */
export type CreateManyOutcome = CreateOutcome | { created: false; failed: Error };

/** BatchWriteItem takes 25 puts; a transaction 100 actions, so 50 keyed jobs (job + key each)... */
const BATCH_WRITE_SIZE = 25;
const KEYED_PER_TRANSACTION = 50;
/** ...and at most 4 MB: payloads are up to 256 KiB each, so keyed jobs are also grouped by size. */
const TRANSACTION_BYTES = 3_500_000;
/**
 * Calls in flight at once. A 1,000-job batch is 40 batch writes; 2 at once keep one call under the
 * 4,000 writes a second a new on-demand table takes before it adapts, and leave other tenants' calls
 * room: with 8, a flood's 4 batch calls put 32 writes ahead of every other call on the local
 * emulator, and a quiet tenant's submit took over a second (docs/fairness.md, "Measured").
 */
const PARALLEL_CALLS = 2;
/** Tries of a write whose items DynamoDB left unprocessed or whose transaction conflicted. */
const WRITE_TRIES = 5;

/**
 * Writes many new jobs in few requests: jobs without a key in batch writes (their ids are fresh,
 * so nothing to condition), keyed jobs with their key records in transactions, where a key already
 * taken comes back as that key's record and the rest of the transaction is written again. Returns
 * one outcome per item, in order; an item is `failed` only after its writes were retried.
 */
export async function createMany(t: JobTables, items: NewJobItem[]): Promise<CreateManyOutcome[]> {
  const outcomes: CreateManyOutcome[] = new Array(items.length);
  const positions = items.map((_, index) => index);
  const keyless = positions.filter((i) => !items[i]!.idempotency);
  const keyed = positions.filter((i) => items[i]!.idempotency);
  const calls = [
    ...chunks(keyless, BATCH_WRITE_SIZE).map((chunk) => () => writeKeyless(t, items, chunk, outcomes)),
    ...transactions(keyed, items).map((chunk) => () => writeKeyed(t, items, chunk, outcomes)),
  ];
  await inWaves(calls, PARALLEL_CALLS);
  return outcomes;
}

async function writeKeyless(
  t: JobTables,
  items: NewJobItem[],
  chunk: number[],
  outcomes: CreateManyOutcome[],
): Promise<void> {
  const { left, error } = await retryLeftovers(
    chunk,
    async (pending) => {
      const { UnprocessedItems } = await t.db.send(
        new BatchWriteCommand({
          RequestItems: { [t.jobs]: pending.map((i) => ({ PutRequest: { Item: jobItem(items[i]!.job) } })) },
        }),
      );
      const unprocessed = new Set((UnprocessedItems?.[t.jobs] ?? []).map((r) => r.PutRequest?.Item?.id));
      for (const i of pending) if (!unprocessed.has(items[i]!.job.id)) outcomes[i] = { created: true };
      return pending.filter((i) => unprocessed.has(items[i]!.job.id));
    },
    { tries: WRITE_TRIES },
  );
  const failed = (error as Error | undefined) ?? new Error('DynamoDB left the writes unprocessed');
  for (const i of left) outcomes[i] = { created: false, failed };
}

async function writeKeyed(
  t: JobTables,
  items: NewJobItem[],
  chunk: number[],
  outcomes: CreateManyOutcome[],
): Promise<void> {
  const { left, error } = await retryLeftovers(
    chunk,
    async (pending) => {
      try {
        await t.db.send(
          new TransactWriteCommand({
            TransactItems: pending.flatMap((i) => keyedJobWrites(t, items[i]!.job, items[i]!.idempotency!)),
          }),
        );
        for (const i of pending) outcomes[i] = { created: true };
        return [];
      } catch (error) {
        // Each job is two actions (job, key): a taken key fails the second. A taken key is settled,
        // not a failure: the rest is written again.
        const keys = new Map(pending.map((i, n) => [i, takenKey(error, 2 * n + 1)]));
        const taken = pending.filter((i) => keys.get(i));
        if (taken.length === 0) throw error;
        for (const i of taken) {
          const { record } = keys.get(i)!;
          outcomes[i] = record ? { created: false, existing: record } : { created: false, failed: error as Error };
        }
        return pending.filter((i) => !keys.get(i));
      }
    },
    { tries: WRITE_TRIES },
  );
  const failed = (error as Error | undefined) ?? new Error('DynamoDB refused the transaction');
  for (const i of left) outcomes[i] = { created: false, failed };
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
