import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Settings } from '../src/aws/environment/index.ts';
import type { Runtime } from '../src/aws/runtime.ts';
import { queuesOfClass } from '../src/jobs/dispatch/index.ts';
import { JobLimiter, type TypeLimits } from '../src/jobs/limits/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE, TenantMetricsRecorder } from '../src/jobs/metrics/index.ts';
import { type Job, tenantOf } from '../src/jobs/model/index.ts';
import { LatencyStatsRecorder, typeKey, workerKey } from '../src/jobs/speculation/index.ts';
import { TenantWaits } from '../src/jobs/tenant-stats/index.ts';
import type { HandlerRegistry } from './job-handler.ts';
import { JobPayloads } from './job-payloads.ts';
import { JobRunner } from './job-runner.ts';
import { QueuePoller } from './queue-poller.ts';
import type { FinishedOutcome } from './settle.ts';
import { DEFAULT_SPEED_METER_OPTIONS, SpeedMeter } from './speed-meter.ts';
import { Worker } from './worker.ts';
import { classPeers } from './worker-reports.ts';

/** A worker's parts, connected: what its lifecycle starts, reports on and stops. */
export interface WorkerParts {
  logger: Logger;
  runner: JobRunner;
  worker: Worker;
  speed: SpeedMeter;
  /** Its tenants' recent queue waits: its report carries them to `GET /stats`. */
  tenantWaits: TenantWaits;
  /** Publishes the metrics and latency statistics gathered since the last flush. */
  flushTelemetry: () => Promise<void>;
}

/**
 * Builds a worker's parts from its settings and the adapters of its environment: the poller of
 * its class's queues, the runner with its limits and measurements, and the receive loop.
 * `onAttemptStarted` is told of each attempt as it starts (the worker's report lists them); its
 * tenant's wait goes to the per-tenant metrics and to the waits the report carries.
 */
export function wireWorker(
  settings: Settings<'worker'> & { workerId: string },
  {
    registry,
    runtime,
    limits,
    onAttemptStarted,
  }: {
    registry: HandlerRegistry;
    runtime: Runtime;
    limits: TypeLimits;
    onAttemptStarted: () => void;
  },
): WorkerParts {
  const { workerId } = settings;
  const logger = new Logger({
    serviceName: 'tailguard-worker',
    persistentKeys: { workerId, capacity: settings.capacity },
  });
  const poller = new QueuePoller(runtime.sqs(), queuesOfClass(runtime.topology(), settings.capacity), {
    waitSeconds: settings.pollWaitSeconds,
    visibilitySeconds: settings.leaseSeconds,
    starvationGuardEvery: settings.starvationGuard,
    deletes: {
      onError: (error, messages) =>
        logger.warn('deleting finished messages failed; they come back and are dropped', {
          error: error as Error,
          messages,
        }),
    },
  });
  const latency = new LatencyStatsRecorder(runtime.stats());
  const speed = new SpeedMeter(runtime.stats(), {
    ...DEFAULT_SPEED_METER_OPTIONS,
    probationSpeed: settings.probationSpeed,
  });
  const peers = classPeers(runtime.workers(), settings.capacity, workerId);
  const onAttemptFinished = (job: Job, runTimeMs: number, outcome: FinishedOutcome) => {
    if (outcome === 'failed') return;
    speed
      .record(job.type, job.capacity, runTimeMs)
      .catch((error: Error) => logger.warn('speed measurement failed', { error }));
    // Only winners describe the type's normal; a superseded attempt's time is its slow host's.
    if (outcome !== 'succeeded') return;
    latency.record(typeKey(job.type, job.capacity), runTimeMs);
    latency.record(workerKey(job.type, job.capacity, workerId), runTimeMs);
  };
  // Any tenant may be given quotas at run time, so every job's tenant is checked (its settings cached).
  const tenantSettings = runtime.tenantSettings();
  const limiter = new JobLimiter(
    limits,
    { semaphores: runtime.semaphores(), rateWindows: runtime.rateWindows() },
    { leaseMs: settings.leaseSeconds * 1000, tenantLimit: (tenant) => tenantSettings.get(tenant) },
  );
  const metricsOptions = { namespace: METRICS_NAMESPACE, serviceName: 'tailguard-worker' };
  // Metrics are published per queue each heartbeat interval, not per job.
  const metrics = new JobMetricsRecorder(
    new Metrics(metricsOptions),
    (defaultDimensions) => new Metrics({ ...metricsOptions, defaultDimensions }),
  );
  const tenantMetrics = new TenantMetricsRecorder(
    (defaultDimensions) => new Metrics({ ...metricsOptions, defaultDimensions }),
  );
  const tenantWaits = new TenantWaits();
  const flushTelemetry = () => {
    metrics.flush();
    tenantMetrics.flush();
    return latency.flush().catch((error: Error) => logger.warn('latency statistics flush failed', { error }));
  };
  const runner = new JobRunner(
    {
      store: runtime.store(),
      poller,
      dispatcher: runtime.dispatcher(),
      registry,
      logger,
      metrics,
      limiter,
      fairness: runtime.fairness(),
      speed,
      onAttemptFinished,
      onAttemptStarted: (job, waitMs) => {
        tenantWaits.record(tenantOf(job), waitMs);
        tenantMetrics.started(tenantOf(job), waitMs);
        onAttemptStarted();
      },
      onProgress: (attempt, others) =>
        void speed
          .observe(attempt, peers, settings.concurrency, others)
          .catch((error: Error) => logger.warn('reading the attempts’ pace failed', { error })),
      payloads: jobPayloads(runtime),
      queuedCounts: runtime.queuedCounts(),
      workflows: runtime.workflows(),
    },
    {
      workerId,
      leaseSeconds: settings.leaseSeconds,
      heartbeatSeconds: settings.heartbeatSeconds,
    },
  );
  const worker = new Worker(
    poller,
    runner,
    logger,
    { concurrency: settings.concurrency, shutdownGraceSeconds: settings.shutdownGraceSeconds, probationPollMs: 1000 },
    speed,
  );
  return { logger, runner, worker, speed, tenantWaits, flushTelemetry };
}

/**
 * The payload bucket when the environment names one: a deployment from before it names none (or,
 * through `tailguard dev`'s manifest, an empty one), and its jobs' payloads and results are inline.
 */
function jobPayloads(runtime: Runtime): JobPayloads {
  try {
    const limits = runtime.payloadLimits();
    const store = runtime.payloads();
    return new JobPayloads(store.bucket ? store : undefined, limits);
  } catch {
    return new JobPayloads(undefined);
  }
}
