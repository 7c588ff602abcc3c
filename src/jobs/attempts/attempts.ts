import { randomUUID } from 'node:crypto';
import {
  type AttemptOutcome,
  type AttemptRecord,
  backoffSeconds,
  CLAIMABLE_STATUSES,
  isRetryable,
  isTerminal,
  type Job,
  type JobError,
  type Lease,
  type Speculation,
  StaleJobError,
  type StoredObject,
} from '../model/index.ts';
import type { JobStore, TransactWriteItem } from '../store/index.ts';

/**
 * What one attempt of a job goes through on a worker: claim, then exactly one of succeed, fail,
 * cancel or release. A job usually runs one attempt at a time; while the straggler detector races
 * a backup against a slow attempt it runs two, and the first to settle wins. Status changes are
 * lifecycle transitions written under a condition (the version read, or the attempt's lease), so
 * two attempts can never both complete a job.
 */

/** The attempt a worker holds: its lease key and its record's position in the attempt log. */
export interface Attempt {
  claimId: string;
  index: number;
  lease: Lease;
}

/** What a worker should do with a message it received. */
export type ClaimDecision =
  | { action: 'run'; job: Job; attempt: Attempt }
  /** The message is spent: the job is finished, gone, or needs no backup any more. */
  | { action: 'drop'; reason: string }
  /** Not yet, or not here: hide the message again for this long. */
  | { action: 'defer'; seconds: number; reason: string };

export interface ClaimOptions {
  workerId: string;
  leaseSeconds: number;
  /** The message asks for a speculative backup of a straggling attempt. */
  backup?: boolean;
  /** The worker's measured speed, recorded on the lease for the straggler detector. */
  speed?: number;
  /** The worker is measured slow: a backup it ran could straggle too, so it takes none. */
  onProbation?: boolean;
  now?: number;
}

export const JOB_MISSING = 'job does not exist';

/** Longest a message can be hidden again (SQS's visibility limit is 12 hours). */
const MAX_DEFER_SECONDS = 12 * 3600;

/** Leases whose attempts are alive (heartbeating) at `now`. */
export function liveLeases(job: Job, now = Date.now()): [string, Lease][] {
  return Object.entries(job.leases ?? {}).filter(([, lease]) => lease.expiresAt > now);
}

export async function claim(store: JobStore, job: Job | undefined, options: ClaimOptions): Promise<ClaimDecision> {
  const now = options.now ?? Date.now();
  if (!job) return { action: 'drop', reason: JOB_MISSING };
  if (isTerminal(job.status)) return { action: 'drop', reason: `job is ${job.status}` };
  return options.backup ? claimBackup(store, job, options, now) : claimNext(store, job, options, now);
}

async function claimNext(store: JobStore, job: Job, options: ClaimOptions, now: number): Promise<ClaimDecision> {
  const live = liveLeases(job, now);
  if (job.status === 'RUNNING' && live.length > 0) {
    // Another worker is on it; keep the message as a fallback in case that worker dies.
    const until = Math.max(...live.map(([, lease]) => lease.expiresAt));
    return { action: 'defer', seconds: deferSeconds(until - now), reason: 'running elsewhere' };
  }
  if (job.runAt && Date.parse(job.runAt) > now && job.status !== 'RUNNING') {
    return { action: 'defer', seconds: deferSeconds(Date.parse(job.runAt) - now), reason: 'not due yet' };
  }
  if (!CLAIMABLE_STATUSES.includes(job.status)) return { action: 'drop', reason: `job is ${job.status}` };

  const at = new Date(now).toISOString();
  // Taking over from dead workers: their open attempts were lost.
  const lost = openAttempts(job).map((index) => ({
    index,
    fields: { finishedAt: at, outcome: 'lost' as const, error: 'worker stopped heartbeating' },
  }));
  if (job.status === 'RUNNING' && job.attempts >= job.maxAttempts) {
    await store.transition(job, 'DEAD', {
      set: {
        finishedAt: at,
        error: {
          name: 'LeaseLostError',
          message: 'the worker running the last attempt stopped heartbeating',
          retryable: false,
        },
      },
      attemptUpdates: lost,
      remove: ['leases', 'speculation'],
    });
    return { action: 'drop', reason: 'attempts exhausted by lost workers' };
  }
  const attemptNumber = job.attempts + 1;
  const attempt = newAttempt(job.attemptLog.length, options, attemptNumber, now, false);
  const running = await store.transition(job, 'RUNNING', {
    set: {
      attempts: attemptNumber,
      leases: { [attempt.claimId]: attempt.lease },
      startedAt: job.startedAt ?? at,
      attemptLog: [...job.attemptLog, record(attempt, options.workerId, at)],
    },
    attemptUpdates: lost,
    remove: ['runAt', 'speculation'],
  });
  return { action: 'run', job: running, attempt };
}

