import { z } from 'zod';
import type { ErrorBody, ErrorDetail } from '../contract/api-error.ts';
import type { JobView } from '../contract/job-view.ts';

const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).default([]),
  }),
}) satisfies z.ZodType<ErrorBody>;

/** API Gateway answers its own refusals (403 unsigned, 429 throttled) with `{message}` only. */
const GatewayBodySchema = z.object({ message: z.string() });

/**
 * A non-2xx answer of the API. `code` is the API's error code (`VALIDATION_FAILED`,
 * `JOB_NOT_FOUND`, …) and `details` name the fields at fault; an answer without the API's error
 * shape (one API Gateway gave itself) has code `HTTP_<status>`.
 */
export class TailguardApiError extends Error {
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(
    readonly status: number,
    body: unknown,
  ) {
    const parsed = ErrorBodySchema.safeParse(body);
    const error = parsed.success
      ? parsed.data.error
      : { code: `HTTP_${status}`, message: describeOther(status, body), details: [] };
    super(error.message);
    this.name = 'TailguardApiError';
    this.code = error.code;
    this.details = error.details;
  }
}

function describeOther(status: number, body: unknown): string {
  const gateway = GatewayBodySchema.safeParse(body);
  if (gateway.success) return gateway.data.message;
  return typeof body === 'string' && body !== '' ? body : `HTTP ${status}`;
}

/** `waitFor` gave up before the job finished; `job` is how it looked at the last poll, if any answered. */
export class TailguardTimeoutError extends Error {
  readonly code = 'TIMEOUT';

  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly job: JobView | undefined,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms${job ? ` (last seen ${job.status})` : ''}`);
    this.name = 'TailguardTimeoutError';
  }
}
