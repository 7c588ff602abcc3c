import { randomUUID } from 'node:crypto';
import { inWaves } from '../../aws/batches.ts';
import { windowFollowUp, windowOf } from '../fairness/index.ts';
import {
  EnqueueFailedError,
  IdempotencyKeyReusedError,
  type Job,
  TenantQueueFullError,
  tenantOf,
} from '../model/index.ts';
import type { CreateManyOutcome } from '../store/index.ts';
import type { JobRequest } from './job-request.ts';
import { createCounted, type NewJob, newJob, replay, type SubmitDeps } from './submit-job.ts';

/** What became of one job of a batch, as `POST /jobs` would have answered it alone. */
export type BatchOutcome = { job: Job; replayed: boolean } | { error: Error };

/** Replays read one item each; a few at a time. */
const PARALLEL_READS = 16;

/**
 * Submits many jobs at once, each exactly as `submitJob` would (its own validation, its own
 * idempotency key, its message sent before its job is written), but in batches: messages in
 * SendMessageBatch, jobs and key records in BatchWriteItem and transactions — a few dozen requests
 * for a thousand jobs instead of two thousand. One job's failure is its own outcome; the others go
 * on. A job whose message could not be sent is not written.
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
  const outcomes = new Array<BatchOutcome>(built.length);
  // A key given twice in one batch is written once; its later uses replay (or conflict with) the first.
  const firstWithKey = new Map<string, number>();
  const toSend: number[] = [];
  built.forEach((item, index) => {
    if (item instanceof Error) {
      outcomes[index] = { error: item };
      return;
    }
    const key = item.idempotency?.key;
    if (key !== undefined && firstWithKey.has(key)) return;
    if (key !== undefined) firstWithKey.set(key, index);
    toSend.push(index);
  });

  // Keys used before replay their jobs and send nothing.
  const keys = toSend.flatMap((index) => (built[index] as NewJob).idempotency?.key ?? []);
  const records = new Map((await deps.store.idempotencyRecords(keys)).map((record) => [record.key, record]));
  const replays = await inWaves(
    toSend.map((index) => async () => {
      const { idempotency } = built[index] as NewJob;
      const record = idempotency && records.get(idempotency.key);
      return record && settle(() => replay(deps.store, record, idempotency.requestHash));
    }),
    PARALLEL_READS,
  );
  toSend.forEach((index, n) => {
    if (replays[n]) outcomes[index] = replays[n];
  });
  const { fresh, caps } = await withinCaps(
    deps,
    built,
    toSend.filter((index) => outcomes[index] === undefined),
    outcomes,
  );

  // Jobs due now take places in their tenants' windows (several per write) or are held, unsent.
  const due = fresh.map((index) => built[index] as NewJob).filter((item) => item.notBefore <= now.getTime());
  const placed = deps.fairness ? await deps.fairness.admit(due.map((item) => item.job)) : new Set<string>();
  const held = deps.fairness ? due.filter((item) => !placed.has(item.job.id)) : [];
  for (const item of held) item.job.status = 'HELD';
  const unsent = await deps.dispatcher.dispatchMany(
    fresh.flatMap((index) => {
      const { job, notBefore } = built[index] as NewJob;
      return job.status === 'HELD' ? [] : [{ job, notBefore, place: placed.has(job.id) }];
    }),
  );
  const toWrite = fresh.filter((index) => {
    if (!unsent.has((built[index] as NewJob).job.id)) return true;
    outcomes[index] = { error: new EnqueueFailedError(new Error('SQS did not take its message')) };
    return false;
  });
  // Places of jobs that were not sent go back (a failure leaves them to their leases).
  const unsentPlaces = due.filter((item) => unsent.has(item.job.id) && placed.has(item.job.id));
  await Promise.all(
    unsentPlaces.map(({ job }) =>
      windowFollowUp(deps.log, 'giving back an unsent job’s place', deps.fairness?.giveBack(windowOf(job), job.id)),
    ),
  );
  const written = await writeAll(deps, built, toWrite, caps);
  // Holds counted for jobs not written (a replayed key, a failed write) are uncounted.
  const unwritten = toWrite.flatMap((index) => {
    const { job } = built[index] as NewJob;
    const outcome = written.get(index)!;
    return job.status === 'HELD' && ('error' in outcome || !outcome.created) ? [job] : [];
  });
  if (unwritten.length > 0)
    await windowFollowUp(deps.log, 'uncounting unwritten holds', deps.fairness?.unhold(unwritten));
  // Every place may have freed while the held jobs were written; a failed release is left to claims and the reaper.
  if (held.length > 0)
    await windowFollowUp(deps.log, 'releasing after holds', deps.fairness?.afterHold(held.map((item) => item.job)));
  const settled = await inWaves(
    toWrite.map((index) => () => settleWrite(deps, built[index] as NewJob, written.get(index)!)),
    PARALLEL_READS,
  );
  toWrite.forEach((index, n) => {
    outcomes[index] = settled[n]!;
  });

  built.forEach((item, index) => {
    if (outcomes[index] !== undefined) return;
    const first = firstWithKey.get((item as NewJob).idempotency!.key)!;
    outcomes[index] = repeated(outcomes[first]!, built[first] as NewJob, item as NewJob);
  });
  return outcomes;
}

type Cap = { cap: number; tenant: string };
type Written = CreateManyOutcome | { error: Error };

/**
 * The fresh items within their tenants' caps on waiting jobs: of a capped tenant's items, as many
 * pass (in order, marked counted) as its cap has room for now; the others are refused before
 * anything is sent. Tenants without a cap cost nothing.
 */