/** Statuses a job waits in for its next attempt. */
const WAITING_STATUSES = CLAIMABLE_STATUSES.filter((status) => status !== 'RUNNING');

/**
 * The claim from a start's message, in one write and no read: starts the job if it is still as its
 * message said — waiting, `attempts` made, due. Otherwise the job as it is now comes back (undefined
 * when the write did not return it: the caller reads it), for `claim` to decide on.
 */
export async function startFromMessage(
  store: JobStore,
  jobId: string,
  attempts: number,
  options: ClaimOptions,
): Promise<{ decision: ClaimDecision } | { current: Job | undefined }> {
  const now = options.now ?? Date.now();
  const at = new Date(now).toISOString();
  const unplaced = newAttempt(-1, options, attempts + 1, now, false);
  const written = await store.startUnread(jobId, WAITING_STATUSES, attempts, {
    at,
    leases: { [unplaced.claimId]: unplaced.lease },
    record: record(unplaced, options.workerId, at),
  });
  if ('current' in written) return written;
  const attempt = { ...unplaced, index: written.started.attemptLog.length - 1 };
  return { decision: { action: 'run', job: written.started, attempt } };
}

/** A backup runs on another worker than its straggler's, and never on one on probation (measured slow). */
export function mayRunBackup(
  speculation: Pick<Speculation, 'avoidWorker'>,
  worker: { workerId: string; onProbation?: boolean },
): boolean {
  return speculation.avoidWorker !== worker.workerId && !worker.onProbation;
}

/** A backup: runs beside the straggling attempt, on another worker, without using the budget. */
async function claimBackup(store: JobStore, job: Job, options: ClaimOptions, now: number): Promise<ClaimDecision> {
  const speculation = job.speculation;
  const straggler = job.leases?.[speculation?.against ?? ''];
  if (job.status !== 'RUNNING' || !speculation || speculation.claimedBy || !straggler || straggler.expiresAt <= now) {
    return { action: 'drop', reason: 'no backup wanted any more' };
  }
  if (!mayRunBackup(speculation, options))
    return { action: 'defer', seconds: 1, reason: 'a backup must run on another worker, at normal speed' };
  const attempt = newAttempt(job.attemptLog.length, options, job.attempts, now, true);
  const at = new Date(now).toISOString();
  const running = await store.transition(job, 'RUNNING', {
    set: {
      leases: { ...job.leases, [attempt.claimId]: attempt.lease },
      speculation: { ...speculation, claimedBy: attempt.claimId },
      attemptLog: [...job.attemptLog, record(attempt, options.workerId, at, speculation.requestedAt)],
    },
  });
  return { action: 'run', job: running, attempt };
}

/** Records success; `effects` (the handler's writes) commit in the same transaction or not at all. */
export async function succeed(
  store: JobStore,
  job: Job,
  attempt: Attempt,
  result: unknown,
  effects: TransactWriteItem[] = [],
  /** A result kept in the payload bucket instead of the item. */
  resultObject?: StoredObject,
): Promise<Job> {
  const now = new Date().toISOString();
  // Twins this attempt knows of lose the race now; one it does not know of closes its own record.
  const superseded = openAttempts(job)
    .filter((index) => index !== attempt.index)
    .map((index) => ({ index, fields: { finishedAt: now, outcome: 'superseded' as const } }));
  return store.transition(job, 'SUCCEEDED', {
    holder: attempt.claimId,
    set: {
      result: result === undefined || resultObject ? undefined : JSON.stringify(result),
      ...(resultObject && { resultObject }),
      finishedAt: now,
    },
    attemptUpdates: [
      { index: attempt.index, fields: { finishedAt: now, outcome: 'succeeded', won: true } },
      ...superseded,
    ],
    remove: ['leases', 'speculation', 'error', 'cancelRequested'],
    alsoWrite: effects,
  });
}

export type FailureOutcome = {
  job: Job;
  /** When the next attempt may start (the job is RETRYING). */
  retryAt?: number;
  /** The job's other attempt (a speculative twin) still runs, so the job stays RUNNING. */
  twinContinues?: boolean;
};

/**
 * Records a failed attempt: RETRYING with its next start time, or DEAD when no retry is left. While
 * a twin attempt still runs, only this attempt ends: the twin may yet succeed.
 */
