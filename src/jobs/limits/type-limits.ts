import { z } from 'zod';
import { JOB_TYPE_PATTERN } from '../intake/index.ts';

/** Most attempts of one type at once: each holds a place in one item, which every start, end and heartbeat writes. */
export const MAX_CONCURRENCY = 1000;
/** Most starts of one type per second: each is a write to one item, and one item takes about 1,000 writes a second. */
export const MAX_PER_SECOND = 500;

/** One job type's limits, enforced by the workers across the whole fleet. */
export const TypeLimitSchema = z
  .strictObject({
    /** At most this many attempts of the type run at once (a speculative backup counts). */
    concurrency: z.int().min(1).max(MAX_CONCURRENCY).optional(),
    /** At most this many attempts of the type start per second; fractions allowed (0.5: one every 2 s). */
    perSecond: z.number().positive().max(MAX_PER_SECOND).optional(),
  })
  .refine(
    (limit) => limit.concurrency !== undefined || limit.perSecond !== undefined,
    'needs concurrency, perSecond or both',
  );
export type TypeLimit = z.output<typeof TypeLimitSchema>;

/** Limits by job type; a type left out has none (and costs no request). */
export const TypeLimitsSchema = z.record(
  z.string().regex(JOB_TYPE_PATTERN, 'a job type is 1-128 characters of A-Z a-z 0-9 . _ : -'),
  TypeLimitSchema,
);
export type TypeLimits = Readonly<Record<string, TypeLimit>>;

/** The coordination-table item of a type's concurrency limit. */
export const concurrencyKey = (type: string): string => `limit#${type}`;

/**
 * The fixed window a rate limit counts starts in: ceil(R) starts per ceil(R)/R seconds, so the
 * average is exactly R for any R (2.5/s: 3 starts per 1.2 s; 0.5/s: one start per 2 s).
 */
export function rateWindow(perSecond: number): { ms: number; starts: number } {
  const starts = Math.ceil(perSecond);
  return { starts, ms: (1000 * starts) / perSecond };
}
