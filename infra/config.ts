import type { Node } from 'constructs';
import { z } from 'zod';
import { API_KINDS } from '../src/aws/manifest.ts';
import { DEFAULT_WINDOW_PER_WEIGHT } from '../src/jobs/fairness/index.ts';
import { TypeLimitsSchema } from '../src/jobs/limits/index.ts';
import type { PRIORITIES } from '../src/jobs/model/index.ts';
import { DEFAULT_INLINE_BYTES, DEFAULT_MAX_PAYLOAD_BYTES, MAX_SINGLE_PUT_BYTES } from '../src/jobs/payloads/index.ts';
import { DEFAULT_REAPER_INTERVAL_MS, DEFAULT_REAPER_SETTINGS } from '../src/jobs/reaper/index.ts';
import { DEFAULT_DETECTOR_INTERVAL_MS, DEFAULT_DETECTOR_SETTINGS } from '../src/jobs/speculation/index.ts';
import { TenantsConfigSchema } from '../src/jobs/tenants/index.ts';

/**
 * Deploy-time settings, read from CDK context (`cdk.json` or `-c tailguard:<name>=<value>`).
 * Every setting is documented in docs/configuration.md; a malformed value fails synth.
 */
// The run-time defaults are the domain's own, so a deployment and a bare process agree.
const DETECTOR = DEFAULT_DETECTOR_SETTINGS;
const n = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A structured setting: an object in `cdk.json` or props, JSON text when given with `-c`. */
const structured = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  }, schema);

