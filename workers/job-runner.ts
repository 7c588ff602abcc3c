import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type Attempt,
  type ClaimDecision,
  cancelRunning,
  claim,
  fail,
  JOB_MISSING,
  release,
  startFromMessage,
  succeed,
} from '../src/jobs/attempts/index.ts';
import {
  type JobDispatcher,
  type JobMessage,
  MAX_SQS_DELAY_SECONDS,
  parseJobMessage,
} from '../src/jobs/dispatch/index.ts';
import type { LimitSlot, TypeLimiter } from '../src/jobs/limits/index.ts';
import type { JobMetricsRecorder } from '../src/jobs/metrics/index.ts';
import {
  CommitFailedError,
  type Job,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  NonRetryableError,
  type ProgressReport,
  StaleJobError,
  WorkerShutdownError,
} from '../src/jobs/model/index.ts';
import { nextReport, reportProjectedTotalMs } from '../src/jobs/speculation/index.ts';
import type { JobStore } from '../src/jobs/store/index.ts';
import { type HandlerRegistry, JobEffects } from './job-handler.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';

/**
 * The intake sends a job's message just before it writes the job, so a message can reach a worker
 * first: its job is read again after these pauses, then the message waits in its queue. A message
 * still without a job this long after its send belongs to an intake that failed before the write
 * (its caller got an error), and is dropped.
 */
const MISSING_JOB_PAUSES_MS = [20, 50, 100, 200];
const MISSING_JOB_DEFER_SECONDS = 5;
export const MISSING_JOB_GRACE_MS = 60_000;

/** Largest result a handler may return: it is stored in the job's DynamoDB item. */
export const MAX_RESULT_BYTES = 256 * 1024;

export interface RunnerOptions {
  workerId: string;
  /** Lease of a running attempt, renewed by each heartbeat. @default 30 (`--lease-seconds`) */
  leaseSeconds: number;
  /** Lease renewal and progress interval. @default 10 (`--heartbeat-seconds`) */
  heartbeatSeconds: number;
  /**
   * Injected slowness of the attempt about to start (1 = none; `FaultInjector`): built-in handlers
   * take this many times longer. For benchmarks. @default none
   */
  attemptSlowdown?: () => number;
}

export interface RunnerDeps {
  store: JobStore;
  poller: QueuePoller;
  dispatcher: JobDispatcher;
  registry: HandlerRegistry;
  logger: Logger;
  metrics: JobMetricsRecorder;
  /** Keeps per-type concurrency and rate limits; none given, no type is limited. */
  limiter?: TypeLimiter;
  /** This worker's measured speed, written on its leases; a worker on probation takes no backups. */
  speed?: { readonly speed: number | undefined; readonly onProbation: boolean };
  /**
   * Told of every finished attempt: its run time, or for an attempt that lost a race the run time
   * its progress pointed to (feeds the latency statistics and the worker's speed).
   */
  onAttemptFinished?: (job: Job, runTimeMs: number, outcome: FinishedOutcome) => void;
  /** Told when an attempt starts: the worker's report lists the jobs it runs (the detector's view). */
  onAttemptStarted?: (job: Job) => void;
}

export type FinishedOutcome = 'succeeded' | 'failed' | 'superseded';

/** What `decide` settled on; `start` for a run: when its queue wait began, and whether it takes over from a lost attempt. */
interface Decided {
  decision: ClaimDecision;
  slot?: LimitSlot;
  start?: { readyAt: number; takeover: boolean };
}

/** How long an attempt ran, and how long its progress said it would have run in all. */
interface RunTime {
  durationMs: number;
  projectedMs: number;
}

/** Takes one received message through claim, the handler, and the attempt's outcome. */
export class JobRunner {
  /** Ids of the jobs this worker runs attempts of now. */
  readonly runningJobIds = new Set<string>();

  constructor(
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions,
  ) {}

