import { z } from 'zod';
import { CAPACITIES, PRIORITIES } from '../jobs/classes.ts';

/** Largest `payload`, serialized as JSON, that a job may carry. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** How far ahead a job may be scheduled. */
export const MAX_DELAY_SECONDS = 365 * 24 * 3600;
export const JOB_TYPE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const BackoffSchema = z.strictObject({
  strategy: z.enum(['exponential', 'linear']).default('exponential'),
  baseSeconds: z.number().positive().max(3600).default(2),
  maxSeconds: z.number().positive().max(86_400).default(300),
  jitter: z.enum(['full', 'none']).default('full'),
}).refine((b) => b.maxSeconds >= b.baseSeconds, {
  message: 'maxSeconds must be at least baseSeconds',
  path: ['maxSeconds'],
});
export type BackoffPolicy = z.output<typeof BackoffSchema>;

export const DEFAULT_BACKOFF: BackoffPolicy = BackoffSchema.parse({});

/** Body of `POST /jobs`: shared by the intake Lambda, the test client and SDK users. */
export const JobRequestSchema = z
  .strictObject({
    type: z.string().regex(JOB_TYPE_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'),
    payload: z.json().optional(),
    priority: z.enum(PRIORITIES).default('default'),
    capacity: z.enum(CAPACITIES).default('cpu'),
    idempotencyKey: z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
    maxAttempts: z.int().min(1).max(25).default(4),
    backoff: BackoffSchema.default(DEFAULT_BACKOFF),
    timeoutSeconds: z.int().min(1).max(43_200).default(300),
    delaySeconds: z.int().min(0).max(MAX_DELAY_SECONDS).optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    /** False for handlers that must never run twice at once: no speculative backup is raced. */
    speculation: z.boolean().default(true),
  })
  .refine((r) => r.delaySeconds === undefined || r.runAt === undefined, {
    message: 'give delaySeconds or runAt, not both',
    path: ['runAt'],
  })
  .refine((r) => r.runAt === undefined || Date.parse(r.runAt) - Date.now() <= MAX_DELAY_SECONDS * 1000, {
    message: 'must be at most one year ahead',
    path: ['runAt'],
  });

export type JobRequestInput = z.input<typeof JobRequestSchema>;
export type JobRequest = z.output<typeof JobRequestSchema>;
