import { z } from 'zod';

/** Smallest backoff step: DynamoDB refuses numbers under 1E-130, and less than 1 ms means nothing here. */
export const MIN_BACKOFF_SECONDS = 0.001;

/** How a job waits between attempts (request field `backoff`). */
export const BackoffSchema = z
  .strictObject({
    strategy: z.enum(['exponential', 'linear']).default('exponential'),
    baseSeconds: z.number().min(MIN_BACKOFF_SECONDS, 'must be at least 0.001 (1 ms)').max(3600).default(2),
    maxSeconds: z.number().min(MIN_BACKOFF_SECONDS, 'must be at least 0.001 (1 ms)').max(86_400).default(300),
    jitter: z.enum(['full', 'none']).default('full'),
  })
  .refine((b) => b.maxSeconds >= b.baseSeconds, {
    message: 'maxSeconds must be at least baseSeconds',
    path: ['maxSeconds'],
  });
export type BackoffPolicy = z.output<typeof BackoffSchema>;

export const DEFAULT_BACKOFF: BackoffPolicy = BackoffSchema.parse({});

/**
 * Seconds to wait before attempt `failedAttempts + 1`. Exponential doubles from `baseSeconds`,
 * linear adds it; both are capped at `maxSeconds`. Full jitter draws uniformly from [0, delay]
 * (the AWS Architecture Blog's recommendation), which spreads retries of jobs that failed together.
 */
export function backoffSeconds(
  policy: BackoffPolicy,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  const step = Math.max(1, failedAttempts);
  const raw = policy.strategy === 'exponential' ? policy.baseSeconds * 2 ** (step - 1) : policy.baseSeconds * step;
  const capped = Math.min(policy.maxSeconds, raw);
  return policy.jitter === 'full' ? capped * random() : capped;
}
