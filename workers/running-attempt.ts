import type { Logger } from '@aws-lambda-powertools/logger';
import type { Attempt } from '../src/jobs/attempts/index.ts';
import type { JobLimiter, LimitSlot } from '../src/jobs/limits/index.ts';
import {
  type Job,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  type ProgressReport,
  StaleJobError,
  WorkerShutdownError,
} from '../src/jobs/model/index.ts';
import { nextReport, reportProjectedTotalMs } from '../src/jobs/speculation/index.ts';
import type { JobStore } from '../src/jobs/store/index.ts';
import type { Heartbeats } from './heartbeats.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';
import type { ObservedAttempt } from './speed-meter.ts';

/** How long an attempt ran, and how long its progress said it would have run in all. */
export interface RunTime {
  durationMs: number;
  projectedMs: number;
}

export interface RunningAttemptDeps {
  store: JobStore;
  poller: QueuePoller;
  limiter?: JobLimiter;
  heartbeats: Heartbeats;
  logger: Logger;
  leaseSeconds: number;
  /** Told each progress report: the worker reads a slow spell from its attempts' pace (SpeedMeter.observe). */
  onProgress?: (attempt: ObservedAttempt) => void;
}

/**
 * One attempt this worker runs, from its claim until its handler returns: the job, the lease and
 * the message it holds, the limit slot it runs under, and the signal that ends it (worker shutdown,
 * timeout, cancellation through the API, a lost lease). Its heartbeat renews the lease, the
 * message's visibility and the slot, and carries the handler's progress.
 */
export class RunningAttempt {
  readonly logger: Logger;
  private readonly abort = new AbortController();
  private progress: ProgressReport | undefined;
  private readonly startedAt = performance.now();
  private readonly startedAtEpoch = Date.now();
  private ended: (() => void) | undefined;

  constructor(
    readonly job: Job,
    readonly attempt: Attempt,
    readonly message: ReceivedMessage,
    readonly slot: LimitSlot | undefined,
    private readonly deps: RunningAttemptDeps,
  ) {
    this.logger = deps.logger.createChild();
    this.logger.appendKeys({
      jobId: job.id,
      jobType: job.type,
      attempt: attempt.lease.attempt,
      speculative: attempt.lease.speculative ?? false,
      queue: message.queue,
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Starts the clock: the job's timeout, the worker's shutdown, heartbeats. */
  start(shutdown: AbortSignal): void {
    const onShutdown = () => this.abort.abort(new WorkerShutdownError());
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const timeout = setTimeout(
      () => this.abort.abort(new JobTimeoutError(this.job.timeoutSeconds)),
      this.job.timeoutSeconds * 1000,
    );
    this.deps.heartbeats.add(this);
    this.ended = () => {
      clearTimeout(timeout);
      this.deps.heartbeats.delete(this);
      shutdown.removeEventListener('abort', onShutdown);
    };
  }

  /** The handler returned or threw: no more heartbeats; how long it ran. */
  end(): RunTime {
    this.ended?.();
    const durationMs = Math.round(performance.now() - this.startedAt);
    const projectedMs = reportProjectedTotalMs(this.startedAtEpoch, this.progress, this.startedAtEpoch + durationMs);
    return { durationMs, projectedMs: projectedMs ?? durationMs };
  }

  reportProgress(fraction: number): void {
    this.progress = nextReport(this.progress, Math.min(1, Math.max(0, fraction)), Date.now());
    this.deps.onProgress?.(this.observed);
  }

  /** The attempt as the speed meter reads its pace: its job's type and class, its start, its latest report. */
  get observed(): ObservedAttempt {
    const { type, capacity } = this.job;
    return { type, capacity, startedAt: this.startedAtEpoch, report: this.progress };
  }

  /**
   * Renews the lease, the message's visibility and the limit slot, each on its own: one failing
   * (a message received again after a late beat has a new receipt handle, and ours is invalid for
   * good) must not stop the others, or the slot expires and the limit lets one more run. Ends the
   * attempt when it was cancelled or lost its lease.
   */
  async beat(): Promise<void> {
    const { store, poller, limiter, leaseSeconds } = this.deps;
    this.attempt.lease.expiresAt = Date.now() + leaseSeconds * 1000;
    const [lease, visibility, slot] = await Promise.allSettled([
      store.heartbeat(this.job, this.attempt.claimId, this.attempt.lease.expiresAt, this.progress),
      poller.setVisibility(this.message, leaseSeconds),
      this.slot && limiter ? limiter.renew(this.slot) : Promise.resolve(true),
    ]);
    if (lease.status === 'fulfilled' && lease.value.cancelRequested)
      this.abort.abort(new JobCancelledError(this.job.id));
    if (lease.status === 'rejected') {
      if (lease.reason instanceof StaleJobError) this.abort.abort(new LeaseLostError(this.job.id));
      // A missed heartbeat is survivable: the lease outlives several intervals.
      else this.logger.warn('heartbeat failed', { error: lease.reason as Error });
    }
    // The job's lease keeps a second receiver of its message from running it.
    if (visibility.status === 'rejected')
      this.logger.warn('message visibility not extended', { error: visibility.reason as Error });
    // A lost slot (not renewed for a whole lease) lets the limit run one over for the rest of this attempt.
    if (slot.status === 'rejected') this.logger.warn('limit slot renewal failed', { error: slot.reason as Error });
    else if (!slot.value) this.logger.warn('limit slot lost', { limits: this.slot!.names });
  }
}
