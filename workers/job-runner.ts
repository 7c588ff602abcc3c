import type { Logger } from '@aws-lambda-powertools/logger';
import { cancelRunning, claim, type ClaimDecision, fail, JOB_MISSING, release, succeed } from '../src/jobs/attempts.ts';
import type { Job, Lease } from '../src/jobs/job.ts';
import type { JobDispatcher } from '../src/jobs/job-dispatcher.ts';
import { JobCancelledError, JobTimeoutError, LeaseLostError, NonRetryableError, WorkerShutdownError } from '../src/jobs/job-errors.ts';
import { JobMessageSchema } from '../src/jobs/job-message.ts';
import { type JobStore, StaleJobError } from '../src/jobs/job-store.ts';
import { type HandlerRegistry, JobEffects } from './job-handler.ts';
import type { JobMetricsRecorder } from './job-metrics.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';

/** Largest result a handler may return: it is stored in the job's DynamoDB item. */
export const MAX_RESULT_BYTES = 256 * 1024;

export interface RunnerOptions {
  workerId: string;
  leaseSeconds: number;
  heartbeatSeconds: number;
}

export interface RunnerDeps {
  store: JobStore;
  poller: QueuePoller;
  dispatcher: JobDispatcher;
  registry: HandlerRegistry;
  logger: Logger;
  metrics: JobMetricsRecorder;
}

/** Takes one received message through claim, the handler, and the attempt's outcome. */
export class JobRunner {
  constructor(
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions,
  ) {}

  /** Never throws: every failure ends as a job state or a message left for SQS to redeliver. */
  async process(message: ReceivedMessage, shutdown: AbortSignal): Promise<void> {
    const { logger, poller } = this.deps;
    const parsed = JobMessageSchema.safeParse(safeJson(message.body));
    if (!parsed.success) {
      // Not a Tailguard message: hand it straight back so the queue's redrive parks it in the DLQ
      // after maxReceiveCount receives, where a person can look at it.
      logger.error('unreadable message handed back for the dead-letter queue', { queue: message.queue, receiveCount: message.receiveCount });
      await poller.setVisibility(message, 0).catch(() => undefined);
      return;
    }
    try {
      const { decision, before } = await this.decide(parsed.data.jobId);
      if (decision.action === 'drop') {
        // A message without a job should never happen (intake writes the job first): worth a warning.
        if (decision.reason === JOB_MISSING) logger.warn('message dropped: job does not exist', { jobId: parsed.data.jobId });
        else logger.debug('message dropped', { jobId: parsed.data.jobId, reason: decision.reason });
        await poller.delete(message);
      } else if (decision.action === 'defer') {
        await poller.setVisibility(message, decision.seconds);
      } else {
        // Ready since its due time, or since it entered QUEUED/RETRYING.
        const readyAt = Date.parse(before!.runAt ?? before!.updatedAt);
        this.deps.metrics.started(decision.job, readyAt, Date.now(), before!.status === 'RUNNING');
        await this.run(decision.job, decision.lease, message, shutdown);
      }
    } catch (error) {
      // The message stays and comes back after its visibility timeout; the lifecycle makes the retry safe.
      logger.error('processing failed; the message will be redelivered', { jobId: parsed.data.jobId, error: error as Error });
    }
  }

  /** The claim's decision, and the job as read before it. */
  private async decide(jobId: string): Promise<{ decision: ClaimDecision; before: Job | undefined }> {
    const claimOptions = { workerId: this.options.workerId, leaseSeconds: this.options.leaseSeconds };
    for (;;) {
      try {
        const before = await this.deps.store.get(jobId);
        return { decision: await claim(this.deps.store, before, claimOptions), before };
      } catch (error) {
        // Someone moved the job between our read and write: read again and decide afresh.
        if (!(error instanceof StaleJobError)) throw error;
      }
    }
  }

