import { TailguardError } from './errors.ts';

/**
 * Errors a job handler throws to say how its failure should be treated. Anything else a handler
 * throws is retryable: an unknown failure is assumed transient until the attempt budget says no.
 */
export class NonRetryableError extends TailguardError {
  readonly code = 'NON_RETRYABLE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, [], options);
  }
}

/** The attempt ran past the job's `timeoutSeconds`. Retryable. */
export class JobTimeoutError extends TailguardError {
  readonly code = 'ATTEMPT_TIMED_OUT';

  constructor(seconds: number) {
    super(`attempt exceeded its timeout of ${seconds}s`);
  }
}

/** The worker is stopping and hands the attempt back to the queue. */
export class WorkerShutdownError extends TailguardError {
  readonly code = 'WORKER_SHUTDOWN';

  constructor() {
    super('worker is shutting down');
  }
}

/** The worker's lease on the attempt ended (another worker took the job over). */
export class LeaseLostError extends TailguardError {
  readonly code = 'LEASE_LOST';

  constructor(jobId: string) {
    super(`lease on job ${jobId} was lost`);
  }
}

/**
 * The handler finished, but its result and effects could not be committed (an effect's table is
 * missing, an effect's condition failed, the item is too large). Retryable: the attempt fails and
 * the job follows its retry policy, instead of being redelivered as if its worker had died.
 */
export class CommitFailedError extends TailguardError {
  readonly code = 'COMMIT_FAILED';

  constructor(cause: unknown) {
    super(
      `the attempt finished but its result could not be committed: ${(cause as Error)?.message ?? String(cause)}`,
      [],
      { cause },
    );
  }
}

export function isRetryable(error: unknown): boolean {
  return !(error instanceof NonRetryableError);
}

/** The job was cancelled through the API while this attempt ran. */
export class JobCancelledError extends TailguardError {
  readonly code = 'JOB_CANCELLED';

  constructor(jobId: string) {
    super(`job ${jobId} was cancelled`);
  }
}
