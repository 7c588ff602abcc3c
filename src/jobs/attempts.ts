import { backoffSeconds } from './backoff.ts';
import type { AttemptOutcome, AttemptRecord, Job, JobError, Lease } from './job.ts';
import { isRetryable } from './job-errors.ts';
import type { JobStore, TransactWriteItem } from './job-store.ts';
import { CLAIMABLE_STATUSES, isTerminal } from './lifecycle.ts';

/**
 * What one attempt of a job goes through on a worker: claim, then exactly one of succeed, fail,
 * cancel or release. Each step is a lifecycle transition written with the version the worker
 * read, so two workers holding the same message can never both run or both finish the job.
 */

/** What a worker should do with a message it received. */
export type ClaimDecision =
  | { action: 'run'; job: Job; lease: Lease }
  /** The message is spent: the job is finished, gone, or already dead. */
  | { action: 'drop'; reason: string }
  /** Not yet: hide the message again for this long. */
  | { action: 'defer'; seconds: number; reason: string };

export interface ClaimOptions {
  workerId: string;
  leaseSeconds: number;
  now?: number;
}

export const JOB_MISSING = 'job does not exist';

/** Longest a message can be hidden again (SQS's visibility limit is 12 hours). */
const MAX_DEFER_SECONDS = 12 * 3600;

export async function claim(store: JobStore, job: Job | undefined, options: ClaimOptions): Promise<ClaimDecision> {
  const now = options.now ?? Date.now();
  if (!job) return { action: 'drop', reason: JOB_MISSING };
  if (isTerminal(job.status)) return { action: 'drop', reason: `job is ${job.status}` };

  if (job.status === 'RUNNING' && job.lease && job.lease.expiresAt > now) {
    // Another worker is on it; keep the message as a fallback in case that worker dies.
    return { action: 'defer', seconds: deferSeconds(job.lease.expiresAt - now), reason: 'running elsewhere' };
  }
  if (job.runAt && Date.parse(job.runAt) > now && job.status !== 'RUNNING') {
    return { action: 'defer', seconds: deferSeconds(Date.parse(job.runAt) - now), reason: 'not due yet' };
  }
  if (!CLAIMABLE_STATUSES.includes(job.status)) return { action: 'drop', reason: `job is ${job.status}` };

  const at = new Date(now).toISOString();
  const attemptLog = job.status === 'RUNNING' ? closeAttempt(job, 'lost', at, 'worker stopped heartbeating') : job.attemptLog;
  if (job.status === 'RUNNING' && job.attempts >= job.maxAttempts) {
    // The last allowed attempt died with its worker.
    await store.transition(job, 'DEAD', {
      set: {
        attemptLog,
        finishedAt: at,
        error: { name: 'LeaseLostError', message: 'the worker running the last attempt stopped heartbeating', retryable: false },
      },
      remove: ['lease'],
    });
    return { action: 'drop', reason: 'attempts exhausted by lost workers' };
  }

  const attempt = job.attempts + 1;
  const lease: Lease = { workerId: options.workerId, attempt, expiresAt: now + options.leaseSeconds * 1000 };
  const running = await store.transition(job, 'RUNNING', {
    set: {
      attempts: attempt,
      lease,
      startedAt: job.startedAt ?? at,
      attemptLog: [...attemptLog, { attempt, workerId: options.workerId, startedAt: at }],
    },
    remove: ['runAt'],
  });
  return { action: 'run', job: running, lease };
}

/** Records success; `effects` (the handler's writes) commit in the same transaction or not at all. */
export async function succeed(store: JobStore, job: Job, result: unknown, effects: TransactWriteItem[] = []): Promise<Job> {
  const now = new Date().toISOString();
  return store.transition(job, 'SUCCEEDED', {
    set: {
      result: result === undefined ? undefined : JSON.stringify(result),
      finishedAt: now,
      attemptLog: closeAttempt(job, 'succeeded', now),
    },
    remove: ['lease', 'error'],
    alsoWrite: effects,
  });
}

export type FailureOutcome = { job: Job; retryAt?: number };

/** Records a failed attempt: RETRYING with its next start time, or DEAD when no retry is left. */
export async function fail(store: JobStore, job: Job, error: unknown, outcome: AttemptOutcome = 'failed'): Promise<FailureOutcome> {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const jobError = toJobError(error);
  const attemptLog = closeAttempt(job, outcome, at, jobError.message);
  if (!jobError.retryable || job.attempts >= job.maxAttempts) {
    const dead = await store.transition(job, 'DEAD', { set: { error: jobError, attemptLog, finishedAt: at }, remove: ['lease'] });
    return { job: dead };
  }
  const retryAt = now + backoffSeconds(job.backoff, job.attempts) * 1000;
  const retrying = await store.transition(job, 'RETRYING', {
    set: { error: jobError, attemptLog, runAt: new Date(retryAt).toISOString() },
    remove: ['lease'],
  });
  return { job: retrying, retryAt };
}

/** Ends a running attempt that was cancelled through the API. */
export async function cancelRunning(store: JobStore, job: Job): Promise<Job> {
  const now = new Date().toISOString();
  return store.transition(job, 'CANCELLED', {
    set: { finishedAt: now, attemptLog: closeAttempt(job, 'cancelled', now, 'cancelled through the API') },
    remove: ['lease', 'cancelRequested'],
  });
}

/** Hands an unfinished attempt back (worker stopping): it does not count against the budget. */
export async function release(store: JobStore, job: Job): Promise<Job> {
  return store.transition(job, 'QUEUED', {
    set: { attempts: job.attempts - 1, attemptLog: closeAttempt(job, 'released', new Date().toISOString()) },
    remove: ['lease'],
  });
}

export function toJobError(error: unknown): JobError {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message.slice(0, 2000), retryable: isRetryable(error) };
}

/** The attempt log with the current (last, still open) attempt closed. */
function closeAttempt(job: Job, outcome: AttemptOutcome, finishedAt: string, error?: string): AttemptRecord[] {
  return job.attemptLog.map((record, i) =>
    i === job.attemptLog.length - 1 && record.outcome === undefined ? { ...record, finishedAt, outcome, error } : record,
  );
}

function deferSeconds(ms: number): number {
  return Math.min(MAX_DEFER_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
}