  private async run(job: Job, lease: Lease, message: ReceivedMessage, shutdown: AbortSignal): Promise<void> {
    const logger = this.deps.logger.createChild();
    logger.appendKeys({ jobId: job.id, jobType: job.type, attempt: lease.attempt, queue: message.queue });
    const attempt = new AbortController();
    const onShutdown = () => attempt.abort(new WorkerShutdownError());
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const timeout = setTimeout(() => attempt.abort(new JobTimeoutError(job.timeoutSeconds)), job.timeoutSeconds * 1000);
    const heartbeat = setInterval(() => void this.heartbeat(job, lease, message, attempt, logger), this.options.heartbeatSeconds * 1000);
    const startedAt = performance.now();
    const effects = new JobEffects();
    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, result: await this.invokeHandler(job, lease, { signal: attempt.signal, logger, effects }) };
    } catch (thrown) {
      outcome = { ok: false, error: attempt.signal.reason ?? thrown };
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
      shutdown.removeEventListener('abort', onShutdown);
    }
    const durationMs = Math.round(performance.now() - startedAt);
    try {
      const settled = outcome.ok
        ? await succeed(this.deps.store, job, outcome.result, [...effects.all])
        : await this.settleFailure(job, message, outcome.error, logger, durationMs);
      if (outcome.ok) {
        await this.deps.poller.delete(message);
        logger.info('attempt succeeded', { durationMs });
      }
      if (settled) this.deps.metrics.finished(settled, durationMs);
    } catch (error) {
      if (!(error instanceof StaleJobError)) throw error;
      logger.warn('job changed under the attempt (lease lost); its outcome is discarded', { durationMs });
    }
  }

  private async invokeHandler(
    job: Job,
    lease: Lease,
    { signal, logger, effects }: { signal: AbortSignal; logger: Logger; effects: JobEffects },
  ): Promise<unknown> {
    const handler = this.deps.registry.get(job.type);
    if (!handler) throw new NonRetryableError(`no handler for job type ${job.type} on this worker`);
    const payload = job.payload === undefined ? undefined : JSON.parse(job.payload);
    const context = { jobId: job.id, type: job.type, attempt: lease.attempt, workerId: lease.workerId, signal, logger, effects };
    // A handler that ignores its signal must not hold the attempt past an abort.
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    const result = await Promise.race([handler(payload, context), aborted]);
    const size = result === undefined ? 0 : Buffer.byteLength(JSON.stringify(result));
    if (size > MAX_RESULT_BYTES) throw new NonRetryableError(`result is ${size} bytes; the limit is ${MAX_RESULT_BYTES}`);
    return result;
  }

  /** Settles a failed attempt; returns the job as written, or nothing when it is no longer ours. */
  private async settleFailure(job: Job, message: ReceivedMessage, error: unknown, logger: Logger, durationMs: number): Promise<Job | undefined> {
    const { store, poller, dispatcher } = this.deps;
    if (error instanceof LeaseLostError) {
      logger.warn('lease lost; the new holder finishes the job', { durationMs });
      return undefined;
    }
    if (error instanceof JobCancelledError) {
      const cancelled = await cancelRunning(store, job);
      await poller.delete(message);
      logger.info('attempt cancelled through the API', { durationMs });
      return cancelled;
    }
    if (error instanceof WorkerShutdownError) {
      const released = await release(store, job);
      await poller.setVisibility(message, 0);
      logger.info('attempt released for another worker', { durationMs });
      return released;
    }
    const outcome = await fail(store, job, error, error instanceof JobTimeoutError ? 'timed_out' : 'failed');
    if (outcome.retryAt !== undefined) {
      // The failure is recorded first; if this send fails, the undeleted message still brings the job back.
      await dispatcher.dispatch(outcome.job, outcome.retryAt);
    }
    await poller.delete(message);
    logger.warn('attempt failed', { error: error as Error, status: outcome.job.status, retryAt: outcome.retryAt, durationMs });
    return outcome.job;
  }

  private async heartbeat(job: Job, lease: Lease, message: ReceivedMessage, attempt: AbortController, logger: Logger): Promise<void> {
    try {
      lease.expiresAt = Date.now() + this.options.leaseSeconds * 1000;
      const current = await this.deps.store.renewLease(job, lease);
      await this.deps.poller.setVisibility(message, this.options.leaseSeconds);
      if (current.cancelRequested) attempt.abort(new JobCancelledError(job.id));
    } catch (error) {
      if (error instanceof StaleJobError) {
        attempt.abort(new LeaseLostError(job.id));
        return;
      }
      // A missed heartbeat is survivable: the lease outlives several intervals.
      logger.warn('heartbeat failed', { error: error as Error });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
