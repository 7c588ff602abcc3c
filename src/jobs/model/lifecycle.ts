import { IllegalTransitionError } from './errors.ts';

/**
 * The job lifecycle, written once. Every status change in Tailguard, from the intake Lambda or a
 * worker, is checked here and then written by `JobStore.transition`, whose DynamoDB condition
 * (`status = from AND version = seen`) makes the check hold under concurrency.
 */
export const JOB_STATUSES = [
  'HELD',
  'SCHEDULED',
  'QUEUED',
  'RUNNING',
  'RETRYING',
  'SUCCEEDED',
  'DEAD',
  'CANCELLED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // Waiting behind its tenant's window (src/jobs/fairness): no message yet. Released to QUEUED once a
  // place frees; RUNNING when a worker gets the message of a release that died before its write.
  HELD: ['QUEUED', 'RUNNING', 'CANCELLED'],
  // A delayed job is claimed straight from SCHEDULED when its delayed message becomes visible (the
  // API shows a due SCHEDULED job as QUEUED: no write is spent on the difference).
  // Waiting states end DEAD only by the reaper, when the job's message keeps reaching the SQS
  // dead-letter queue without a worker ever settling it (see reaper.ts).
  SCHEDULED: ['RUNNING', 'CANCELLED', 'DEAD'],
  QUEUED: ['RUNNING', 'CANCELLED', 'DEAD'],
  // RUNNING -> RUNNING: another worker takes over an attempt whose lease expired (its worker died).
  // RUNNING -> QUEUED: a stopping worker releases an attempt it could not finish.
  RUNNING: ['SUCCEEDED', 'RETRYING', 'DEAD', 'CANCELLED', 'QUEUED', 'RUNNING'],
  RETRYING: ['RUNNING', 'CANCELLED', 'DEAD'],
  SUCCEEDED: [],
  // Requeue from the dead-letter list.
  DEAD: ['QUEUED'],
  CANCELLED: [],
};

export const TERMINAL_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter(
  (s) => TRANSITIONS[s].length === 0 || s === 'DEAD',
);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** Statuses a worker may claim a job from (RUNNING only once the previous lease expired). */
export const CLAIMABLE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((s) => canTransition(s, 'RUNNING'));