  /** Never throws: every failure ends as a job state or a message left for SQS to redeliver. */
  async process(message: ReceivedMessage, shutdown: AbortSignal): Promise<void> {
    const { logger, poller } = this.deps;
    const parsed = parseJobMessage(message.body);
    if (!parsed.success) {
      // Not a Tailguard message: hand it straight back so the queue's redrive parks it in the DLQ
      // after maxReceiveCount receives, where a person can look at it.
      logger.error('unreadable message handed back for the dead-letter queue', {
        queue: message.queue,
        receiveCount: message.receiveCount,
      });
      await poller.setVisibility(message, 0).catch(() => undefined);
      return;
    }
    const { jobId } = parsed.data;
    try {
      const { decision, slot, start } = await this.decide(parsed.data, message);
      if (decision.action === 'drop' && decision.reason === JOB_MISSING && !graceOver(message)) {
        // Not handBack: its fresh copy would carry a new send time, and an orphan's grace would never end.
        // The ≈12 receives this costs over the grace stay under the queues' maxReceiveCount (30).
        await poller.setVisibility(message, MISSING_JOB_DEFER_SECONDS);
      } else if (decision.action === 'drop') {
        if (decision.reason === JOB_MISSING) logger.warn('message dropped: its job was never written', { jobId });
        else logger.debug('message dropped', { jobId, reason: decision.reason });
        poller.delete(message);
      } else if (decision.action === 'defer') {
        // Deferring (a type over its limits, too) must not spend the message's receive budget either (see
        // QueuePoller.handBack); beyond SQS's 15-minute delay a visibility change is the only way, and happens rarely.
        if (decision.seconds <= MAX_SQS_DELAY_SECONDS) await poller.handBack([message], decision.seconds);
        else await poller.setVisibility(message, decision.seconds);
      } else {
        this.deps.metrics.started(decision.job, start!.readyAt, Date.now(), start!.takeover);
        this.runningJobIds.add(jobId);
        this.deps.onAttemptStarted?.(decision.job);
        await this.run(decision.job, decision.attempt, message, shutdown, slot).finally(() => {
          this.runningJobIds.delete(jobId);
          return this.release(slot);
        });
      }
    } catch (error) {
      // The message stays and comes back after its visibility timeout; the lifecycle makes the retry safe.
      logger.error('processing failed; the message will be redelivered', { jobId, error: error as Error });
    }
  }

  /**
   * The claim's decision, the limit slot a run holds, and for a run when its queue wait began and
   * whether it takes over from a lost attempt. A start's message usually starts its job in one
   * write (startFromMessage); a backup's, an older message's, or one whose job moved on reads the
   * job and lets `claim` decide. A limited type takes its slot before the claim (from the message,
   * or the read job) and keeps it until the attempt has settled; over its limits, the message is
   * deferred unclaimed.
   */
  private async decide(hint: JobMessage, message: ReceivedMessage): Promise<Decided> {
    const { jobId } = hint;
    const claimOptions = {
      workerId: this.options.workerId,
      leaseSeconds: this.options.leaseSeconds,
      backup: hint.backup === true,
      speed: this.deps.speed?.speed,
      onProbation: this.deps.speed?.onProbation,
    };
    // A limited worker needs the type before the claim: from the message, or else from a read.
    const unread =
      !claimOptions.backup && hint.attempts !== undefined && (hint.type !== undefined || !this.deps.limiter);
    let before = unread ? undefined : await this.readJob(jobId, message);
    const admission = (await this.deps.limiter?.admit(unread ? { type: hint.type!, status: 'QUEUED' } : before)) ?? {
      admitted: true,
    };
    if (!admission.admitted) {
      return { decision: { action: 'defer', seconds: admission.retryInSeconds, reason: admission.reason } };
    }
    const { slot } = admission;
    try {
      if (unread) {
        const started = await startFromMessage(this.deps.store, jobId, hint.attempts!, claimOptions);
        if ('decision' in started)
          return { decision: started.decision, slot, start: { readyAt: hint.due ?? message.sentAt, takeover: false } };
        before = started.current ?? (await this.readJob(jobId, message));
      }
      for (;;) {
        try {
          const decision = await claim(this.deps.store, before, claimOptions);
          if (decision.action !== 'run') {
            await this.release(slot);
            return { decision };
          }
          // Ready since its due time, since it entered QUEUED/RETRYING, or (a backup) since the detector asked.
          const readyAt = decision.attempt.lease.speculative
            ? before!.speculation!.requestedAt
            : Date.parse(before!.runAt ?? before!.updatedAt);
          return { decision, slot, start: { readyAt, takeover: before!.status === 'RUNNING' && !claimOptions.backup } };
        } catch (error) {
          // Someone moved the job between our read and write: read again and decide afresh.
          if (!(error instanceof StaleJobError)) throw error;
          before = await this.deps.store.get(jobId);
        }
      }
    } catch (error) {
      await this.release(slot);
      throw error;
    }
  }

