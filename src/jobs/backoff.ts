import type { BackoffPolicy } from '../api/job-request.ts';

/**
 * Seconds to wait before attempt `failedAttempts + 1`. Exponential doubles from `baseSeconds`,
 * linear adds it; both are capped at `maxSeconds`. Full jitter draws uniformly from [0, delay]
 * (the AWS Architecture Blog's recommendation), which spreads retries of jobs that failed together.
 */
export function backoffSeconds(policy: BackoffPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const step = Math.max(1, failedAttempts);
  const raw = policy.strategy === 'exponential' ? policy.baseSeconds * 2 ** (step - 1) : policy.baseSeconds * step;
  const capped = Math.min(policy.maxSeconds, raw);
  return policy.jitter === 'full' ? capped * random() : capped;
}
