export type { Admission, JobLimiterOptions, LimitedJob, LimitSlot, NamedLimit } from './job-limiter.ts';
export { JobLimiter, tenantLimitName } from './job-limiter.ts';
export { type LimitUsage, limitUsage } from './limit-usage.ts';
export type { TypeLimit, TypeLimits } from './type-limits.ts';
export { MAX_CONCURRENCY, MAX_PER_SECOND, rateWindow, TypeLimitSchema, TypeLimitsSchema } from './type-limits.ts';