  /** The job, read again after short pauses while it is missing: its message can beat the intake's write. */
  private async readJob(jobId: string, message: ReceivedMessage): Promise<Job | undefined> {
    let job = await this.deps.store.get(jobId);
    for (const pauseMs of MISSING_JOB_PAUSES_MS) {
      if (job || graceOver(message)) break;
      await sleep(pauseMs);
      job = await this.deps.store.get(jobId);
    }
    return job;
  }

  /** A slot not given back frees itself when its lease ends: a failed release is only logged. */
  private async release(slot: LimitSlot | undefined): Promise<void> {
    if (!slot) return;
    await this.deps.limiter
      ?.release(slot)
      .catch((error: Error) => this.deps.logger.warn('limit slot release failed', { type: slot.type, error }));
  }

  private async run(
    job: Job,
    attempt: Attempt,
    message: ReceivedMessage,
    shutdown: AbortSignal,
    slot: LimitSlot | undefined,
  ): Promise<void> {
    const logger = this.deps.logger.createChild();
    logger.appendKeys({
      jobId: job.id,
      jobType: job.type,
      attempt: attempt.lease.attempt,
      speculative: attempt.lease.speculative ?? false,
      queue: message.queue,
    });
    const abort = new AbortController();
    const onShutdown = () => abort.abort(new WorkerShutdownError());
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const timeout = setTimeout(() => abort.abort(new JobTimeoutError(job.timeoutSeconds)), job.timeoutSeconds * 1000);
    const progress: { last?: ProgressReport } = {};
    const heartbeat = setInterval(
      () => void this.heartbeat(job, attempt, progress.last, message, abort, logger, slot),
      this.options.heartbeatSeconds * 1000,
    );
    const startedAt = performance.now();
    const startedAtEpoch = Date.now();
    const effects = new JobEffects();
    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    try {
      const result = await this.invokeHandler(job, attempt, {
        signal: abort.signal,
        logger,
        effects,
        reportProgress: (fraction: number) => {
          progress.last = nextReport(progress.last, Math.min(1, Math.max(0, fraction)), Date.now());
        },
      });
      outcome = { ok: true, result };
    } catch (thrown) {
      outcome = { ok: false, error: abort.signal.reason ?? thrown };
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
      shutdown.removeEventListener('abort', onShutdown);
    }
    const durationMs = Math.round(performance.now() - startedAt);
    const projectedMs = reportProjectedTotalMs(startedAtEpoch, progress.last, startedAtEpoch + durationMs);
    const ran = { durationMs, projectedMs: projectedMs ?? durationMs };
    try {
      const settled = outcome.ok
        ? await this.settleSuccess(job, attempt, message, outcome.result, effects, logger, ran)
        : await this.settleFailure(job, attempt, message, outcome.error, logger, ran);
      if (settled) {
        this.deps.metrics.finished(settled, durationMs, attempt.lease.speculative === true);
        this.deps.onAttemptFinished?.(settled, durationMs, settled.status === 'SUCCEEDED' ? 'succeeded' : 'failed');
      }
    } catch (error) {
      if (!(error instanceof StaleJobError)) throw error;
      await this.superseded(job, attempt, ran, logger);
    }
  }

  private async invokeHandler(
    job: Job,
    attempt: Attempt,
    tools: { signal: AbortSignal; logger: Logger; effects: JobEffects; reportProgress: (fraction: number) => void },
  ): Promise<unknown> {
    const handler = this.deps.registry.get(job.type);
    if (!handler) throw new NonRetryableError(`no handler for job type ${job.type} on this worker`);
    const payload = job.payload === undefined ? undefined : JSON.parse(job.payload);
    const { signal } = tools;
    const context = {
      jobId: job.id,
      type: job.type,
      attempt: attempt.lease.attempt,
      speculative: attempt.lease.speculative === true,
      workerId: attempt.lease.workerId,
      slowdown: this.options.attemptSlowdown?.() ?? 1,
      ...tools,
    };
    // A handler that ignores its signal must not hold the attempt past an abort.
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    const result = await Promise.race([handler(payload, context), aborted]);
    const size = result === undefined ? 0 : Buffer.byteLength(JSON.stringify(result));
    if (size > MAX_RESULT_BYTES)
      throw new NonRetryableError(`result is ${size} bytes; the limit is ${MAX_RESULT_BYTES}`);
    return result;
  }

