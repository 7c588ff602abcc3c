import { cancelRunning, fail, release, succeed } from '../src/jobs/attempts/index.ts';
import type { JobDispatcher } from '../src/jobs/dispatch/index.ts';
import type { JobMetricsRecorder } from '../src/jobs/metrics/index.ts';
import {
  CommitFailedError,
  type Job,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  StaleJobError,
  type StoredObject,
  WorkerShutdownError,
} from '../src/jobs/model/index.ts';
import type { JobStore } from '../src/jobs/store/index.ts';
import { type AdvanceDeps, advanceStep, stepEndOf } from '../src/jobs/workflows/index.ts';
import type { JobEffects } from './job-handler.ts';
import { DELETE, LEAVE, type MessageAction } from './message-action.ts';
import type { RunningAttempt, RunTime } from './running-attempt.ts';

export type FinishedOutcome = 'succeeded' | 'failed' | 'superseded';

export interface SettleDeps {
  store: JobStore;
  dispatcher: JobDispatcher;
  metrics: JobMetricsRecorder;
  /**
   * Told of every finished attempt: its run time, or for an attempt that lost a race the run time
   * its progress pointed to (feeds the latency statistics and the worker's speed).
   */
  onAttemptFinished?: (job: Job, runTimeMs: number, outcome: FinishedOutcome) => void;
  /** Workflow items: a step's job that ends advances its workflow at once (none: the reaper does, later). */
  workflows?: AdvanceDeps['workflows'];
  /**
   * Per-tenant windows: a message holding a place gives it back at the job's first claim, and a
   * workflow's dependent takes one or is held (AdvanceDeps).
   */
  fairness?: AdvanceDeps['fairness'];
  /**
   * Test-only fault injection: called with a workflow step's job once its end is written, before
   * its workflow is advanced. A throw there is the worker dying between the two writes: the
   * advance is skipped and the message left, as `afterSend` does for the intake (SubmitDeps).
   */
  beforeAdvance?: (job: Job) => void;
}

/** What the handler came to: its result, or what it threw (or what ended it). */
export type HandlerOutcome =
  | { ok: true; result?: unknown; object?: StoredObject; effects: JobEffects }
  | { ok: false; error: unknown };

/** What one settle wrote: the job as the attempt left it (none when the job is no longer its), and the message's fate. */
interface Settled {
  job?: Job;
  message: MessageAction;
}

/**
 * Writes the attempt's outcome and counts it; returns what to do with its message. When another
 * attempt settled the job first (or took it over), this one is superseded and its message left.
 */
export async function settle(
  deps: SettleDeps,
  run: RunningAttempt,
  outcome: HandlerOutcome,
  ran: RunTime,
): Promise<MessageAction> {
  let settled: Settled;
  try {
    settled = outcome.ok
      ? await settleSuccess(deps, run, outcome, ran)
      : await settleFailure(deps, run, outcome.error, ran);
  } catch (error) {
    if (!(error instanceof StaleJobError)) throw error;
    settled = await superseded(deps, run, ran);
  }
  if (settled.job) {
    deps.metrics.finished(settled.job, ran.durationMs, run.attempt.lease.speculative === true);
    deps.onAttemptFinished?.(settled.job, ran.durationMs, settled.job.status === 'SUCCEEDED' ? 'succeeded' : 'failed');
    await advanceWorkflow(deps, run, settled.job);
  }
  return settled.message;
}

/**
 * Right after a workflow step's job ended: its dependents start now, not at the reaper's next
 * pass. A failure here is only logged: the job's end is written, and the reaper's pass over
 * stalled workflows advances it from there (docs/workflows.md, "Never stuck").
 */
async function advanceWorkflow(deps: SettleDeps, run: RunningAttempt, job: Job): Promise<void> {
  const end = stepEndOf(job.status);
  if (!job.workflow || !end || !deps.workflows) return;
  deps.beforeAdvance?.(job);
  const advance = {
    workflows: deps.workflows,
    store: deps.store,
    dispatcher: deps.dispatcher,
    fairness: deps.fairness,
    log: run.logger,
  };
  await advanceStep(advance, job.workflow, end).catch((error: Error) =>
    run.logger.warn('advancing the workflow failed; the reaper will', { workflowId: job.workflow?.id, error }),
  );
}

/**
 * Commits the result and effects with the job's success. When that write is refused for any
 * reason but a lost race, the attempt fails like any other: left to redelivery, the job would
 * sit RUNNING until its lease expired and be taken over as if its worker had died, again and
 * again, with no backoff and no error recorded (see docs/emulator.md, "stuck QUEUED jobs").
 */
async function settleSuccess(
  deps: SettleDeps,
  run: RunningAttempt,
  { result, object, effects }: Extract<HandlerOutcome, { ok: true }>,
  ran: RunTime,
): Promise<Settled> {
  let job: Job;
  try {
    job = await succeed(deps.store, run.job, run.attempt, result, [...effects.all], object);
  } catch (error) {
    if (error instanceof StaleJobError) throw error;
    return settleFailure(deps, run, new CommitFailedError(error), ran);
  }
  // Debug: the success is in the job's record and the metrics, and a line per job would be most of its log cost.
  run.logger.debug('attempt succeeded', { durationMs: ran.durationMs });
  return { job, message: DELETE };
}

async function settleFailure(deps: SettleDeps, run: RunningAttempt, error: unknown, ran: RunTime): Promise<Settled> {
  const { store, dispatcher } = deps;
  const { job, attempt, logger } = run;
  const { durationMs } = ran;
  if (error instanceof LeaseLostError) return superseded(deps, run, ran);
  if (error instanceof JobCancelledError) {
    const cancelled = await cancelRunning(store, job, attempt);
    logger.info('attempt cancelled through the API', { durationMs });
    return { job: cancelled, message: DELETE };
  }
  if (error instanceof WorkerShutdownError) {
    const released = await release(store, job, attempt);
    logger.info('attempt released', { durationMs, status: released.status });
    return { job: released, message: { kind: 'handBack', delaySeconds: 0 } };
  }
  const failed = await fail(store, job, attempt, error, error instanceof JobTimeoutError ? 'timed_out' : 'failed');
  if (failed.retryAt !== undefined) {
    // The failure is recorded first; if this send fails, the undeleted message still brings the job back.
    await dispatcher.dispatch(failed.job, failed.retryAt);
  }
  logger.warn('attempt failed', {
    error: error as Error,
    status: failed.job.status,
    retryAt: failed.retryAt,
    twinContinues: failed.twinContinues,
    durationMs,
  });
  return { job: failed.twinContinues ? undefined : failed.job, message: DELETE };
}

/** Another attempt settled the job (or took it over): close this attempt's record, count the waste. */
async function superseded(
  deps: SettleDeps,
  run: RunningAttempt,
  { durationMs, projectedMs }: RunTime,
): Promise<Settled> {
  await deps.store.closeAttempt(run.job, run.attempt.index, run.attempt.claimId, {
    finishedAt: new Date().toISOString(),
    outcome: 'superseded',
  });
  deps.metrics.wasted(run.job, durationMs);
  deps.onAttemptFinished?.(run.job, projectedMs, 'superseded');
  run.logger.info('attempt superseded; its result is discarded', { durationMs, projectedMs });
  return { message: LEAVE };
}
