import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type Environment, readSection, type Settings } from '../src/aws/environment/index.ts';
import { runtime } from '../src/aws/runtime.ts';
import { queuesOfClass } from '../src/jobs/dispatch/index.ts';
import { TypeLimiter } from '../src/jobs/limits/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../src/jobs/metrics/index.ts';
import type { Job } from '../src/jobs/model/index.ts';
import { LatencyStatsRecorder, runningReportDelayMs, typeKey, workerKey } from '../src/jobs/speculation/index.ts';
import { FaultInjector } from './fault-injection.ts';
import { HandlerRegistry, type JobHandler } from './job-handler.ts';
import { type FinishedOutcome, JobRunner } from './job-runner.ts';
import { isAlive } from './process-alive.ts';
import { QueuePoller } from './queue-poller.ts';
import { DEFAULT_SPEED_METER_OPTIONS, SpeedMeter } from './speed-meter.ts';
import { Worker } from './worker.ts';

/** A worker's settings: each one left out comes from its `WORKER_*` variable, then its default (src/aws/environment). */
export type WorkerSettings = Partial<Settings<'worker'>>;

export interface CreateWorkerOptions extends WorkerSettings {
  /** The job types this worker runs, by type (or a registry). It takes only messages of these types. */
  handlers: HandlerRegistry | Readonly<Record<string, JobHandler>>;
  /**
   * Stop gracefully on SIGTERM and SIGINT (ECS sends SIGTERM, then SIGKILL after the stop timeout).
   * @default true
   */
  handleSignals?: boolean;
  /** Where unset settings are read from. @default process.env */
  env?: Environment;
  /** Closed once the worker has stopped, e.g. the Python handler processes (`pythonHandlers`). @default none */
  closeOnStop?: readonly { close(): Promise<void> }[];
}

/** A running worker process's handle. */
export interface TailguardWorker {
  readonly workerId: string;
  /** Runs until stopped: receives, claims and runs jobs, reports its speed and load. */
  start(): Promise<void>;
  /** Stops receiving, gives running attempts the shutdown grace, then hands the rest back. */
  stop(): Promise<void>;
}

/**
 * A Tailguard worker for the team's own handlers: the queue protocol (claim, lease, heartbeats,
 * speculation, effects) stays here, the handlers are theirs. The tables and queues it works on come
 * from the environment the stack (or `tailguard dev`) gives the process.
 *
 *   await createWorker({ handlers: { greet: defineHandler({ payload: z.object({ name: z.string() }), run: ... }) } }).start();
 */
