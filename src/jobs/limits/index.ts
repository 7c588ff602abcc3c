export { type LimitUsage, limitUsage } from './limit-usage.ts';
export type { Admission, LimitSlot, TypeLimiterOptions } from './type-limiter.ts';
export { TypeLimiter } from './type-limiter.ts';
export type { TypeLimit, TypeLimits } from './type-limits.ts';
export { MAX_CONCURRENCY, MAX_PER_SECOND, rateWindow, TypeLimitSchema, TypeLimitsSchema } from './type-limits.ts';