async function withinCaps(
  deps: SubmitDeps,
  built: (NewJob | Error)[],
  fresh: number[],
  outcomes: BatchOutcome[],
): Promise<{ fresh: number[]; caps: Map<number, Cap> }> {
  const caps = new Map<number, Cap>();
  const { queuedCap } = deps;
  if (!queuedCap) return { fresh, caps };
  const byTenant = groupBy(fresh, (index) => tenantOf((built[index] as NewJob).job));
  await inWaves(
    [...byTenant].map(([tenant, indexes]) => async () => {
      const cap = await queuedCap.capOf(tenant);
      if (cap === undefined) return;
      const room = cap - (await queuedCap.waiting(tenant));
      indexes.forEach((index, n) => {
        if (n >= room) {
          outcomes[index] = { error: new TenantQueueFullError(tenant, cap, queuedCap.retryAfterSeconds) };
          return;
        }
        (built[index] as NewJob).job.queuedCounted = true;
        caps.set(index, { cap, tenant });
      });
    }),
    PARALLEL_READS,
  );
  return { fresh: fresh.filter((index) => outcomes[index] === undefined), caps };
}

/**
 * Writes the items: uncounted ones in batches (createMany), counted ones each in its own
 * transaction with its tenant's count, one at a time per tenant, since writes to one count at once
 * would only conflict.
 */
async function writeAll(
  deps: SubmitDeps,
  built: (NewJob | Error)[],
  toWrite: number[],
  caps: Map<number, Cap>,
): Promise<Map<number, Written>> {
  const plain = toWrite.filter((index) => !caps.has(index));
  const written = new Map<number, Written>();
  const created = await deps.store.createMany(plain.map((index) => built[index] as NewJob));
  for (const [n, index] of plain.entries()) written.set(index, created[n]!);
  const byTenant = groupBy(
    toWrite.filter((index) => caps.has(index)),
    (index) => caps.get(index)!.tenant,
  );
  await inWaves(
    [...byTenant.values()].map((indexes) => async () => {
      for (const index of indexes) {
        const outcome = await createCounted(deps, built[index] as NewJob, caps.get(index)).catch(
          (error: Error): Written => ({ created: false, failed: error }),
        );
        written.set(index, outcome);
      }
    }),
    PARALLEL_READS,
  );
  return written;
}

/** The outcome of one job's write: created, its key's earlier job (a concurrent repeat), or the write's error. */
function settleWrite(deps: SubmitDeps, item: NewJob, written: Written): Promise<BatchOutcome> {
  if ('error' in written) return Promise.resolve({ error: written.error });
  if ('failed' in written) return Promise.resolve({ error: new EnqueueFailedError(written.failed) });
  if (!written.created) return settle(() => replay(deps.store, written.existing, item.idempotency!.requestHash));
  return Promise.resolve({ job: item.job, replayed: false });
}

/** A replay as an outcome: its job, or the error it met. */
async function settle(read: () => Promise<BatchOutcome>): Promise<BatchOutcome> {
  try {
    return await read();
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

/** Items by key, each group in order (Map.groupBy, which Node 20 lacks). */
function groupBy<T, K>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key) ?? [];
    group.push(item);
    groups.set(key, group);
  }
  return groups;
}
