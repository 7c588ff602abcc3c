import type { z } from 'zod';

/** One field a caller got wrong: its dotted path in the request (`''` for the whole body) and why. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * Base of every error Tailguard's domain throws on purpose. `code` is stable and machine-readable;
 * the HTTP edge maps it to a status in one table (functions/http/error-status.ts), so the domain
 * never speaks HTTP. `details` name the fields at fault, when a caller's input is.
 */
export abstract class TailguardError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller's input breaks a rule no schema could check alone (a forged cursor, a field contradicting a header). */
export class InvalidInputError extends TailguardError {
  readonly code = 'VALIDATION_FAILED';

  constructor(details: ErrorDetail[]) {
    super(`invalid request: ${details.map((d) => `${d.path || '(body)'}: ${d.message}`).join('; ')}`, details);
  }

  /** One detail per zod issue, paths dotted and under `pathPrefix` (e.g. `id` for a path parameter). */
  static fromZod(error: z.ZodError, pathPrefix = ''): InvalidInputError {
    const details = error.issues.flatMap((issue): ErrorDetail[] => {
      const base = [pathPrefix, ...issue.path.map(String)].filter(Boolean).join('.');
      // Unknown fields have an empty path; name each field instead.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: 'unknown field' }));
      }
      return [{ path: base, message: issue.message }];
    });
    return new InvalidInputError(details);
  }
}

/** The request body is not JSON at all. */
export class InvalidJsonError extends TailguardError {
  readonly code = 'INVALID_JSON';

  constructor(cause: unknown) {
    super(
      `body is not valid JSON: ${(cause as Error)?.message ?? String(cause)}`,
      [{ path: '', message: 'not valid JSON' }],
      { cause },
    );
  }
}

export class JobNotFoundError extends TailguardError {
  readonly code = 'JOB_NOT_FOUND';

  constructor(readonly jobId: string) {
    super(`no job ${jobId}`);
  }
}

/** The job has finished (SUCCEEDED, DEAD or CANCELLED), so it cannot be cancelled. */
export class JobFinishedError extends TailguardError {
  readonly code = 'JOB_FINISHED';

  constructor(jobId: string, status: string) {
    super(`job ${jobId} is ${status} and cannot be cancelled`);
  }
}

/** Only a DEAD job can be requeued from the dead-letter list. */
export class JobNotDeadError extends TailguardError {
  readonly code = 'JOB_NOT_DEAD';

  constructor(jobId: string, status: string) {
    super(`job ${jobId} is ${status}; only DEAD jobs can be requeued`);
  }
}

export class PayloadTooLargeError extends TailguardError {
  readonly code = 'PAYLOAD_TOO_LARGE';

  /**
   * `path` names the field (`''`: the whole body); `json`: the size is of the value as JSON (not of
   * uploaded bytes); `hint` says what to do instead.
   */
  constructor(bytes: number, limit: number, path: string, { json = true, hint = '' } = {}) {
    super(`${path || 'request body'} is ${bytes} bytes; the limit is ${limit}${hint && `; ${hint}`}`, [
      { path, message: `must be at most ${limit} bytes${json ? ' as JSON' : ''}${hint && `; ${hint}`}` },
    ]);
  }
}

/** An idempotency key came back with a different request, or its job is gone. */
export class IdempotencyKeyReusedError extends TailguardError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

/** The job's message could not be sent; the job was taken back, so the caller may simply retry. */
export class EnqueueFailedError extends TailguardError {
  readonly code = 'ENQUEUE_FAILED';

  constructor(cause: unknown) {
    super(
      `the job could not be queued (${(cause as Error)?.message ?? String(cause)}); nothing was created, retry the request`,
      [],
      { cause },
    );
  }
}

/** The stored job no longer matches what the caller read: someone else moved it first. */
export class StaleJobError extends TailguardError {
  readonly code = 'STALE_JOB';

  constructor(readonly jobId: string) {
    super(`job ${jobId} changed since it was read`);
  }
}

/** No recurring schedule has this name. */
export class ScheduleNotFoundError extends TailguardError {
  readonly code = 'SCHEDULE_NOT_FOUND';

  constructor(readonly scheduleName: string) {
    super(`no schedule ${scheduleName}`);
  }
}

/** A recurring schedule with this name exists already; delete it first to change it. */
export class ScheduleExistsError extends TailguardError {
  readonly code = 'SCHEDULE_EXISTS';

  constructor(name: string) {
    super(`schedule ${name} exists already`, [{ path: 'name', message: 'is taken by an existing schedule' }]);
  }
}

/**
 * The tenant has as many jobs waiting for their first start as its `maxQueued` allows: nothing
 * was written; the caller may submit again after `retryAfterSeconds` (HTTP 429, `Retry-After`).
 */
export class TenantQueueFullError extends TailguardError {
  readonly code = 'TENANT_QUEUE_FULL';

  constructor(
    readonly tenant: string,
    readonly maxQueued: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `tenant ${tenant} has ${maxQueued} jobs waiting to start, its maxQueued; nothing was written, retry after ${retryAfterSeconds} s`,
      [{ path: 'tenant', message: `${tenant} has ${maxQueued} jobs waiting (maxQueued); retry later` }],
    );
  }
}

export class WorkflowNotFoundError extends TailguardError {
  readonly code = 'WORKFLOW_NOT_FOUND';

  constructor(readonly workflowId: string) {
    super(`no workflow ${workflowId}`);
  }
}

/** The workflow has ended (SUCCEEDED, FAILED or CANCELLED), so it cannot be cancelled. */
export class WorkflowFinishedError extends TailguardError {
  readonly code = 'WORKFLOW_FINISHED';

  constructor(workflowId: string, status: string) {
    super(`workflow ${workflowId} is ${status} and cannot be cancelled`);
  }
}

/** A status change the lifecycle does not allow (model/lifecycle.ts). */
export class IllegalTransitionError extends TailguardError {
  readonly code = 'ILLEGAL_TRANSITION';

  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`a job cannot go from ${from} to ${to}`);
  }
}

/** Every code the domain's errors carry: the HTTP edge's table must give each one a status. */
export type TailguardErrorCode =
  | InvalidInputError['code']
  | InvalidJsonError['code']
  | JobNotFoundError['code']
  | JobFinishedError['code']
  | JobNotDeadError['code']
  | PayloadTooLargeError['code']
  | IdempotencyKeyReusedError['code']
  | EnqueueFailedError['code']
  | StaleJobError['code']
  | IllegalTransitionError['code']
  | ScheduleNotFoundError['code']
  | ScheduleExistsError['code']
  | TenantQueueFullError['code']
  | WorkflowNotFoundError['code']
  | WorkflowFinishedError['code'];
