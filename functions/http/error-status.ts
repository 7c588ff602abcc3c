import { TailguardError, type TailguardErrorCode, TenantQueueFullError } from '../../src/jobs/model/index.ts';

/**
 * The HTTP status of every error the domain throws, in one table: the domain names what went
 * wrong, only this edge speaks HTTP. Typed so a new error code cannot ship without a status.
 */
const STATUS_BY_CODE = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  JOB_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  SCHEDULE_EXISTS: 409,
  WORKFLOW_NOT_FOUND: 404,
  WORKFLOW_FINISHED: 409,
  JOB_FINISHED: 409,
  JOB_NOT_DEAD: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  // Retried inside the domain; one that still escapes is a race the caller may retry.
  STALE_JOB: 409,
  ILLEGAL_TRANSITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  TENANT_QUEUE_FULL: 429,
  ENQUEUE_FAILED: 503,
} as const satisfies Record<TailguardErrorCode, number>;

/** The status for an error a request met, or undefined for one that is a bug (answered as 500). */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof TailguardError)) return undefined;
  return (STATUS_BY_CODE as Record<string, number>)[error.code];
}

/** Seconds a refused caller should wait before trying again (`Retry-After`), for the errors that say. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof TenantQueueFullError ? error.retryAfterSeconds : undefined;
}
