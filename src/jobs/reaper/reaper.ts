import { liveLeases, openAttempts } from '../attempts/index.ts';
import { type JobDispatcher, parseJobMessage } from '../dispatch/index.ts';
import {
  ALL_QUEUE_KEYS,
  type Capacity,
  isTerminal,
  type Job,
  type JobStatus,
  type Priority,
  type QueueKey,
  StaleJobError,
} from '../model/index.ts';
import { type IndexedStatus, type JobStore, statusShardKeys, type TransitionChange } from '../store/index.ts';
import type { DeadLetteredMessage, ReaperQueues } from './reaper-queues.ts';

/**
 * The reaper: a job must never wait for a message that no longer exists. The intake sends a job's
 * message before it writes the job (a requeue before the job leaves DEAD), so a job never starts
 * without one; what can take it later — a queue purged, a message past SQS's 14-day retention, a
 * delete by another tool, SQS dead-lettering it — is caught in one of three places:
 *
 * - delayed and retrying jobs (SCHEDULED / RETRYING, in the status index) past their `runAt`,
 *   unchanged for longer than the grace period: this pass sends each a fresh message (at most once
 *   per grace period), so one is found within the grace and a pass of its due time.
 * - QUEUED jobs, and RUNNING ones whose leases expired (in no index): every immediate start armed
 *   a check that comes due a grace period later and is reviewed as it arrives (message-checks.ts),
 *   within the grace and a review of the loss, or of the start when the loss came first.
 * - messages in the queues' SQS dead-letter queues: a finished job's is spent and deleted; an
 *   unfinished job's is sent again, until `maxDeadLetterReturns`, after which the job ends DEAD
 *   with the reason, in `GET /dlq`. A message SQS dead-letters is never the silent end of a job.
 *
 * Then workflows: any open one unchanged for the grace period is advanced from its jobs' states,
 * so one whose steps are all terminal ends within a pass (docs/workflows.md).
 *
 * A duplicate message is harmless everywhere: the claim drops a message whose job moved on.
 */

export interface ReaperSettings {
  /** A job unchanged for this long past its due time, with no live attempt, is stuck. @default 300000 */
  graceMs: number;
  /** Messages of one unfinished job that may reach a dead-letter queue before the job ends DEAD. @default 3 */
  maxDeadLetterReturns: number;
  /** Jobs re-dispatched per queue and status in one pass (the oldest first). @default 100 */
  maxPerQueue: number;
  /** How long a dead-lettered message the reaper cannot read stays hidden from its next passes. @default 300 */
  unreadableHideSeconds: number;
}

/** Between reaper passes: one a minute, as its EventBridge rule fires. */
export const DEFAULT_REAPER_INTERVAL_MS = 60_000;

export const DEFAULT_REAPER_SETTINGS: ReaperSettings = {
  graceMs: 300_000,
  maxDeadLetterReturns: 3,
  maxPerQueue: 100,
  unreadableHideSeconds: 300,
};

export interface ReaperDeps {
  store: Pick<JobStore, 'unchangedSince' | 'markRedispatched' | 'get' | 'countDeadLetterReturn' | 'transition'>;
  dispatcher: Pick<JobDispatcher, 'dispatch'>;
  queues: ReaperQueues;
  /**
   * What ending a job DEAD writes with it when the job is still counted among its tenant's waiting
   * jobs (src/jobs/tenants QueuedCounts): it never started, and must leave the count with its end.
   * @default nothing
   */
  onEndUnstarted?: (job: Job) => Pick<TransitionChange, 'remove' | 'alsoWrite'>;
  /**
   * Advances the open workflows unchanged since `before` (ISO), up to `limit` a shard: the workflows'
   * `advanceStalled` (docs/workflows.md), handed in so the reaper does not depend on them. None: not checked.
   */
  advanceStalledWorkflows?: (
    before: string,
    limit: number,
  ) => Promise<{ advanced: string[]; failed: { workflowId: string; error: unknown }[] }>;
}

export interface Redispatch {
  jobId: string;
  status: JobStatus;
  queue: QueueKey;
  /** How long past its due time the job had waited. */
  stuckForMs: number;
}

export interface ReaperReport {
  redispatched: Redispatch[];
  /** Stuck-looking jobs left alone because their queue holds at least as many waiting messages. */
  leftToBacklog: number;
  /** Dead-lettered messages of unfinished jobs sent back to their queue. */
  deadLettersReturned: number;
  /** Jobs ended DEAD because their messages kept reaching a dead-letter queue. */
  endedDead: string[];
  /** Dead-lettered messages of finished (or missing) jobs, deleted. */
  deadLettersSpent: number;
  /** The longest any stuck job had waited past its due time (0 when none was stuck). */
  oldestStuckMs: number;
  /** Open workflows that had not moved for the grace period, advanced from their jobs' states. */
  workflowsAdvanced: string[];
  /** Stalled workflows whose advance failed this pass (the next pass tries again). */
  workflowsFailed: { workflowId: string; error: unknown }[];
}

/** Statuses whose jobs wait for a message due at their `runAt`, which a purge or an expiry can take. */
const WAITING: readonly IndexedStatus[] = ['RETRYING', 'SCHEDULED'];