export async function fail(
  store: JobStore,
  job: Job,
  attempt: Attempt,
  error: unknown,
  outcome: AttemptOutcome = 'failed',
): Promise<FailureOutcome> {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const jobError = toJobError(error);
  const closed = { finishedAt: at, outcome, error: jobError.message };
  const current = await currentHeldBy(store, job, attempt);
  if (jobError.retryable && hasLiveTwin(current, attempt, now)) {
    await store.dropAttempt(current, attempt.claimId, attempt.index, closed);
    return { job: current, twinContinues: true };
  }
  const settle = {
    holder: attempt.claimId,
    attemptUpdates: [{ index: attempt.index, fields: closed }],
    remove: ['leases', 'speculation'] as (keyof Job)[],
  };
  if (!jobError.retryable || current.attempts >= current.maxAttempts) {
    return { job: await store.transition(current, 'DEAD', { ...settle, set: { error: jobError, finishedAt: at } }) };
  }
  const retryAt = now + backoffSeconds(current.backoff, current.attempts) * 1000;
  const retrying = await store.transition(current, 'RETRYING', {
    ...settle,
    set: { error: jobError, runAt: new Date(retryAt).toISOString() },
  });
  return { job: retrying, retryAt };
}

/** Ends a running job that was cancelled through the API, with every attempt of it this one knows of. */
export async function cancelRunning(store: JobStore, job: Job, attempt: Attempt): Promise<Job> {
  const now = new Date().toISOString();
  const cancelled = { finishedAt: now, outcome: 'cancelled' as const, error: 'cancelled through the API' };
  return store.transition(job, 'CANCELLED', {
    holder: attempt.claimId,
    set: { finishedAt: now },
    attemptUpdates: [attempt.index, ...openAttempts(job).filter((index) => index !== attempt.index)].map((index) => ({
      index,
      fields: cancelled,
    })),
    remove: ['leases', 'speculation', 'cancelRequested'],
  });
}

/**
 * Hands an unfinished attempt back (worker stopping): the job returns to QUEUED and the attempt
 * does not count against the budget; with a live twin, only this attempt ends.
 */
export async function release(store: JobStore, job: Job, attempt: Attempt): Promise<Job> {
  const closed = { finishedAt: new Date().toISOString(), outcome: 'released' as const };
  const current = await currentHeldBy(store, job, attempt);
  if (hasLiveTwin(current, attempt, Date.now())) {
    await store.dropAttempt(current, attempt.claimId, attempt.index, closed);
    return current;
  }
  return store.transition(current, 'QUEUED', {
    holder: attempt.claimId,
    set: { attempts: current.attempts - (attempt.lease.speculative ? 0 : 1) },
    attemptUpdates: [{ index: attempt.index, fields: closed }],
    remove: ['leases', 'speculation'],
  });
}

export function toJobError(error: unknown): JobError {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message.slice(0, 2000), retryable: isRetryable(error) };
}

/** A new attempt whose record goes at `index` in the attempt log. */
function newAttempt(
  index: number,
  options: ClaimOptions,
  attemptNumber: number,
  now: number,
  speculative: boolean,
): Attempt {
  return {
    claimId: randomUUID().slice(0, 8),
    index,
    lease: {
      workerId: options.workerId,
      attempt: attemptNumber,
      startedAt: now,
      expiresAt: now + options.leaseSeconds * 1000,
      ...(options.speed === undefined ? {} : { speed: options.speed }),
      ...(speculative ? { speculative } : {}),
    },
  };
}

/** An attempt's record; a backup's (its lease speculative) keeps when the detector asked for it. */
function record(attempt: Attempt, workerId: string, startedAt: string, requestedAt?: number): AttemptRecord {
  return {
    attempt: attempt.lease.attempt,
    claimId: attempt.claimId,
    workerId,
    startedAt,
    ...(attempt.lease.speculative ? { speculative: true } : {}),
    ...(requestedAt === undefined ? {} : { requestedAt: new Date(requestedAt).toISOString() }),
  };
}

/** Positions of attempt records still open (no outcome yet). */
export function openAttempts(job: Job): number[] {
  return job.attemptLog.flatMap((record, i) => (record.outcome === undefined ? [i] : []));
}

function hasLiveTwin(job: Job, attempt: Attempt, now: number): boolean {
  return liveLeases(job, now).some(([claimId]) => claimId !== attempt.claimId);
}

/** The job as stored now, provided this attempt still holds its lease. */
async function currentHeldBy(store: JobStore, job: Job, attempt: Attempt): Promise<Job> {
  const current = await store.get(job.id);
  if (current?.status !== 'RUNNING' || !current.leases?.[attempt.claimId]) {
    throw new StaleJobError(job.id);
  }
  return current;
}

function deferSeconds(ms: number): number {
  return Math.min(MAX_DEFER_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
}
