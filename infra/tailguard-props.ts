import type { RemovalPolicy } from 'aws-cdk-lib';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import type { Cluster, ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { Node } from 'constructs';
import type { TypeLimits } from '../src/jobs/limits/index.ts';
import type { Priority } from '../src/jobs/model/index.ts';
import type { ScheduleRequestInput } from '../src/jobs/schedules/index.ts';
import type { TenantsConfig } from '../src/jobs/tenants/index.ts';
import { contextSettings, parseConfig, type TailguardConfig } from './config.ts';

/** A class's workers on ECS: the team's image, whose command runs `createWorker` (tailguard/worker). */
export interface WorkerPoolProps {
  /** The team's worker image (e.g. `ContainerImage.fromAsset('worker')`). */
  readonly image: ContainerImage;
  /** Overrides the image's command. @default the image's `CMD` */
  readonly command?: string[];
  /** Attempts one worker task runs at once. @default 8 (cpu), 1 (gpu) */
  readonly concurrency?: number;
  /** @default 1 (cpu), 0 (gpu: scales to zero when idle) */
  readonly minTasks?: number;
  /** @default 20 (cpu), 4 (gpu) */
  readonly maxTasks?: number;
  /** Memory of a task (Fargate) or reserved for it (GPU instances). @default 2048 (cpu), 12288 (gpu) */
  readonly memoryMiB?: number;
}

/** cpu workers: Fargate tasks. */
export interface CpuWorkerPoolProps extends WorkerPoolProps {
  /** Fargate CPU units (256 … 16384). @default 1024 */
  readonly cpu?: number;
}

/** gpu workers: ECS tasks on GPU instances through a capacity provider (Fargate has no GPUs). */
export interface GpuWorkerPoolProps extends WorkerPoolProps {
  /** @default 'g5.xlarge' */
  readonly instanceType?: string;
  /** GPUs reserved per task. @default 1 */
  readonly gpuCount?: number;
}

export interface TailguardProps {
  /**
   * Worker pools per capacity class. A class without a pool has no ECS workers: run its workers
   * elsewhere (they need only the environment `tailguard dev` or the manifest gives).
   * @default no ECS workers
   */
  readonly workers?: { readonly cpu?: CpuWorkerPoolProps; readonly gpu?: GpuWorkerPoolProps };
  /** The job types intake accepts; others get a 400 naming the known ones. @default any type */
  readonly jobTypes?: readonly string[];
  /**
   * Limits per job type, kept by the workers across the fleet: at most `concurrency` attempts of
   * the type running at once, at most `perSecond` starting per second (fractions allowed). A job
   * over its limit waits in its queue without using up an attempt.
   *
   *   typeLimits: { render: { concurrency: 2 }, 'mail.send': { perSecond: 5 } }
   * @default no limits
   */
  readonly typeLimits?: TypeLimits;
  /**
   * Tenants' weights (fair shares) and quotas, for every tenant (`defaults`) and per tenant
   * (`overrides`, field by field over the defaults); `PUT /tenants/{tenant}` overrides both at run
   * time (docs/tenants.md). `concurrency` and `perSecond` are kept like `typeLimits`; a submit past
   * `maxQueued` waiting jobs is a 429.
   *
   *   tenants: { defaults: { maxQueued: 10_000 }, overrides: { acme: { weight: 3, concurrency: 20 } } }
   * @default every tenant weight 1, no quotas
   */
  readonly tenants?: TenantsConfig;
  /**
   * Fair dispatch between tenants (docs/fairness.md): in each queue a tenant has `weight ×
   * windowPerWeight` jobs sent at most; its others wait held and are released as its jobs start.
   * Size it to at least starts per second × release latency (≈ 0.1-0.3 s). `false`: every job is
   * sent at once, in arrival order.
   * @default { windowPerWeight: 16 }
   */
  readonly fairness?: { readonly windowPerWeight?: number } | false;
  /**
   * Recurring jobs deployed with the stack, as `POST /schedules` bodies (docs/schedules.md): each is
   * an EventBridge Scheduler schedule in Tailguard's group, checked at synth, reviewed in a diff.
   *
   *   schedules: [{ name: 'weekly-report', cron: 'cron(0 9 ? * MON *)', timezone: 'Europe/Berlin', job: { type: 'report' } }]
   * @default none
   */
  readonly schedules?: readonly ScheduleRequestInput[];
  /**
   * Upgrading a deployment of Tailguard 0.1: keep its `byStatus` index for one deployment while
   * `tailguard migrate-index` fills the new one, then deploy without it (docs/migration.md).
   * @default false
   */
  readonly keepLegacyStatusIndex?: boolean;
  readonly api?: {
    /**
     * Which API Gateway API serves intake, with the same routes, functions and grants either way:
     * `rest`: a REST API (stage `v1`, $3.50 per million requests; the only kind with API keys);
     * `http`: an HTTP API (`$default` stage, URL without a stage path, $1.00 per million requests;
     * IAM auth only, no X-Ray tracing of the API itself). Changing it on a deployed stack replaces
     * the API, so its URL changes. @default 'rest'
     */
    readonly kind?: 'rest' | 'http';
    /** `iam`: callers sign with SigV4; `apiKey`: callers send `x-api-key` of the created usage plan (`kind: 'rest'` only). @default 'iam' */
    readonly auth?: 'iam' | 'apiKey';
    /** Stage throttling, requests per second. @default 1000 */
    readonly rateLimit?: number;
    /** @default 2000 */
    readonly burstLimit?: number;
  };
  /** The straggler detector (docs/speculation.md). */
  readonly speculation?: {
    /** Share of a class's running attempts that may be speculative backups at once (0 turns speculation off). @default 0.3 */
    readonly budget?: number;
    /** An attempt straggles when its estimated run time exceeds this × its type's median. @default 2 */
    readonly slowFactor?: number;
    /** Runs of a job type before its median is trusted. @default 20 */
    readonly minSamples?: number;
    /** Attempts younger than this are never backed up. @default 1000 */
    readonly minElapsedMs?: number;
    /** Expected ms from asking for a backup to its start; a backup must be expected to win by more. @default 500 */
    readonly backupStartMs?: number;
    /** @default 5 */
    readonly detectorIntervalSeconds?: number;
    /** A backup unclaimed this long, while no worker of its class reports a free slot, makes the detector add one. @default 2 */
    readonly capacityWaitSeconds?: number;
  };
  readonly reaper?: {
    /** A job this long past due with no live attempt gets a fresh message. @default 300 */
    readonly graceSeconds?: number;
    /** @default 60 */
    readonly intervalSeconds?: number;
  };
  readonly alarms?: {
    /** Subscribed to the alarm topic. @default none */
    readonly email?: string;
    /** Alarm when a priority's oldest message is older (seconds). @default critical 60, high 300, default 900, low 3600 */
    readonly oldestMessageSeconds?: Partial<Record<Priority, number>>;
  };
  /** Run workers in this VPC (private subnets with egress). @default a new 2-AZ VPC */
  readonly existingVpc?: IVpc;
  /** NAT gateways of the new VPC. @default 1 */
  readonly natGateways?: number;
  /** Run the worker services in this cluster of the app (with the VPC it was made in). @default a new cluster */
  readonly existingCluster?: Cluster;
  /** Target tracking aims for (visible + in-flight messages) per task = concurrency × this. @default 1 */
  readonly backlogPerTaskFactor?: number;
  /** What happens to queues and tables when the stack is deleted. @default RETAIN (DESTROY when `local`) */
  readonly removalPolicy?: RemovalPolicy;
  /** Names alarms and the worker services' SSM parameter; unique per account and region. @default 'Tailguard' */
  readonly prefix?: string;
  /**
   * Deploying to a local emulator: no ECS, no dashboard or alarms (`tailguard dev` runs workers as processes).
   * @default the context value `tailguard:local`
   */
  readonly local?: boolean;
  /** Local runtime only: the hook that starts a worker process when a backup finds no room. */
  readonly localCapacityHookUrl?: string;
  /** Test-only: intake honours the `x-tailguard-fault` header. Never on a real deployment. @default false */
  readonly faultInjection?: boolean;
}

/**
 * The settings the construct's parts are built from: its props, over `tailguard:<setting>` values in
 * CDK context (so one app can be tuned per environment with `-c`), over the defaults in config.ts.
 */
export function configFromProps(props: TailguardProps, node: Node): TailguardConfig {
  const { cpu, gpu } = props.workers ?? {};
  const age = props.alarms?.oldestMessageSeconds ?? {};
  const settings = {
    prefix: props.prefix,
    apiAuth: props.api?.auth,
    apiKind: props.api?.kind,
    apiRateLimit: props.api?.rateLimit,
    apiBurstLimit: props.api?.burstLimit,
    natGateways: props.natGateways,
    cpuWorkerCpu: cpu?.cpu,
    cpuWorkerMemoryMiB: cpu?.memoryMiB,
    cpuWorkerConcurrency: cpu?.concurrency,
    cpuWorkerMinTasks: cpu?.minTasks,
    cpuWorkerMaxTasks: cpu?.maxTasks,
    gpuInstanceType: gpu?.instanceType,
    gpuWorkerGpus: gpu?.gpuCount,
    gpuWorkerMemoryMiB: gpu?.memoryMiB,
    gpuWorkerConcurrency: gpu?.concurrency,
    gpuWorkerMinTasks: gpu?.minTasks,
    gpuWorkerMaxTasks: gpu?.maxTasks,
    backlogPerTaskFactor: props.backlogPerTaskFactor,
    typeLimits: props.typeLimits,
    tenants: props.tenants,
    fairnessWindowPerWeight: props.fairness === false ? 0 : props.fairness?.windowPerWeight,
    alarmOldestMessageSecondsCritical: age.critical,
    alarmOldestMessageSecondsHigh: age.high,
    alarmOldestMessageSecondsDefault: age.default,
    alarmOldestMessageSecondsLow: age.low,
    speculationBudget: props.speculation?.budget,
    stragglerSlowFactor: props.speculation?.slowFactor,
    stragglerMinSamples: props.speculation?.minSamples,
    stragglerMinElapsedMs: props.speculation?.minElapsedMs,
    stragglerBackupStartMs: props.speculation?.backupStartMs,
    detectorIntervalSeconds: props.speculation?.detectorIntervalSeconds,
    capacityWaitSeconds: props.speculation?.capacityWaitSeconds,
    reaperGraceSeconds: props.reaper?.graceSeconds,
    reaperIntervalSeconds: props.reaper?.intervalSeconds,
    faultInjection: props.faultInjection === undefined ? undefined : props.faultInjection ? 'on' : 'off',
    localCapacityHookUrl: props.localCapacityHookUrl,
    alarmEmail: props.alarms?.email,
  };
  const given = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
  return parseConfig({ ...contextSettings(node), ...given });
}