/** One pass over every queue: stuck jobs first, then the dead-letter queues. */
export async function reap(deps: ReaperDeps, settings: ReaperSettings, now = Date.now()): Promise<ReaperReport> {
  const report: ReaperReport = {
    redispatched: [],
    leftToBacklog: 0,
    deadLettersReturned: 0,
    endedDead: [],
    deadLettersSpent: 0,
    oldestStuckMs: 0,
    workflowsAdvanced: [],
    workflowsFailed: [],
  };
  for (const key of ALL_QUEUE_KEYS) {
    await redispatchStuck(deps, settings, key, now, report);
    await sweepDeadLetters(deps, settings, key, now, report);
  }
  // After the jobs: a job this pass ended DEAD advances its workflow in the same pass.
  if (deps.advanceStalledWorkflows) {
    const before = new Date(now - settings.graceMs).toISOString();
    const { advanced, failed } = await deps.advanceStalledWorkflows(before, settings.maxPerQueue);
    report.workflowsAdvanced = advanced;
    report.workflowsFailed = failed;
  }
  return report;
}

/** When a job became due to move: its `runAt` or its last change. */
function dueAt(job: Job): number {
  return Math.max(Date.parse(job.updatedAt), job.runAt ? Date.parse(job.runAt) : 0);
}

async function redispatchStuck(
  deps: ReaperDeps,
  settings: ReaperSettings,
  key: QueueKey,
  now: number,
  report: ReaperReport,
): Promise<void> {
  const [capacity, priority] = key.split('-') as [Capacity, Priority];
  const cutoff = now - settings.graceMs;
  const before = new Date(cutoff).toISOString();
  // Per status, the oldest `maxPerQueue` across its shards: the bound is per queue and status, however many shards.
  const found = await Promise.all(
    WAITING.map(async (status) => {
      const shards = await Promise.all(
        statusShardKeys(status, capacity, priority).map((key) =>
          deps.store.unchangedSince(key, before, settings.maxPerQueue, before),
        ),
      );
      return shards
        .flat()
        .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
        .slice(0, settings.maxPerQueue);
    }),
  );
  const stuck = found
    .flat()
    .filter((job) => dueAt(job) < cutoff && !((job.redispatchedAt ?? 0) >= cutoff))
    .sort((a, b) => dueAt(a) - dueAt(b));
  if (stuck.length === 0) return;
  report.oldestStuckMs = Math.max(report.oldestStuckMs, now - dueAt(stuck[0]!));
  // A backlog makes waiting jobs look stuck while their messages wait their turn: when the queue
  // holds at least as many messages as there are stuck-looking jobs, every one may still have its
  // own. Only the excess, oldest first, can be missing its message for sure.
  const waiting = await deps.queues.waiting(key);
  const missing = stuck.slice(0, Math.max(0, stuck.length - waiting));
  report.leftToBacklog += stuck.length - missing.length;
  for (const job of missing) {
    if (!(await deps.store.markRedispatched(job, now, cutoff))) continue;
    await deps.dispatcher.dispatch(job);
    report.redispatched.push({ jobId: job.id, status: job.status, queue: key, stuckForMs: now - dueAt(job) });
  }
}

/** Reads a queue's dead-letter queue until it is empty (or has only unreadable messages left). */
async function sweepDeadLetters(
  deps: ReaperDeps,
  settings: ReaperSettings,
  key: QueueKey,
  now: number,
  report: ReaperReport,
): Promise<void> {
  for (;;) {
    const messages = await deps.queues.receiveDeadLettered(key, settings.unreadableHideSeconds);
    if (messages.length === 0) return;
    const handled: DeadLetteredMessage[] = [];
    for (const message of messages) {
      if (await settleDeadLetter(deps, settings, message, now, report)) handled.push(message);
    }
    await deps.queues.deleteDeadLettered(key, handled);
  }
}

/** Decides one dead-lettered message; false leaves it in the DLQ (not a Tailguard message) for a person. */
async function settleDeadLetter(
  deps: ReaperDeps,
  settings: ReaperSettings,
  message: DeadLetteredMessage,
  now: number,
  report: ReaperReport,
): Promise<boolean> {
  const parsed = parseJobMessage(message.body);
  if (!parsed.success) return false;
  const job = await deps.store.get(parsed.data.jobId);
  // Spent: the job finished or is gone, the message asked for an optional backup, or a live
  // attempt holds the job under its own message.
  if (!job || isTerminal(job.status) || parsed.data.backup || liveLeases(job, now).length > 0) {
    report.deadLettersSpent++;
    return true;
  }
  if ((job.deadLetterReturns ?? 0) >= settings.maxDeadLetterReturns) {
    if (await endDead(deps, job, now)) report.endedDead.push(job.id);
    return true;
  }
  if (await deps.store.countDeadLetterReturn(job)) {
    await deps.dispatcher.dispatch(job, job.runAt ? Date.parse(job.runAt) : now);
    report.deadLettersReturned++;
  }
  // A job that moved since it was read is in a worker's hands: the message is spent either way.
  return true;
}

/** Ends the job DEAD; false when it moved meanwhile (a worker has it, so it is not the dead-letter queue's to end). */
async function endDead(deps: ReaperDeps, job: Job, now: number): Promise<boolean> {
  const at = new Date(now).toISOString();
  const returns = (job.deadLetterReturns ?? 0) + 1;
  const { remove = [], alsoWrite } = deps.onEndUnstarted?.(job) ?? {};
  try {
    await deps.store.transition(job, 'DEAD', {
      set: {
        finishedAt: at,
        error: {
          name: 'DeadLetteredError',
          message: `its message reached the queue's SQS dead-letter queue ${returns} times without a worker settling the job`,
          retryable: false,
        },
      },
      attemptUpdates: openAttempts(job).map((index) => ({
        index,
        fields: { finishedAt: at, outcome: 'lost' as const, error: 'worker stopped heartbeating' },
      })),
      remove: ['leases', 'speculation', ...remove],
      alsoWrite,
    });
    return true;
  } catch (error) {
    if (!(error instanceof StaleJobError)) throw error;
    return false;
  }
}