export function createWorker(options: CreateWorkerOptions): TailguardWorker {
  const { handlers, handleSignals = true, env = process.env, closeOnStop = [], ...overrides } = options;
  const settings: Settings<'worker'> = { ...readSection('worker', env), ...definedOnly(overrides) };
  const registry = asRegistry(handlers);
  const workerId = settings.workerId ?? `${settings.capacity}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
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
  const flushLatency = () =>
    latency.flush().catch((error: Error) => logger.warn('latency statistics flush failed', { error }));
  const speed = new SpeedMeter(runtime.stats(), {
    ...DEFAULT_SPEED_METER_OPTIONS,
    probationSpeed: settings.probationSpeed,
  });
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
  // The coordination table is needed only when some type is limited.
  const { limits } = readSection('typeLimits', env);
  const limiter =
    Object.keys(limits).length > 0
      ? new TypeLimiter(
          limits,
          { semaphores: runtime.semaphores(), rateWindows: runtime.rateWindows() },
          { leaseMs: settings.leaseSeconds * 1000 },
        )
      : undefined;
  const faults = new FaultInjector(settings);
  const metricsOptions = { namespace: METRICS_NAMESPACE, serviceName: 'tailguard-worker' };
  // Metrics are published per queue each heartbeat interval, not per job.
  const metrics = new JobMetricsRecorder(
    new Metrics(metricsOptions),
    (defaultDimensions) => new Metrics({ ...metricsOptions, defaultDimensions }),
  );
  const flushTelemetry = () => {
    metrics.flush();
    return flushLatency();
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
      speed,
      onAttemptFinished,
      onAttemptStarted: () => reportRunningSoon(),
    },
    {
      workerId,
      leaseSeconds: settings.leaseSeconds,
      heartbeatSeconds: settings.heartbeatSeconds,
      attemptSlowdown: () => faults.attemptSlowdown(),
    },
  );
  const worker = new Worker(
    poller,
    runner,
    logger,
    { concurrency: settings.concurrency, shutdownGraceSeconds: settings.shutdownGraceSeconds, probationPollMs: 1000 },
    speed,
  );

  // Each report interval: decide probation (against the class's other workers), then report what
  // this worker is, how fast it measures and how loaded it is. The report expires unless renewed.
  const workers = runtime.workers();
  const startedAt = new Date().toISOString();
  const peers = async () =>
    (await workers.live()).filter((w) => w.capacity === settings.capacity && w.workerId !== workerId);
  const runningKey = () => [...runner.runningJobIds].sort().join();
  let reportedRunning = '';
  const report = () =>
    speed
      .review(peers, settings.concurrency)
      .then(() => {
        reportedRunning = runningKey();
        return workers.report(
          {
            workerId,
            capacity: settings.capacity,
            speed: speed.speed,
            onProbation: speed.onProbation,
            ...worker.load,
            startedAt,
            lastSeenAt: new Date().toISOString(),
          },
          3 * settings.reportSeconds,
        );
      })
      .catch((error: Error) => logger.warn('worker report failed', { error }));
  // The report is the detector's view of what runs (no index holds RUNNING jobs): a new attempt is
  // reported soon, not a report interval later. One write covers every attempt started meanwhile,
  // and attempts over by then (most short jobs) cost none.
  let runningReportDue = false;
  const reportRunningSoon = () => {
    if (runningReportDue) return;
    runningReportDue = true;
    setTimeout(
      () => {
        runningReportDue = false;
        if (runningKey() !== reportedRunning) void report();
      },
      runningReportDelayMs(settings.reportSeconds * 1000),
    ).unref();
  };

  const start = async () => {
    const timers = [
      setInterval(flushTelemetry, settings.heartbeatSeconds * 1000),
      setInterval(report, settings.reportSeconds * 1000),
      ...watchParent(readSection('parentProcess', env).pid, () => {
        logger.warn('the process that started this worker is gone: stopping');
        void worker.stop();
      }),
    ];
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('signal received', { signal });
      void worker.stop();
    };
    if (handleSignals) for (const signal of SIGNALS) process.once(signal, onSignal);
    void report();
    logger.info('worker started', {
      concurrency: settings.concurrency,
      typeLimits: limits,
      handlers: registry.types,
      slowdown: settings.slowdown,
      stallProbability: settings.stallProbability,
      stallFactor: settings.stallFactor,
      slowEpisodes: settings.slowEpisodes,
      faultSeed: settings.faultSeed,
    });
    try {
      await worker.start();
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const signal of SIGNALS) process.off(signal, onSignal);
      await Promise.all([
        flushTelemetry(),
        workers.remove(workerId).catch((error: Error) => logger.warn('worker deregistration failed', { error })),
        ...closeOnStop.map((resource) =>
          resource.close().catch((error: Error) => logger.warn('closing on stop failed', { error })),
        ),
      ]);
    }
  };
  return { workerId, start, stop: () => worker.stop() };
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function asRegistry(handlers: CreateWorkerOptions['handlers']): HandlerRegistry {
  if (handlers instanceof HandlerRegistry) return handlers;
  const registry = new HandlerRegistry();
  for (const [type, handler] of Object.entries(handlers)) registry.register(type, handler);
  return registry;
}

/** The settings an options object gives, without its undefined fields (they must not hide env values). */
function definedOnly(options: WorkerSettings): WorkerSettings {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * Local runtime only: the process that started this worker (tailguard dev, the test suite) sets its
 * pid; if it dies without stopping us, stop as on SIGTERM rather than poll a stack nobody owns.
 */
function watchParent(pid: number | undefined, onGone: () => void): NodeJS.Timeout[] {
  if (pid === undefined) return [];
  const timer = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(timer);
    onGone();
  }, 1000);
  return [timer];
}
