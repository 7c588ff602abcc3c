import { z } from 'zod';
import { QueueTopologySchema } from '../../jobs/dispatch/index.ts';
import { DEFAULT_WINDOW_PER_WEIGHT } from '../../jobs/fairness/index.ts';
import { TypeLimitsSchema } from '../../jobs/limits/index.ts';
import { CAPACITIES } from '../../jobs/model/index.ts';
import { DEFAULT_INLINE_BYTES, DEFAULT_MAX_PAYLOAD_BYTES, MAX_SINGLE_PUT_BYTES } from '../../jobs/payloads/index.ts';
import { DEFAULT_REAPER_INTERVAL_MS, DEFAULT_REAPER_SETTINGS } from '../../jobs/reaper/index.ts';
import {
  DEFAULT_DETECTOR_INTERVAL_MS,
  DEFAULT_DETECTOR_SETTINGS,
  DEFAULT_PROBATION_SPEED,
} from '../../jobs/speculation/index.ts';
import { TenantsConfigSchema } from '../../jobs/tenants/index.ts';
import { ENV } from './names.ts';
import { arn, jsonText, resourceName, secondsAsMs, type Variable, variable } from './variable.ts';

const integer = (min: number) => z.coerce.number().int().min(min);
const nonNegative = z.coerce.number().min(0);
const positive = z.coerce.number().positive();

/**
 * The settings Tailguard processes take from their environment, in sections: each is what one
 * piece of code needs (an adapter, a handler, the worker), read when that piece is first built so
 * a process needs only the variables of what it touches. Field order is the order variables are
 * written in (an ECS task's environment is a list: reordering it makes a new task definition).
 */
