import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ClaimDecision, claim, JOB_MISSING, startFromMessage } from '../src/jobs/attempts/index.ts';
import { type JobMessage, MAX_SQS_DELAY_SECONDS, parseJobMessage } from '../src/jobs/dispatch/index.ts';
import { windowFollowUp } from '../src/jobs/fairness/index.ts';
import type { JobLimiter, LimitSlot } from '../src/jobs/limits/index.ts';
import {
  type Capacity,
  DEFAULT_TENANT,
  type Job,
  NonRetryableError,
  type Priority,
  StaleJobError,
  tenantOf,
} from '../src/jobs/model/index.ts';
import { Heartbeats } from './heartbeats.ts';
import { type HandlerRegistry, JobEffects, type ParentOutcome } from './job-handler.ts';
import { discard, JobPayloads, type KeptResult, type PayloadFile } from './job-payloads.ts';
import { applyMessageAction, DELETE, type MessageAction } from './message-action.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';
import { RunningAttempt } from './running-attempt.ts';
import { type HandlerOutcome, type SettleDeps, settle } from './settle.ts';
import type { ObservedAttempt } from './speed-meter.ts';
import { childrenOf, parentsOf, spawnerOf, type WorkflowContextDeps } from './workflow-context.ts';

/** Payloads and results where no bucket is configured: both kept in the job's item. */
const ITEM_ONLY = new JobPayloads(undefined);

/**
 * The intake sends a job's message just before it writes the job, so a message can reach a worker
 * first: its job is read again after these pauses, then the message waits in its queue. A message
 * still without a job this long after its send belongs to an intake that failed before the write
 * (its caller got an error), and is dropped.
 */
const MISSING_JOB_PAUSES_MS = [20, 50, 100, 200];
const MISSING_JOB_DEFER_SECONDS = 5;
export const MISSING_JOB_GRACE_MS = 60_000;

export interface RunnerOptions {
  workerId: string;
  /** Lease of a running attempt, renewed by each heartbeat. @default 30 (`--lease-seconds`) */
  leaseSeconds: number;
  /** Lease renewal and progress interval. @default 10 (`--heartbeat-seconds`) */
  heartbeatSeconds: number;
}

export interface RunnerDeps extends SettleDeps {
  poller: QueuePoller;
  registry: HandlerRegistry;
  logger: Logger;
  /** Keeps per-type concurrency and rate limits; none given, no type is limited. */
  limiter?: JobLimiter;
  /** This worker's measured speed, written on its leases; a worker on probation takes no backups. */
  speed?: { readonly speed: number | undefined; readonly onProbation: boolean };
  /**
   * Told when an attempt starts, and how long its job waited for it: the worker's report lists the
   * jobs it runs (the detector's view) and its tenants' waits.
   */
  onAttemptStarted?: (job: Job, waitMs: number) => void;
  /** Told each progress report of an attempt (see RunningAttemptDeps), with this worker's other attempts running now. */
  onProgress?: (attempt: ObservedAttempt, others: ObservedAttempt[]) => void;
  /** Payloads and results kept in the payload bucket. @default none: both must fit the job's item */
  payloads?: JobPayloads;
  /** Takes a job counted against its tenant's `maxQueued` out of the count at its start (src/jobs/tenants). */
  queuedCounts?: { release(job: Job): Promise<boolean> };
}

/** A claim that runs the job: when its queue wait began, and whether it takes over from a lost attempt. */
type Start = Extract<ClaimDecision, { action: 'run' }> & { readyAt: number; takeover: boolean };

/** What a claim came to: a start (holding the type's limit slot, if any), or the drop or deferral of the message. */
type Decided = { start: Start; slot?: LimitSlot } | { skip: Exclude<ClaimDecision, { action: 'run' }> };

