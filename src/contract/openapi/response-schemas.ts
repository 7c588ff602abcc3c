import { z } from 'zod';
import {
  ALL_QUEUE_KEYS,
  BackoffSchema,
  CAPACITIES,
  JOB_STATUSES,
  PRIORITIES,
  TenantIdSchema,
} from '../../jobs/model/index.ts';
import { JobTemplateSchema, OVERLAP_POLICIES } from '../../jobs/schedules/index.ts';
import { TenantSettingsSchema } from '../../jobs/tenants/index.ts';
import { PARENT_FAILURE_RULES, WORKFLOW_STATUSES } from '../../jobs/workflows/index.ts';
import type { ErrorBody } from '../api-error.ts';
import type { JobView } from '../job-view.ts';
import type {
  BatchView,
  CancelView,
  HealthView,
  JobPage,
  RedriveResult,
  ScheduleDeleted,
  SchedulePage,
  ScheduleView,
  StatsView,
  TenantDeleted,
  TenantPage,
  TenantView,
  UploadView,
  WorkflowCreated,
  WorkflowView,
} from '../views.ts';
import { STEP_VIEW_STATUSES } from '../workflow-view.ts';

/**
 * The API's answers as zod schemas, for the OpenAPI document only: the handlers build their
 * answers with plain functions (`toJobView`, the domain's results), and these schemas are tied
 * to those types by the compiler (`describes`), so the document cannot drift from what is sent.
 */

/**
 * T with every field, at every depth, required: an optional field one side has and the other
 * lacks would otherwise pass both ways (GET /stats sent workers' `jobIds` that way).
 */
type Complete<T> = T extends readonly (infer E)[]
  ? Complete<E>[]
  : T extends object
    ? { [K in keyof T]-?: Complete<Exclude<T[K], undefined>> }
    : T;

/** True when A and B are assignable to each other, whichever way round. */
type Assignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Assignable both ways as they are (which field is optional) and complete (which fields there are). */
type MutuallyAssignable<A, B> = Assignable<A, B> extends true ? Assignable<Complete<A>, Complete<B>> : false;

/**
 * Returns `schema` unchanged, and compiles only while what it parses is mutually assignable with
 * `T`: a field added, dropped or retyped on one side and not the other fails `tsc` right here
 * ("not assignable to parameter of type 'never'").
 */
export const describes =
  <T>() =>
  <S extends z.ZodType>(schema: S & (MutuallyAssignable<z.output<S>, T> extends true ? unknown : never)): S =>
    schema;

const timestamp = z.string().meta({ format: 'date-time' });

const AttemptSchema = z.object({
  attempt: z.int(),
  workerId: z.string(),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
  outcome: z.enum(['succeeded', 'failed', 'timed_out', 'lost', 'released', 'cancelled', 'superseded']).nullable(),
  error: z.string().nullable(),
  speculative: z.boolean().meta({ description: 'a backup raced against a straggling attempt' }),
  won: z.boolean().meta({ description: 'the attempt that settled the job when two ran at once' }),
});

const StoredObjectSchema = z.object({
  bytes: z.int(),
  format: z.enum(['json', 'bytes']).meta({ description: 'json: JSON text; bytes: handed over as they are' }),
});