  /**
   * Commits the result and effects with the job's success. When that write is refused for any
   * reason but a lost race, the attempt fails like any other: left to redelivery, the job would
   * sit RUNNING until its lease expired and be taken over as if its worker had died, again and
   * again, with no backoff and no error recorded (see docs/emulator.md, "stuck QUEUED jobs").
   */
  private async settleSuccess(
    job: Job,
    attempt: Attempt,
    message: ReceivedMessage,
    result: unknown,
    effects: JobEffects,
    logger: Logger,
    ran: RunTime,
  ): Promise<Job | undefined> {
    let settled: Job;
    try {
      settled = await succeed(this.deps.store, job, attempt, result, [...effects.all]);
    } catch (error) {
      if (error instanceof StaleJobError) throw error;
      return this.settleFailure(job, attempt, message, new CommitFailedError(error), logger, ran);
    }
    this.deps.poller.delete(message);
    // Debug: the success is in the job's record and the metrics, and a line per job would be most of its log cost.
    logger.debug('attempt succeeded', { durationMs: ran.durationMs });
    return settled;
  }

  /** Settles a failed attempt; returns the job as written, or nothing when it is no longer ours. */
  private async settleFailure(
    job: Job,
    attempt: Attempt,
    message: ReceivedMessage,
    error: unknown,
    logger: Logger,
    ran: RunTime,
  ): Promise<Job | undefined> {
    const { store, poller, dispatcher } = this.deps;
    const { durationMs } = ran;
    if (error instanceof LeaseLostError) {
      await this.superseded(job, attempt, ran, logger);
      return undefined;
    }
    if (error instanceof JobCancelledError) {
      const cancelled = await cancelRunning(store, job, attempt);
      poller.delete(message);
      logger.info('attempt cancelled through the API', { durationMs });
      return cancelled;
    }
    if (error instanceof WorkerShutdownError) {
      const released = await release(store, job, attempt);
      await poller.handBack([message]);
      logger.info('attempt released', { durationMs, status: released.status });
      return released;
    }
    const outcome = await fail(store, job, attempt, error, error instanceof JobTimeoutError ? 'timed_out' : 'failed');
    if (outcome.retryAt !== undefined) {
      // The failure is recorded first; if this send fails, the undeleted message still brings the job back.
      await dispatcher.dispatch(outcome.job, outcome.retryAt);
    }
    poller.delete(message);
    logger.warn('attempt failed', {
      error: error as Error,
      status: outcome.job.status,
      retryAt: outcome.retryAt,
      twinContinues: outcome.twinContinues,
      durationMs,
    });
    return outcome.twinContinues ? undefined : outcome.job;
  }

  /** Another attempt settled the job (or took it over): close this attempt's record, count the waste. */
  private async superseded(
    job: Job,
    attempt: Attempt,
    { durationMs, projectedMs }: RunTime,
    logger: Logger,
  ): Promise<void> {
    await this.deps.store.closeAttempt(job, attempt.index, attempt.claimId, {
      finishedAt: new Date().toISOString(),
      outcome: 'superseded',
    });
    this.deps.metrics.wasted(job, durationMs);
    this.deps.onAttemptFinished?.(job, projectedMs, 'superseded');
    logger.info('attempt superseded; its result is discarded', { durationMs, projectedMs });
  }

  private async heartbeat(
    job: Job,
    attempt: Attempt,
    progress: ProgressReport | undefined,
    message: ReceivedMessage,
    abort: AbortController,
    logger: Logger,
    slot: LimitSlot | undefined,
  ): Promise<void> {
    try {
      attempt.lease.expiresAt = Date.now() + this.options.leaseSeconds * 1000;
      const current = await this.deps.store.heartbeat(job, attempt.claimId, attempt.lease.expiresAt, progress);
      await this.deps.poller.setVisibility(message, this.options.leaseSeconds);
      if (current.cancelRequested) abort.abort(new JobCancelledError(job.id));
      // A lost slot (not renewed for a whole lease) lets the type run over its limit for the rest of this attempt.
      if (slot && !(await this.deps.limiter?.renew(slot))) logger.warn('limit slot lost', { type: slot.type });
    } catch (error) {
      if (error instanceof StaleJobError) {
        abort.abort(new LeaseLostError(job.id));
        return;
      }
      // A missed heartbeat is survivable: the lease outlives several intervals.
      logger.warn('heartbeat failed', { error: error as Error });
    }
  }
}

/** A message without a job is spent once the intake that sent it can no longer be writing the job. */
const graceOver = (message: ReceivedMessage) => Date.now() - message.sentAt > MISSING_JOB_GRACE_MS;
