import { z } from 'zod';
import {
  BackoffSchema,
  CAPACITIES,
  DEFAULT_BACKOFF,
  DEFAULT_TENANT,
  PRIORITIES,
  TenantIdSchema,
} from '../model/index.ts';
import { PAYLOAD_REF_PATTERN } from '../payloads/index.ts';

/**
 * Largest `payload`, serialized as JSON, that one item of `POST /jobs/batch` may carry: a batch's
 * jobs are written together, so each keeps its payload in its item.
 */
export const MAX_BATCH_PAYLOAD_BYTES = 256 * 1024;
/**
 * Largest `payload` a `POST /jobs` body carries (as JSON): a synchronous Lambda takes 6 MB in all.
 * Larger payloads go through `POST /uploads` and `payloadRef`; the client and CLI choose for the caller.
 */
export const MAX_REQUEST_PAYLOAD_BYTES = 5 * 1024 * 1024;
/** How far ahead a job may be scheduled. */
export const MAX_DELAY_SECONDS = 365 * 24 * 3600;
export const JOB_TYPE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * Deepest nesting of objects and arrays in a `payload` (an object or array at the top counts as 1).
 * Keeps every reader of the payload (validation, hashing, the worker's JSON.parse, the handler) far
 * from recursion limits: without it a deep payload overflows the stack and answers 500.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * True when `value` nests at most `maxDepth` levels of objects and arrays. Walks with an explicit
 * stack, never recursion, so any depth is measured safely, and stops at the first level too deep.
 */
export function nestsWithin(value: unknown, maxDepth: number): boolean {
  const stack: [node: object, depth: number][] = [];
  if (typeof value === 'object' && value !== null) stack.push([value, 1]);
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [node, depth] = entry;
    if (depth > maxDepth) return false;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return true;
}

/**
 * Any JSON value, nested at most MAX_PAYLOAD_DEPTH deep. The depth is checked first because
 * `z.json()` recurses once per level; a pipe stops at the first stage's issue, so z.json() never
 * sees a value that is too deep. Input and output both type as JSON, as `z.json()` alone did.
 */
const PayloadSchema = z
  .custom<z.core.util.JSONType>((value) => nestsWithin(value, MAX_PAYLOAD_DEPTH), {
    error: `must nest at most ${MAX_PAYLOAD_DEPTH} levels of objects and arrays`,
  })
  .pipe(z.json());

/** Body of `POST /jobs`: shared by the intake Lambda, the test client and SDK users. */
export const JobRequestSchema = z
  .strictObject({
    type: z.string().regex(JOB_TYPE_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'),
    payload: PayloadSchema.optional(),
    /** A payload uploaded through `POST /uploads` (instead of `payload`): what the handler gets. */
    payloadRef: z.string().regex(PAYLOAD_REF_PATTERN, 'must be a payloadRef issued by POST /uploads').optional(),
    /** Who the job is for; absent means the `default` tenant. */
    tenant: TenantIdSchema.default(DEFAULT_TENANT),
    priority: z.enum(PRIORITIES).default('default'),
    capacity: z.enum(CAPACITIES).default('cpu'),
    idempotencyKey: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
    maxAttempts: z.int().min(1).max(25).default(4),
    backoff: BackoffSchema.default(DEFAULT_BACKOFF),
    timeoutSeconds: z.int().min(1).max(43_200).default(300),
    delaySeconds: z.int().min(0).max(MAX_DELAY_SECONDS).optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    /** False for handlers that must never run twice at once: no speculative backup is raced. */
    speculation: z.boolean().default(true),
  })
  .refine((r) => r.payload === undefined || r.payloadRef === undefined, {
    message: 'give payload or payloadRef, not both',
    path: ['payloadRef'],
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
