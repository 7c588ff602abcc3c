export { BackoffSchema, DEFAULT_BACKOFF, MIN_BACKOFF_SECONDS, backoffSeconds } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
export { ALL_QUEUE_KEYS, CAPACITIES, PRIORITIES, queueKey } from './classes.ts';
export type { Capacity, Priority, QueueKey } from './classes.ts';
export { CommitFailedError, JobCancelledError, JobTimeoutError, LeaseLostError, NonRetryableError, WorkerShutdownError, isRetryable } from './errors.ts';
export type { AttemptOutcome, AttemptRecord, Job, JobError, Lease, Speculation } from './job.ts';
export { CLAIMABLE_STATUSES, assertTransition, isTerminal } from './lifecycle.ts';
export type { JobStatus } from './lifecycle.ts';