export const TailguardConfigSchema = z.strictObject({
  /** Prefix of stack names: `<prefix>Core`, `<prefix>Compute`. */
  prefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,30}$/)
    .default('Tailguard'),
  /** `iam` (SigV4, default) or `apiKey` (API keys with a usage plan; REST only). */
  apiAuth: z.enum(['iam', 'apiKey']).default('iam'),
  /** `rest` (API Gateway REST API, default) or `http` (API Gateway HTTP API: same routes, IAM auth only, cheaper). */
  apiKind: z.enum(API_KINDS).default('rest'),
  /** API Gateway throttling for the whole stage. */
  apiRateLimit: n(1, 10_000).default(1000),
  apiBurstLimit: n(1, 5_000).default(2000),
  /** An existing VPC to run workers in; a new one is created when absent. */
  vpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]+$/)
    .optional(),
  natGateways: n(0, 3).default(1),
  cpuWorkerCpu: z.coerce
    .number()
    .int()
    .refine((v) => [256, 512, 1024, 2048, 4096, 8192, 16384].includes(v), 'a Fargate CPU size')
    .default(1024),
  cpuWorkerMemoryMiB: n(512, 122_880).default(2048),
  cpuWorkerConcurrency: n(1, 256).default(8),
  cpuWorkerMinTasks: n(0, 1000).default(1),
  cpuWorkerMaxTasks: n(1, 1000).default(20),
  gpuInstanceType: z
    .string()
    .regex(/^[a-z0-9]+\.[a-z0-9]+$/)
    .default('g5.xlarge'),
  gpuWorkerGpus: n(1, 8).default(1),
  gpuWorkerMemoryMiB: n(512, 1_000_000).default(12_288),
  gpuWorkerConcurrency: n(1, 64).default(1),
  gpuWorkerMinTasks: n(0, 100).default(0),
  gpuWorkerMaxTasks: n(1, 100).default(4),
  /** Work (visible + in-flight messages) per task that autoscaling aims for, as a multiple of the worker's concurrency. */
  backlogPerTaskFactor: z.coerce.number().positive().max(100).default(1),
  /** Alarm when the oldest message of a priority is older than this (seconds). */
  alarmOldestMessageSecondsCritical: n(10, 86_400).default(60),
  alarmOldestMessageSecondsHigh: n(10, 86_400).default(300),
  alarmOldestMessageSecondsDefault: n(10, 86_400).default(900),
  alarmOldestMessageSecondsLow: n(10, 86_400).default(3600),
  /** Share of a class's running attempts that may be speculative backups at once. */
  speculationBudget: z.coerce.number().min(0).max(1).default(DETECTOR.budgetFraction),
  /** An attempt straggles when its estimated run time exceeds this × its type's median. */
  stragglerSlowFactor: z.coerce.number().min(1.1).max(100).default(DETECTOR.slowFactor),
  /** Recorded runs of a job type before the detector trusts its median. */
  stragglerMinSamples: n(1, 100_000).default(DETECTOR.minSamples),
  /** Attempts younger than this (ms) are never flagged as stragglers. */
  stragglerMinElapsedMs: n(50, 3_600_000).default(DETECTOR.minElapsedMs),
  /** Expected ms from asking for a backup to its start: a backup must be expected to win by more. */
  stragglerBackupStartMs: n(0, 600_000).default(DETECTOR.backupStartMs),
  /** Seconds between detection passes inside each detector run. */
  detectorIntervalSeconds: z.coerce
    .number()
    .min(0.2)
    .max(30)
    .default(DEFAULT_DETECTOR_INTERVAL_MS / 1000),
  /** Seconds a backup may wait unclaimed, while no worker of its class reports a free slot, before the detector adds one. */
  capacityWaitSeconds: z.coerce
    .number()
    .min(1)
    .max(600)
    .default(DETECTOR.capacityWaitMs / 1000),
  /** A job past its due time by this long (seconds) with no live attempt gets a fresh message from the reaper. */
  reaperGraceSeconds: n(1, 86_400).default(DEFAULT_REAPER_SETTINGS.graceMs / 1000),
  /** Seconds between reaper passes (60: one a minute; less: several inside each minute's run). */
  reaperIntervalSeconds: z.coerce
    .number()
    .min(0.5)
    .max(60)
    .default(DEFAULT_REAPER_INTERVAL_MS / 1000),
  /** Per job type: at most `concurrency` attempts running at once, at most `perSecond` starts a second (src/jobs/limits). */
  typeLimits: structured(TypeLimitsSchema).default({}),
  /** Tenants' weights and quotas: `defaults` for every tenant, `overrides` per tenant (src/jobs/tenants). */
  tenants: structured(TenantsConfigSchema).default({}),
  /** Places per unit of a tenant's weight in each queue (src/jobs/fairness, docs/fairness.md); 0: fair dispatch off. */
  fairnessWindowPerWeight: n(0, 100_000).default(DEFAULT_WINDOW_PER_WEIGHT),
  /** Payloads and results larger than this (bytes) are kept in the payload bucket, not in the job's item. */
  payloadInlineBytes: n(1024, DEFAULT_INLINE_BYTES).default(DEFAULT_INLINE_BYTES),
  /** Largest payload (bytes) a job may carry, inline or uploaded; larger is a 413. */
  payloadMaxBytes: n(1, MAX_SINGLE_PUT_BYTES).default(DEFAULT_MAX_PAYLOAD_BYTES),
  /** Days the payload bucket keeps stored payloads, uploads and results (its lifecycle rule). */
  payloadRetentionDays: n(1, 3650).default(30),
  /** Test-only: intake honours the `x-tailguard-fault` header, e.g. to stop after a job's write. */
  faultInjection: z.enum(['off', 'on']).default('off'),
  /** Local runtime only: the hook that starts a worker process (stands in for ECS). */
  localCapacityHookUrl: z.url().optional(),
  /** Email subscribed to the alarm topic, if any. */
  alarmEmail: z.email().optional(),
});
export type TailguardConfig = z.output<typeof TailguardConfigSchema>;

/** The `tailguard:<setting>` values set in CDK context (`cdk.json`, `-c`), unvalidated. */
export function contextSettings(node: Node): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(TailguardConfigSchema.shape)) {
    const value = node.tryGetContext(`tailguard:${name}`);
    if (value !== undefined) raw[name] = value;
  }
  return raw;
}

/** Validated settings, each problem named as `tailguard:<setting>` (the context key that sets it). */
export function parseConfig(raw: Record<string, unknown>): TailguardConfig {
  const parsed = TailguardConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `invalid Tailguard settings: ${parsed.error.issues.map((i) => `tailguard:${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** SSM parameter where the construct publishes its ECS worker services for the detector. */
export const workerServicesParameter = (config: TailguardConfig): string => `/${config.prefix}/worker-services`;

export function oldestMessageAlarmSeconds(config: TailguardConfig): Record<(typeof PRIORITIES)[number], number> {
  return {
    critical: config.alarmOldestMessageSecondsCritical,
    high: config.alarmOldestMessageSecondsHigh,
    default: config.alarmOldestMessageSecondsDefault,
    low: config.alarmOldestMessageSecondsLow,
  };
}