export const SECTIONS = {
  /** The job store's tables. */
  jobStore: {
    jobs: variable(ENV.jobsTable, resourceName),
    idempotency: variable(ENV.idempotencyTable, resourceName),
  },
  /** The run-time statistics table (medians the detector and the workers' speed compare with). */
  latencyStats: { table: variable(ENV.statsTable, resourceName) },
  /** The table of live workers' reports. */
  workerRegistry: { table: variable(ENV.workersTable, resourceName) },
  /**
   * The coordination table: named turns (work that must not run twice at once, a class's detector
   * pass), per-type concurrency slots and rate windows.
   */
  coordination: { table: variable(ENV.coordinationTable, resourceName) },
  /** Per-type concurrency and rate limits the workers keep (src/jobs/limits). */
  typeLimits: {
    /**
     * Limits by job type (JSON); written only when there are some.
     * @default no limits
     */
    limits: variable(ENV.typeLimits, jsonText(TypeLimitsSchema).default({}), (limits, json) =>
      Object.keys(limits).length > 0 ? json(limits) : undefined,
    ),
  },
  /**
   * Tenants' settings from the construct's props (src/jobs/tenants): defaults and per-tenant
   * overrides (JSON); written only when there are some. Overrides stored at run time are read from
   * the coordination table.
   * @default none: every tenant has weight 1 and no quota
   */
  tenants: {
    config: variable(ENV.tenants, jsonText(TenantsConfigSchema).default({}), (config, json) =>
      config.defaults !== undefined || config.overrides !== undefined ? json(config) : undefined,
    ),
  },
  /** Every work queue by key (JSON; the stack's `QueueTopology` output). */
  queues: { topology: variable(ENV.queues, jsonText(QueueTopologySchema), (topology, json) => json(topology)) },
  /** Where the dispatcher sends starts beyond SQS's 15-minute delay, and the checks on immediate starts' messages. */
  dispatch: {
    schedulerQueueUrl: variable(ENV.schedulerQueueUrl, z.url()),
    checksQueueUrl: variable(ENV.checksQueueUrl, z.url()),
  },
  /** The EventBridge Scheduler group of far-off starts (created by the start scheduler, deleted on cancel). */
  schedules: { groupName: variable(ENV.scheduleGroup, resourceName) },
  /** Where recurring schedules' fires go (the fire queue), as whom, and where undeliverable ones end. */
  recurringSchedules: {
    fireQueueUrl: variable(ENV.fireQueueUrl, z.url()),
    fireQueueArn: variable(ENV.fireQueueArn, arn),
    fireRoleArn: variable(ENV.fireRoleArn, arn),
    fireDeadLetterArn: variable(ENV.fireDeadLetterArn, arn),
  },
  /** What the start scheduler's schedules deliver to, and as whom. */
  startScheduler: {
    queueArn: variable(ENV.schedulerQueueArn, arn),
    roleArn: variable(ENV.schedulerRoleArn, arn),
  },
  /** Per-tenant windows (src/jobs/fairness): intake, workers and the reaper must agree on their size. */
  fairness: {
    /**
     * Places per unit of a tenant's weight in each queue; 0 turns fair dispatch off (every job is sent at once).
     * @default DEFAULT_WINDOW_PER_WEIGHT
     */
    windowPerWeight: variable(ENV.fairnessWindowPerWeight, integer(0).default(DEFAULT_WINDOW_PER_WEIGHT)),
  },
  intake: {
    /**
     * The job types intake accepts; it refuses the others with a 400 naming the known ones.
     * @default any type (the deployment gave no allow-list)
     */
    jobTypes: variable(
      ENV.jobTypes,
      z
        .string()
        .transform((text) => text.split(','))
        .pipe(z.array(z.string().min(1, 'has an empty job type')).min(1))
        .readonly()
        .optional(),
      (types) => types.join(','),
    ),
    /**
     * Test-only: honour the `x-tailguard-fault` request header. Written only when on.
     * @default false
     */
    faultInjection: variable(
      ENV.faultInjection,
      z
        .enum(['on', 'off'])
        .transform((value) => value === 'on')
        .default(false),
      (on) => (on ? 'on' : undefined),
    ),
  },
  /** The payload bucket: payloads and results too large for a job's item (src/jobs/payloads). */
  payloads: {
    bucket: variable(ENV.payloadBucket, resourceName),
    /**
     * Larger payloads and results go to the bucket.
     * @default DEFAULT_INLINE_BYTES (256 KiB)
     */
    inlineBytes: variable(ENV.payloadInlineBytes, integer(1).max(DEFAULT_INLINE_BYTES).default(DEFAULT_INLINE_BYTES)),
    /**
     * Larger payloads are refused (413) and larger results fail their job.
     * @default DEFAULT_MAX_PAYLOAD_BYTES (1 GiB)
     */
    maxBytes: variable(ENV.payloadMaxBytes, integer(1).max(MAX_SINGLE_PUT_BYTES).default(DEFAULT_MAX_PAYLOAD_BYTES)),
  },
  /** The straggler detector's tuning (src/jobs/speculation) and how it adds workers. */
  detector: {
    /**
     * Between detection passes inside one (minutely) run.
     * @default 5000
     */
    intervalMs: variable(ENV.detectorIntervalMs, positive.default(DEFAULT_DETECTOR_INTERVAL_MS)),
    /** @default DEFAULT_DETECTOR_SETTINGS.budgetFraction */
    budgetFraction: variable(
      ENV.speculationBudget,
      nonNegative.max(1).default(DEFAULT_DETECTOR_SETTINGS.budgetFraction),
    ),
    /** @default DEFAULT_DETECTOR_SETTINGS.slowFactor */
    slowFactor: variable(
      ENV.stragglerSlowFactor,
      z.coerce.number().gt(1).default(DEFAULT_DETECTOR_SETTINGS.slowFactor),
    ),
    /** @default DEFAULT_DETECTOR_SETTINGS.minSamples */
    minSamples: variable(ENV.stragglerMinSamples, integer(1).default(DEFAULT_DETECTOR_SETTINGS.minSamples)),
    /** @default DEFAULT_DETECTOR_SETTINGS.minElapsedMs */
    minElapsedMs: variable(ENV.stragglerMinElapsedMs, nonNegative.default(DEFAULT_DETECTOR_SETTINGS.minElapsedMs)),
    /** @default DEFAULT_DETECTOR_SETTINGS.backupStartMs */
    backupStartMs: variable(ENV.stragglerBackupStartMs, nonNegative.default(DEFAULT_DETECTOR_SETTINGS.backupStartMs)),
    /** @default DEFAULT_DETECTOR_SETTINGS.capacityWaitMs */
    capacityWaitMs: variable(ENV.capacityWaitMs, positive.default(DEFAULT_DETECTOR_SETTINGS.capacityWaitMs)),
    /** Local runtime: the hook that starts a worker process. */
    capacityHookUrl: variable(ENV.capacityHookUrl, z.url().optional()),
    /** On AWS: the SSM parameter where the construct publishes its ECS worker services. */
    workerServicesParameter: variable(ENV.workerServicesParameter, resourceName.optional()),
  },
  reaper: {
    /**
     * A job this long past its due time with no live attempt gets a fresh message (variable in seconds).
     * @default DEFAULT_REAPER_SETTINGS.graceMs
     */
    graceMs: secondsAsMs(ENV.reaperGraceSeconds, positive, DEFAULT_REAPER_SETTINGS.graceMs),
    /**
     * Between passes; a minute or more is one pass per run (variable in seconds).
     * @default 60000
     */
    intervalMs: secondsAsMs(ENV.reaperIntervalSeconds, positive, DEFAULT_REAPER_INTERVAL_MS),
  },
  /** A worker's settings; the demo worker (`demo/worker/demo-worker.ts`) takes each from its flag first. */
  worker: {
    /**
     * Capacity class whose queues the worker serves.
     * @default 'cpu'
     */
    capacity: variable(ENV.workerCapacity, z.enum(CAPACITIES).default('cpu')),
    /**
     * Attempts run at once.
     * @default 4
     */
    concurrency: variable(ENV.workerConcurrency, integer(1).default(4)),
    /**
     * Id reported on attempts.
     * @default `<class>-<host>-<pid>-<random>` (workers/worker-settings.ts)
     */
    workerId: variable(ENV.workerId, z.string().optional()),
    /**
     * Lease of a running attempt.
     * @default 30
     */
    leaseSeconds: variable(ENV.workerLeaseSeconds, integer(1).default(30)),
    /**
     * Lease renewal and progress interval (fractions allowed).
     * @default 10
     */
    heartbeatSeconds: variable(ENV.workerHeartbeatSeconds, positive.default(10)),
    /**
     * SQS long-poll wait when every queue is empty (SQS allows 0-20).
     * @default 20
     */
    pollWaitSeconds: variable(ENV.workerPollWaitSeconds, integer(0).max(20).default(20)),
    /**
     * Every n-th receive leads with a lower priority.
     * @default 4
     */
    starvationGuard: variable(ENV.workerStarvationGuard, integer(1).default(4)),
    /**
     * Measured speed (1 = the class's normal) below which the worker takes less work; 0 = never.
     * @default DEFAULT_PROBATION_SPEED (0.5)
     */
    probationSpeed: variable(ENV.workerProbationSpeed, nonNegative.default(DEFAULT_PROBATION_SPEED)),
    /**
     * Interval of the worker's report (class, speed, load) to the workers table.
     * @default 10
     */
    reportSeconds: variable(ENV.workerReportSeconds, positive.default(10)),
    /**
     * Time running attempts get after SIGTERM before they are released.
     * @default 25
     */
    shutdownGraceSeconds: variable(ENV.workerShutdownGraceSeconds, nonNegative.default(25)),
  },
  /** Local runtime: the process that started a worker, which stops when it is gone. */
  parentProcess: { pid: variable(ENV.workerParentPid, integer(1).optional()) },
} as const satisfies Record<string, Readonly<Record<string, Variable>>>;

export type Sections = typeof SECTIONS;
export type SectionName = keyof Sections;
