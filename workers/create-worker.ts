import type { Environment } from '../src/aws/environment/index.ts';
import { readSection } from '../src/aws/environment/index.ts';
import { runtimeFor } from '../src/aws/runtime.ts';
import type { Job } from '../src/jobs/model/index.ts';
import { HandlerRegistry, type JobHandler } from './job-handler.ts';
import { hostPaceProbe, type PaceProbe } from './pace-probe.ts';
import { runWorker } from './worker-lifecycle.ts';
import { WorkerReports } from './worker-reports.ts';
import { resolveSettings, type WorkerSettings } from './worker-settings.ts';
import { wireWorker } from './worker-wiring.ts';

export type { WorkerSettings } from './worker-settings.ts';

export interface CreateWorkerOptions extends WorkerSettings {
  /** The job types this worker runs, by type (or a registry). It takes only messages of these types. */
  handlers: HandlerRegistry | Readonly<Record<string, JobHandler>>;
  /**
   * Stop gracefully on SIGTERM and SIGINT (ECS sends SIGTERM, then SIGKILL after the stop timeout).
   * @default true
   */
  handleSignals?: boolean;
  /**
   * Where every Tailguard setting left out of these options is read from: the worker's own, type
   * limits, and the tables and queues it works on. The AWS SDK reads its own (region, credentials,
   * endpoint) from the process. @default process.env
   */
  env?: Environment;
  /**
   * Times a fixed piece of work on this host each heartbeat interval, so a slowed host goes on
   * probation before its attempts show it (SpeedMeter.observeHostPace); give your own where the
   * work that slows is not the CPU's (a short GPU kernel, say). @default hostPaceProbe (CPU)
   */
  paceProbe?: PaceProbe;
  /** Closed once the worker has stopped, e.g. the Python handler processes (`pythonHandlers`). @default none */
  closeOnStop?: readonly { close(): Promise<void> }[];
  /**
   * Test-only fault injection: called with a workflow step's job once its end is written, before
   * its workflow is advanced; a throw there is the worker dying between the two (SettleDeps).
   * @default none
   */
  beforeAdvance?: (job: Job) => void;
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
  const {
    handlers,
    handleSignals = true,
    env = process.env,
    closeOnStop = [],
    beforeAdvance,
    paceProbe = hostPaceProbe,
    ...given
  } = options;
  const settings = resolveSettings(given, env);
  const runtime = runtimeFor(env);
  const registry = asRegistry(handlers);
  const { limits } = readSection('typeLimits', env);
  const parts = wireWorker(settings, {
    registry,
    runtime,
    limits,
    onAttemptStarted: () => reports.reportRunningSoon(),
    beforeAdvance,
  });
  const reports = new WorkerReports(settings, { registry: runtime.workers(), paceProbe, ...parts }, parts.logger);

  const start = () => {
    parts.logger.info('worker started', {
      concurrency: settings.concurrency,
      typeLimits: limits,
      handlers: registry.types,
    });
    return runWorker(
      { ...parts, reports },
      {
        heartbeatSeconds: settings.heartbeatSeconds,
        reportSeconds: settings.reportSeconds,
        handleSignals,
        parentPid: readSection('parentProcess', env).pid,
        closeOnStop,
      },
    );
  };
  return { workerId: settings.workerId, start, stop: () => parts.worker.stop() };
}

function asRegistry(handlers: CreateWorkerOptions['handlers']): HandlerRegistry {
  if (handlers instanceof HandlerRegistry) return handlers;
  const registry = new HandlerRegistry();
  for (const [type, handler] of Object.entries(handlers)) registry.register(type, handler);
  return registry;
}
