import { z } from 'zod';
import { JobRequestSchema } from '../intake/index.ts';
import { canonicalTimeZone, ExpressionError, parseCron, parseRate } from './expression.ts';

/** What a fire does while the job of the schedule's previous fire is unfinished. */
export const OVERLAP_POLICIES = ['skip', 'bufferOne', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** Largest job `payload` a schedule carries, serialized: it travels in the schedule's target input. */
export const MAX_SCHEDULE_PAYLOAD_BYTES = 8 * 1024;

/** Scheduler names are 1-64 of `A-Za-z0-9-_.`; Tailguard's own carry a prefix (schedule-registry.ts). */
export const ScheduleNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,48}$/, 'must be 1-48 characters of A-Z a-z 0-9 . _ -');

const { type, tenant, payload, priority, capacity, maxAttempts, backoff, timeoutSeconds, speculation } =
  JobRequestSchema.shape;

/**
 * The job each fire submits: a `POST /jobs` body without what a fire decides itself (the
 * idempotency key is the fire's, and a fire starts its job at once).
 */
export const JobTemplateSchema = z.strictObject({
  type,
  payload: payload.refine(
    (value) => value === undefined || Buffer.byteLength(JSON.stringify(value)) <= MAX_SCHEDULE_PAYLOAD_BYTES,
    `must be at most ${MAX_SCHEDULE_PAYLOAD_BYTES} bytes as JSON in a schedule`,
  ),
  tenant,
  priority,
  capacity,
  maxAttempts,
  backoff,
  timeoutSeconds,
  speculation,
});
export type JobTemplate = z.output<typeof JobTemplateSchema>;

/** A zod check that turns an ExpressionError from `parse` into an issue on the field. */
const expression = (prefix: 'cron' | 'rate', parse: (text: string) => unknown) =>
  z
    .string()
    .max(256)
    .transform((text, ctx) => {
      const full = text.trim().startsWith(`${prefix}(`) ? text.trim() : `${prefix}(${text.trim()})`;
      try {
        parse(full);
        return full;
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    })
    .meta({ description: `\`${prefix}(...)\`, or what goes inside the parentheses` });

/** Body of `POST /schedules`. */
export const ScheduleRequestSchema = z
  .strictObject({
    name: ScheduleNameSchema,
    cron: expression('cron', parseCron).optional(),
    rate: expression('rate', parseRate).optional(),
    timezone: z
      .string()
      .max(64)
      .default('UTC')
      .transform((zone, ctx) => {
        const canonical = canonicalTimeZone(zone);
        if (canonical === undefined) {
          ctx.addIssue({ code: 'custom', message: `unknown IANA time zone ${JSON.stringify(zone)}` });
          return z.NEVER;
        }
        return canonical;
      })
      .meta({ description: 'IANA time zone the cron fields are read in (DST included)' }),
    job: JobTemplateSchema,
    overlap: z.enum(OVERLAP_POLICIES).default('skip'),
    startAt: z.iso.datetime({ offset: true }).optional(),
    endAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((r) => (r.cron === undefined) !== (r.rate === undefined), {
    message: 'give cron or rate, exactly one',
    path: ['cron'],
  })
  .refine((r) => r.endAt === undefined || Date.parse(r.endAt) > Math.max(Date.now(), Date.parse(r.startAt ?? '0')), {
    message: 'must be in the future and after startAt',
    path: ['endAt'],
  });

export type ScheduleRequestInput = z.input<typeof ScheduleRequestSchema>;
export type ScheduleRequest = z.output<typeof ScheduleRequestSchema>;
