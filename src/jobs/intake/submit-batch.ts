import { randomUUID } from 'node:crypto';
import { inWaves } from '../../aws/batches.ts';
import { EnqueueFailedError, IdempotencyKeyReusedError, type Job } from '../model/index.ts';
import type { CreateManyOutcome } from '../store/index.ts';
import type { JobRequest } from './job-request.ts';
import { type NewJob, newJob, replay, type SubmitDeps } from './submit-job.ts';

/** What became of one job of a batch, as `POST /jobs` would have answered it alone. */
export type BatchOutcome = { job: Job; replayed: boolean } | { error: Error };

/** Replays and clean-ups read or delete one item each; a few at a time. */
const PARALLEL_READS = 16;

/**
 * Submits many jobs at once, each exactly as `submitJob` would (its own validation, its own
 * idempotency key), but written in batches: jobs and key records in BatchWriteItem and
 * transactions, messages in SendMessageBatch — a few dozen requests for a thousand jobs instead of
 * two thousand. One job's failure is its own outcome; the others go on. A job whose message could
 * not be sent is taken back, as a single submit would.
 */
export async function submitBatch(deps: SubmitDeps, requests: JobRequest[]): Promise<BatchOutcome[]> {
  const now = (deps.now ?? (() => new Date()))();
  const newId = deps.newId ?? randomUUID;
  const built = requests.map((request): NewJob | Error => {
    try {
      return newJob(request, now, newId());
    } catch (error) {
      return error as Error;
    }
  });
  // A key given twice in one batch is written once; its later uses replay (or conflict with) the first.
  const firstWithKey = new Map<string, number>();
  const toWrite: number[] = [];
  built.forEach((item, index) => {
    if (item instanceof Error) return;
    const key = item.idempotency?.key;
    if (key !== undefined && firstWithKey.has(key)) return;
    if (key !== undefined) firstWithKey.set(key, index);
    toWrite.push(index);
  });

  const written = await deps.store.createMany(toWrite.map((index) => built[index] as NewJob));
  const created = toWrite.filter((_, n) => written[n]!.created);
  const unsent = await deps.dispatcher.dispatchMany(
    created.map((index) => {
      const { job, notBefore } = built[index] as NewJob;
      return { job, notBefore };
    }),
  );
  const settled = await inWaves(
    toWrite.map((index, n) => () => settle(deps, built[index] as NewJob, written[n]!, unsent)),
    PARALLEL_READS,
  );

  const outcomes = new Array<BatchOutcome>(built.length);
  toWrite.forEach((index, n) => {
    outcomes[index] = settled[n]!;
  });
  built.forEach((item, index) => {
    if (item instanceof Error) outcomes[index] = { error: item };
    else if (outcomes[index] === undefined) {
      const first = firstWithKey.get(item.idempotency!.key)!;
      outcomes[index] = repeated(outcomes[first]!, built[first] as NewJob, item);
    }
  });
  return outcomes;
}

/** The outcome of one written job: created and sent, taken back unsent, or its key's earlier job. */
async function settle(
  deps: SubmitDeps,
  item: NewJob,
  written: CreateManyOutcome,
  unsent: Set<string>,
): Promise<BatchOutcome> {
  try {
    if ('failed' in written) return { error: new EnqueueFailedError(written.failed) };
    if (!written.created) return await replay(deps.store, written.existing, item.idempotency!.requestHash);
    if (!unsent.has(item.job.id)) return { job: item.job, replayed: false };
    await deps.store.discard(item.job);
    return { error: new EnqueueFailedError(new Error('SQS did not take its message')) };
  } catch (error) {
    return { error: error as Error };
  }
}

/** A later use of a key in the same batch: the first's job replayed, or a conflict when the bodies differ. */
function repeated(first: BatchOutcome, firstItem: NewJob, item: NewJob): BatchOutcome {
  if (item.idempotency!.requestHash !== firstItem.idempotency!.requestHash) {
    return {
      error: new IdempotencyKeyReusedError(
        `idempotency key ${item.idempotency!.key} was used for a different request earlier in this batch`,
        [{ path: 'idempotencyKey', message: 'already used with a different body' }],
      ),
    };
  }
  return 'job' in first ? { job: first.job, replayed: true } : first;
}
