import type { Logger } from '@aws-lambda-powertools/logger';
import { isAlive } from './process-alive.ts';
import type { Worker } from './worker.ts';
import type { WorkerReports } from './worker-reports.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface LifecycleOptions {
  heartbeatSeconds: number;
  reportSeconds: number;
  /** Stop on SIGTERM and SIGINT. */
  handleSignals: boolean;
  /** The process that started this worker, if it asked to be watched (parentProcess section). */
  parentPid: number | undefined;
  /** Closed once the worker has stopped. */
  closeOnStop: readonly { close(): Promise<void> }[];
}

/**
 * Runs a wired worker until it stops: publishes telemetry and probes its host's pace each heartbeat interval, reports each
 * report interval, stops on a signal or when its parent is gone; once stopped, flushes
 * telemetry, leaves the registry and closes what it was given to close.
 */
export async function runWorker(
  parts: { worker: Worker; logger: Logger; reports: WorkerReports; flushTelemetry: () => Promise<void> },
  options: LifecycleOptions,
): Promise<void> {
  const { worker, logger, reports, flushTelemetry } = parts;
  const timers = [
    setInterval(flushTelemetry, options.heartbeatSeconds * 1000),
    setInterval(reports.probeHostPace, options.heartbeatSeconds * 1000),
    setInterval(reports.report, options.reportSeconds * 1000),
    ...watchParent(options.parentPid, () => {
      logger.warn('the process that started this worker is gone: stopping');
      void worker.stop();
    }),
  ];
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('signal received', { signal });
    void worker.stop();
  };
  if (options.handleSignals) for (const signal of SIGNALS) process.once(signal, onSignal);
  void reports.report();
  try {
    await worker.start();
  } finally {
    for (const timer of timers) clearInterval(timer);
    for (const signal of SIGNALS) process.off(signal, onSignal);
    await Promise.all([
      flushTelemetry(),
      reports.remove(),
      ...options.closeOnStop.map((resource) =>
        resource.close().catch((error: Error) => logger.warn('closing on stop failed', { error })),
      ),
    ]);
  }
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
