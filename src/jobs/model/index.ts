export {
  CommitFailedError,
  isRetryable,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  NonRetryableError,
  WorkerShutdownError,
} from './attempt-errors.ts';
export type { BackoffPolicy } from './backoff.ts';
export { BackoffSchema, backoffSeconds, DEFAULT_BACKOFF, MIN_BACKOFF_SECONDS } from './backoff.ts';
export type { Capacity, Priority, QueueKey } from './classes.ts';
export { ALL_QUEUE_KEYS, CAPACITIES, PRIORITIES, queueKey } from './classes.ts';
export type { ErrorDetail, TailguardErrorCode } from './errors.ts';
export {
  EnqueueFailedError,
  IdempotencyKeyReusedError,
  IllegalTransitionError,
  InvalidInputError,
  InvalidJsonError,
  JobFinishedError,
  JobNotDeadError,
  JobNotFoundError,
  PayloadTooLargeError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  StaleJobError,
  TailguardError,
  TenantQueueFullError,
  WorkflowFinishedError,
  WorkflowNotFoundError,
} from './errors.ts';
export type {
  AttemptOutcome,
  AttemptRecord,
  Job,
  JobError,
  Lease,
  ObjectFormat,
  ProgressReport,
  Speculation,
  StoredObject,
  WorkflowLink,
} from './job.ts';
export type { JobStatus } from './lifecycle.ts';
export { assertTransition, CLAIMABLE_STATUSES, isTerminal, JOB_STATUSES } from './lifecycle.ts';
export { pageQueryFields } from './page-query.ts';
export { DEFAULT_TENANT, TenantIdSchema, tenantOf } from './tenant.ts';