export const JobViewSchema = describes<JobView>()(
  z.object({
    id: z.uuid(),
    type: z.string(),
    tenant: TenantIdSchema,
    priority: z.enum(PRIORITIES),
    capacity: z.enum(CAPACITIES),
    status: z.enum(JOB_STATUSES).meta({ description: 'a delayed job that is due reads QUEUED' }),
    attempts: z.int().meta({ description: 'attempts counted against maxAttempts' }),
    maxAttempts: z.int(),
    backoff: BackoffSchema,
    timeoutSeconds: z.int(),
    idempotencyKey: z.string().nullable(),
    runAt: timestamp.nullable(),
    schedule: z
      .string()
      .nullable()
      .meta({ description: 'the recurring schedule that made the job; null when a caller did' }),
    fireTime: timestamp.nullable().meta({ description: 'the fire time of the schedule the job was made for' }),
    workflow: z
      .object({ id: z.uuid(), step: z.string() })
      .nullable()
      .meta({ description: 'the workflow (GET /workflows/{id}) and step the job runs; null for a job of POST /jobs' }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    payload: z
      .unknown()
      .meta({ description: 'the payload as submitted (any JSON); null when none or kept in the payload bucket' }),
    payloadObject: StoredObjectSchema.nullable().meta({
      description: 'a payload kept in the payload bucket (over the inline threshold, or uploaded): its size and format',
    }),
    result: z.unknown().meta({
      description: "the handler's result (any JSON); null until it succeeded, or when kept in the payload bucket",
    }),
    resultObject: StoredObjectSchema.nullable().meta({
      description: 'a result kept in the payload bucket (over the inline threshold, or bytes): its size and format',
    }),
    resultUrl: z.url().nullable().meta({
      description: 'GET /jobs/{id} only: a presigned URL (valid 15 minutes) of a result kept in the payload bucket',
    }),
    error: z.object({ message: z.string(), name: z.string(), retryable: z.boolean() }).nullable(),
    attemptHistory: z.array(AttemptSchema),
    speculation: z.boolean().meta({ description: 'false: no backup of this job is ever raced' }),
    progress: z
      .number()
      .nullable()
      .meta({ description: 'furthest progress (0-1) a running attempt reported; null when none' }),
  }),
);

export const CancelViewSchema = describes<CancelView>()(
  JobViewSchema.extend({
    cancelRequested: z.boolean().meta({ description: 'true while a running attempt is being stopped (202)' }),
  }),
);

export const JobPageSchema = describes<JobPage>()(
  z.object({
    items: z.array(JobViewSchema),
    cursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
  }),
);

export const ScheduleViewSchema = describes<ScheduleView>()(
  z.object({
    name: z.string(),
    cron: z.string().nullable().meta({ description: '`cron(...)`; null for a rate schedule' }),
    rate: z.string().nullable().meta({ description: '`rate(...)`; null for a cron schedule' }),
    timezone: z.string().meta({ description: 'IANA time zone of the cron fields' }),
    state: z.enum(['ENABLED', 'PAUSED']),
    overlap: z.enum(OVERLAP_POLICIES),
    job: JobTemplateSchema.extend({
      payload: z.unknown().meta({ description: 'the payload each job gets (any JSON); null when none' }),
    }).meta({ description: 'the job each fire submits' }),
    startAt: timestamp.nullable(),
    endAt: timestamp.nullable(),
    createdAt: timestamp,
    nextFires: z.array(timestamp).meta({ description: 'the next 3 fire times; none while paused' }),
    recentJobs: z
      .array(z.object({ jobId: z.string(), fireTime: timestamp, status: z.enum(JOB_STATUSES).nullable() }))
      .meta({ description: 'the jobs of the latest fires, newest first; one per fire time' }),
    skippedFires: z
      .array(timestamp)
      .meta({ description: 'latest fires skipped (overlap) because the previous job ran' }),
    bufferedFire: timestamp
      .nullable()
      .meta({ description: 'a fire held back until the previous job finishes (bufferOne)' }),
  }),
);

export const SchedulePageSchema = describes<SchedulePage>()(z.object({ items: z.array(ScheduleViewSchema) }));

export const ScheduleDeletedSchema = describes<ScheduleDeleted>()(
  z.object({ name: z.string(), deleted: z.literal(true) }),
);

export const ErrorBodySchema = describes<ErrorBody>()(
  z.object({
    error: z.object({
      code: z.string().meta({ description: 'stable and machine-readable, e.g. VALIDATION_FAILED' }),
      message: z.string(),
      details: z.array(
        z.object({
          path: z.string().meta({ description: "the field at fault, dotted; '' for the whole body" }),
          message: z.string(),
        }),
      ),
    }),
  }),
);

export const RedriveResultSchema = describes<RedriveResult>()(
  z.object({
    requeued: z.int(),
    messagesMoved: z.int(),
    remaining: z.boolean().meta({ description: 'dead jobs or DLQ messages are left: call again' }),
  }),
);

const QueueDepthSchema = z.object({ visible: z.int(), inFlight: z.int(), delayed: z.int(), deadLettered: z.int() });
const perClass = z.record(z.enum(CAPACITIES), z.int());

export const StatsSchema = describes<StatsView>()(
  z.object({
    queues: z.record(z.enum(ALL_QUEUE_KEYS), QueueDepthSchema),
    running: perClass,
    dead: perClass,
    workers: z.array(
      z.object({
        workerId: z.string(),
        capacity: z.enum(CAPACITIES),
        speed: z.number().optional().meta({ description: 'measured against its class (1 = normal)' }),
        hostPaceMs: z
          .number()
          .optional()
          .meta({ description: 'its latest host pace probe reading (lower is faster); absent from older workers' }),
        onProbation: z.boolean(),
        slots: z.int(),
        running: z.int(),
        jobIds: z
          .array(z.string())
          .optional()
          .meta({ description: 'the jobs it runs attempts of; absent from workers older than this field' }),
        startedAt: timestamp,
        lastSeenAt: timestamp,
      }),
    ),
    tenants: z
      .array(
        z.object({
          tenant: z.string(),
          running: z.int().meta({ description: 'attempts of its jobs running now, as the live workers report them' }),
          queued: z.int().meta({ description: "its jobs waiting to start in the fair dispatcher's backlogs" }),
          waitP99Ms: z.number().nullable().meta({
            description:
              "p99 of its jobs' queue wait (ready → the attempt's start) over the last 5 minutes; null when none started",
          }),
        }),
      )
      .meta({
        description: 'the 20 tenants with the most jobs running and queued, most first (see docs/tenants.md)',
      }),
    limits: z
      .record(
        z.string(),
        z.object({
          concurrency: z.int().optional().meta({ description: 'most attempts of the type running at once' }),
          perSecond: z.number().optional().meta({ description: 'most attempts of the type starting per second' }),
          running: z.int().optional().meta({ description: 'attempts holding a concurrency slot now' }),
        }),
      )
      .meta({ description: 'limited job types, by type' }),
    messageChecks: z
      .partialRecord(
        z.enum(ALL_QUEUE_KEYS),
        z.object({
          waitingPastGrace: z
            .int()
            .meta({ description: 'jobs the latest review found waiting for their message past the grace' }),
          oldestWaitMs: z.int().meta({ description: 'how long the longest of them had waited' }),
          observedAt: timestamp,
          resentTotal: z.int().meta({ description: 'jobs found without their message and sent a fresh one' }),
          lastResentAt: timestamp.optional(),
          lastResentJobs: z.int().optional(),
        }),
      )
      .meta({
        description:
          "queues where reviews of message checks found jobs waiting for their message past the reaper's grace (see docs/architecture.md)",
      }),
    generatedAt: timestamp,
  }),
);

const check = z.enum(['ok', 'failing']);
export const HealthSchema = describes<HealthView>()(
  z.object({ status: z.enum(['ok', 'degraded']), checks: z.object({ jobsTable: check, queues: check }) }),
);

/** `POST /jobs/batch`: one item per job, in request order, each as `POST /jobs` alone would have answered. */
export const BatchResultSchema = describes<BatchView>()(
  z.object({
    items: z.array(
      z.union([
        z.object({
          status: z.literal([200, 201]).meta({ description: '201 created, 200 replayed' }),
          job: JobViewSchema,
        }),
        z
          .object({
            status: z.int().meta({ description: 'the error status POST /jobs would have answered' }),
            error: ErrorBodySchema.shape.error,
          })
          .meta({
            description:
              'a job not submitted: 400 (`details` name its fields, a `type` outside the allow-list included), ' +
              '409 (its idempotency key came with another request), 413 (its payload) or 503 (not kept; retry it)',
          }),
      ]),
    ),
  }),
);

/**
 * What API Gateway answers by itself, before or instead of a function (auth, throttling, a failed
 * or slow function): its own `{message}`, or `{Message}` for an explicit IAM deny.
 */
export const GatewayErrorSchema = z.union([
  z.looseObject({ message: z.string() }),
  z.looseObject({ Message: z.string() }),
]);

export const UploadSchema = describes<UploadView>()(
  z.object({
    payloadRef: z.string().meta({ description: 'submit with `payloadRef` once the bytes are uploaded' }),
    uploadUrl: z.url().meta({ description: 'a presigned S3 URL: PUT exactly `bytes` bytes here' }),
    method: z.literal('PUT'),
    headers: z.object({ 'content-type': z.enum(['application/json', 'application/octet-stream']) }),
    expiresAt: timestamp,
  }),
);

const TenantViewObject = z.object({
  tenant: TenantIdSchema,
  settings: TenantSettingsSchema.extend({ weight: z.int() }).meta({
    description: 'as they apply: the defaults, then the props override, then the stored one, field by field',
  }),
  stored: TenantSettingsSchema.optional().meta({ description: 'stored at run time (PUT); absent when none' }),
});

export const TenantViewSchema = describes<TenantView>()(TenantViewObject);

export const TenantPageSchema = describes<TenantPage>()(z.object({ tenants: z.array(TenantViewObject) }));

export const TenantDeletedSchema = describes<TenantDeleted>()(
  TenantViewObject.extend({ deleted: z.boolean().meta({ description: 'whether it had stored settings' }) }),
);

export const WorkflowCreatedSchema = describes<WorkflowCreated>()(z.object({ id: z.uuid() }));

export const WorkflowViewSchema = describes<WorkflowView>()(
  z.object({
    id: z.uuid(),
    status: z.enum(WORKFLOW_STATUSES),
    tenant: z.string(),
    cancelRequested: z.boolean(),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
    steps: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        status: z
          .enum(STEP_VIEW_STATUSES)
          .meta({ description: 'PENDING, SKIPPED (a parent failed) or CANCELLED before a job; then its job status' }),
        jobId: z.uuid().meta({ description: "the step's job (GET /jobs/{id}), known before the job exists" }),
        attempts: z.int(),
        startedAt: timestamp.nullable().meta({ description: "its job's first attempt's start; null until it ran" }),
        finishedAt: timestamp.nullable().meta({ description: "its job's end (succeeded, dead or cancelled)" }),
        result: z
          .unknown()
          .meta({ description: "its job's result; null until it succeeded, or when kept in the payload bucket" }),
        error: z.string().nullable(),
        dependsOn: z.array(z.string()),
        onParentFailure: z.enum(PARENT_FAILURE_RULES),
        spawnedBy: z
          .string()
          .nullable()
          .describe(
            'A spawned child\'s or join\'s spawning step (docs/workflows.md, "Dynamic fan-out"); null for a declared step',
          ),
      }),
    ),
  }),
);