/** Takes one received message through claim, the handler, and the attempt's outcome. */
export class JobRunner {
  /** The attempts this worker runs now (a set: two deliveries of one job may meet here). */
  private readonly attempts = new Set<RunningAttempt>();
  private readonly heartbeats: Heartbeats;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions,
  ) {
    this.heartbeats = new Heartbeats(options.heartbeatSeconds * 1000);
  }

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
      await applyMessageAction(poller, message, { kind: 'leave', visibleInSeconds: 0 }).catch(() => undefined);
      return;
    }
    const { jobId } = parsed.data;
    try {
      await applyMessageAction(poller, message, await this.handle(parsed.data, message, shutdown));
    } catch (error) {
      // The message stays and comes back after its visibility timeout; the lifecycle makes the retry safe.
      logger.error('processing failed; the message will be redelivered', { jobId, error: error as Error });
    }
  }

  /** What the claim decided, carried out: the message's fate. */
  private async handle(hint: JobMessage, message: ReceivedMessage, shutdown: AbortSignal): Promise<MessageAction> {
    const decided = await this.decide(hint, message);
    this.givePlaceBack(hint, message, decided);
    if ('skip' in decided) return this.skipped(hint, message, decided.skip);
    const { start, slot } = decided;
    // Any claim that runs a still-counted job releases it: a worker that died in between left the mark.
    if (start.job.queuedCounted) await this.uncount(start.job);
    const run = new RunningAttempt(start.job, start.attempt, message, slot, {
      ...this.deps,
      heartbeats: this.heartbeats,
      leaseSeconds: this.options.leaseSeconds,
      onProgress: (attempt) => this.deps.onProgress?.(attempt, this.observedBesides(run)),
    });
    const startedAt = Date.now();
    this.deps.metrics.started(start.job, start.readyAt, startedAt, start.takeover);
    this.attempts.add(run);
    this.deps.onAttemptStarted?.(start.job, Math.max(0, startedAt - start.readyAt));
    try {
      return await this.run(run, shutdown);
    } finally {
      this.attempts.delete(run);
      await this.release(slot);
    }
  }

  /** This worker's attempts running now besides `run`, as the speed meter reads them. */
  private observedBesides(run: RunningAttempt): ObservedAttempt[] {
    return [...this.attempts].flatMap((other) => (other === run ? [] : [other.observed]));
  }

  /** The jobs this worker runs attempts of now, by id. */
  runningJobs(): Map<string, Job> {
    return new Map([...this.attempts].map(({ job }) => [job.id, job]));
  }

  /**
   * A message holding a place in its tenant's window gives it back once the claim has decided: the
   * job runs, its message is dropped, or it is deferred (a type over its limits: holding the place
   * would stall the tenant's other types behind it). Only a message whose job is not written yet
   * keeps it. In the background: the release of the tenant's next held job must not delay this
   * one; a place not given back frees when its lease ends.
   */
  private givePlaceBack(hint: JobMessage, message: ReceivedMessage, decided: Decided): void {
    const { fairness, logger } = this.deps;
    if (!hint.place || !fairness) return;
    if (
      'skip' in decided &&
      decided.skip.action === 'drop' &&
      decided.skip.reason === JOB_MISSING &&
      !graceOver(message)
    )
      return;
    const [capacity, priority] = message.queue.split('-') as [Capacity, Priority];
    const tenant = hint.tenant ?? DEFAULT_TENANT;
    void windowFollowUp(
      logger,
      'giving a window place back',
      fairness.giveBack({ capacity, priority, tenant }, hint.jobId),
      {
        tenant,
      },
    );
  }

  /** A message whose claim does not run its job: dropped, deferred, or (its job not written yet) left to wait. */
  private skipped(
    hint: JobMessage,
    message: ReceivedMessage,
    decision: Exclude<ClaimDecision, { action: 'run' }>,
  ): MessageAction {
    const { logger } = this.deps;
    if (decision.action === 'drop' && decision.reason === JOB_MISSING && !graceOver(message)) {
      // Not handBack: its fresh copy would carry a new send time, and an orphan's grace would never end.
      // The ≈12 receives this costs over the grace stay under the queues' maxReceiveCount (30).
      return { kind: 'leave', visibleInSeconds: MISSING_JOB_DEFER_SECONDS };
    }
    if (decision.action === 'drop') {
      if (decision.reason === JOB_MISSING)
        logger.warn('message dropped: its job was never written', { jobId: hint.jobId });
      else logger.debug('message dropped', { jobId: hint.jobId, reason: decision.reason });
      return DELETE;
    }
    // Deferring (a type over its limits, too) must not spend the message's receive budget either (see
    // QueuePoller.handBack); beyond SQS's 15-minute delay a visibility change is the only way, and happens rarely.
    return decision.seconds <= MAX_SQS_DELAY_SECONDS
      ? { kind: 'handBack', delaySeconds: decision.seconds }
      : { kind: 'leave', visibleInSeconds: decision.seconds };
  }

  /**
   * The claim's decision under the job's limits (its type's and its tenant's): a limited job takes
   * its slot before the claim (by the message's type and tenant, or the read job's) and keeps it
   * until the attempt has settled; over a limit, the message is deferred unclaimed.
   */
  private async decide(hint: JobMessage, message: ReceivedMessage): Promise<Decided> {
    // A limited worker needs the type and tenant before the claim: from the message, or else from a read.
    const unread =
      hint.backup !== true &&
      hint.attempts !== undefined &&
      ((hint.type !== undefined && hint.tenant !== undefined) || !this.deps.limiter);
    const read = unread ? undefined : await this.readJob(hint.jobId, message);
    const hinted = { type: hint.type!, tenant: hint.tenant, status: 'QUEUED' } as const;
    const admission = (await this.deps.limiter?.admit(unread ? hinted : read)) ?? {
      admitted: true,
    };
    if (!admission.admitted) {
      return { skip: { action: 'defer', seconds: admission.retryInSeconds, reason: admission.reason } };
    }
    const { slot } = admission;
    try {
      const decided = await this.claimJob(hint, message, unread ? undefined : { job: read });
      if ('skip' in decided) await this.release(slot);
      return { ...decided, slot };
    } catch (error) {
      await this.release(slot);
      throw error;
    }
  }

  /**
   * Claims the message's job. A start's message usually starts its job in one write
   * (startFromMessage) and reads nothing; otherwise `claim` decides on the job as read (or as that
   * write found it), reading again whenever someone moved it between the read and the claim.
   */
  private async claimJob(
    hint: JobMessage,
    message: ReceivedMessage,
    read: { job: Job | undefined } | undefined,
  ): Promise<Decided> {
    const options = {
      workerId: this.options.workerId,
      leaseSeconds: this.options.leaseSeconds,
      backup: hint.backup === true,
      speed: this.deps.speed?.speed,
      onProbation: this.deps.speed?.onProbation,
    };
    let known = read;
    if (!known) {
      const started = await startFromMessage(this.deps.store, hint.jobId, hint.attempts!, options);
      if ('decision' in started) {
        const { decision } = started;
        if (decision.action !== 'run') return { skip: decision };
        return { start: { ...decision, readyAt: hint.due ?? message.sentAt, takeover: false } };
      }
      // No job came back with the failed write (none, or an emulator leaves it out): read it below.
      known = started.current && { job: started.current };
    }
    for (;;) {
      const job = known ? known.job : await this.readJob(hint.jobId, message);
      try {
        const decision = await claim(this.deps.store, job, options);
        if (decision.action !== 'run') return { skip: decision };
        // Ready since its due time, since it entered QUEUED/RETRYING, or (a backup) since the detector asked.
        const readyAt = options.backup ? job!.speculation!.requestedAt : Date.parse(job!.runAt ?? job!.updatedAt);
        return { start: { ...decision, readyAt, takeover: job!.status === 'RUNNING' && !options.backup } };
      } catch (error) {
        // Someone moved the job between our read and write: read again and decide afresh.
        if (!(error instanceof StaleJobError)) throw error;
        known = undefined;
      }
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

  /** A failed release leaves the job counted, and its mark, for the next claim of it to release. */
  private async uncount(job: Job): Promise<void> {
    await this.deps.queuedCounts
      ?.release(job)
      .catch((error: Error) => this.deps.logger.warn('queued count release failed', { jobId: job.id, error }));
  }

  /** A slot not given back frees itself when its lease ends: a failed release is only logged. */
  private async release(slot: LimitSlot | undefined): Promise<void> {
    if (!slot) return;
    await this.deps.limiter
      ?.release(slot)
      .catch((error: Error) => this.deps.logger.warn('limit slot release failed', { limits: slot.names, error }));
  }

  /** Runs the attempt's handler under its heartbeat, then settles it: its message's fate. */
  private async run(run: RunningAttempt, shutdown: AbortSignal): Promise<MessageAction> {
    run.start(shutdown);
    let outcome: HandlerOutcome;
    const effects = new JobEffects();
    try {
      outcome = { ok: true, ...(await this.invokeHandler(run, effects)), effects };
    } catch (thrown) {
      outcome = { ok: false, error: run.signal.reason ?? thrown };
    }
    return settle(this.deps, run, outcome, run.end());
  }

  private async invokeHandler(run: RunningAttempt, effects: JobEffects): Promise<KeptResult> {
    const { job } = run;
    const { registry, payloads = ITEM_ONLY } = this.deps;
    const handler = registry.get(job.type);
    if (!handler) throw new NonRetryableError(`no handler for job type ${job.type} on this worker`);
    // A handler in another process reads a stored payload from a file; the others get its value.
    const payloadFile = registry.readsPayloadFile(job.type) ? await payloads.file(job, run.signal) : undefined;
    try {
      const payload = payloadFile ? undefined : await payloads.value(job, run.signal);
      const parents = await parentsOf(this.workflowDeps, job, run.signal);
      const result = await this.callHandler(run, effects, payload, payloadFile, parents);
      return await payloads.keep(job, run.attempt.claimId, result);
    } finally {
      await discard(payloadFile);
    }
  }

  private get workflowDeps(): WorkflowContextDeps {
    const { store, payloads = ITEM_ONLY, workflows } = this.deps;
    return { store, payloads, workflows };
  }

  private async callHandler(
    run: RunningAttempt,
    effects: JobEffects,
    payload: unknown,
    payloadFile: PayloadFile | undefined,
    parents: Record<string, ParentOutcome> | undefined,
  ): Promise<unknown> {
    const { job, attempt, signal, logger } = run;
    const handler = this.deps.registry.get(job.type)!;
    const children = childrenOf(this.workflowDeps, job, signal);
    const context = {
      jobId: job.id,
      type: job.type,
      tenant: tenantOf(job),
      attempt: attempt.lease.attempt,
      speculative: attempt.lease.speculative === true,
      workerId: attempt.lease.workerId,
      signal,
      logger,
      effects,
      reportProgress: (fraction: number) => run.reportProgress(fraction),
      ...(payloadFile && { payloadFile }),
      ...(parents && { parents }),
      spawn: spawnerOf(this.workflowDeps, job, effects),
      ...(children && { children }),
    };
    // A handler that ignores its signal must not hold the attempt past an abort.
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    return Promise.race([handler(payload, context), aborted]);
  }
}

/** A message without a job is spent once the intake that sent it can no longer be writing the job. */
const graceOver = (message: ReceivedMessage) => Date.now() - message.sentAt > MISSING_JOB_GRACE_MS;
