import { inWaves } from '../../aws/batches.ts';
import { liveLeases } from '../attempts/index.ts';
import type { CheckedJob, JobDispatcher, MessageCheck } from '../dispatch/index.ts';
import type { Job, QueueKey } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import type { CheckRecords, QueueFindings } from './check-records.ts';
import { DEFAULT_REAPER_SETTINGS } from './reaper.ts';

/**
 * The last hole of "no job left behind": a QUEUED job is in no index (store/status-key.ts), so when
 * its message vanishes — a queue purged, a message past SQS's retention, a delete by a tool that is
 * not Tailguard — nothing would ever look at it again. Every immediate start therefore arms a check
 * (dispatch/message-check.ts) that the checks queue delivers a grace period later. Reviewing it:
 *
 * - a job that moved on (claimed, finished, cancelled, scheduled) or was never written: done;
 * - a job running under a live lease: checked again a grace period later (its message comes back
 *   to the queue if its worker dies; a purge meanwhile would leave it waiting, so it stays watched);
 * - a job still waiting for its message (QUEUED, or RUNNING under expired leases) past the grace:
 *   - **gone for sure** when its queue holds fewer messages than such jobs: at least the difference
 *     has no message (each message names one job), so that many of them, oldest first, get a fresh
 *     one — a purged or drained-then-expired queue is found within a grace period and a review;
 *   - **overtaken** when jobs of its queue and type sent at least a grace period after it have
 *     already been claimed: in a queue served in about arrival order, its message is gone (or a
 *     type limit held it back: then the spare message is dropped by the claim, as any duplicate);
 *   - **near SQS's retention**: a job waiting almost 14 days gets a fresh message before SQS drops
 *     its old one;
 *   - otherwise it waits behind a backlog with its message, and is checked again later.
 * A fresh message is recorded on the job (`markRedispatched`, once per grace period) and arms its own
 * check; a duplicate is harmless, as the claim drops a message whose job has moved on.
 */

export interface CheckSettings {
  /** How long a job may wait for its message before it is looked at. @default 300000 */
  graceMs: number;
  /** A job waiting this long gets a fresh message before SQS's 14-day retention ends its old one. @default 13 days */
  refreshAfterMs: number;
}

export const DEFAULT_CHECK_SETTINGS: CheckSettings = {
  graceMs: DEFAULT_REAPER_SETTINGS.graceMs,
  refreshAfterMs: 13 * 86_400_000,
};

/** Conditional writes at once when a purge leaves many jobs to resend. */
const PARALLEL_MARKS = 25;

/** The longest SQS holds a message back (DelaySeconds). */
const MAX_CHECK_DELAY_SECONDS = 900;

/** One job a check named, and what it is now (undefined: never written, or gone). */
export interface CheckedEntry {
  queue: QueueKey;
  entry: CheckedJob;
  job: Job | undefined;
}

export type ResendReason = 'gone' | 'overtaken' | 'expiring';

export interface Resend {
  job: Job;
  queue: QueueKey;
  /** The check entry it was judged on (to watch it again if the resend does not happen). */
  entry: CheckedJob;
  reason: ResendReason;
  /** How long it had waited for its message. */
  waitedMs: number;
}

export interface CheckVerdicts {
  resend: Resend[];
  /** Checks to put back, by how many seconds until they are due. */
  recheck: { check: MessageCheck; delaySeconds: number }[];
  /** Per queue, the jobs found waiting past the grace (resent or not) and the longest wait. */
  findings: Map<QueueKey, QueueFindings>;
}

/** When a job that waits for its message began waiting for it; undefined when it does not wait. */
export function waitingSince(job: Job, sentAt: number, now: number): number | undefined {
  const since = Math.max(sentAt, job.redispatchedAt ?? 0, Date.parse(job.updatedAt));
  if (job.status === 'QUEUED') return since;
  if (job.status === 'RUNNING' && liveLeases(job, now).length === 0)
    return Math.max(since, ...Object.values(job.leases ?? {}).map((lease) => lease.expiresAt));
  return undefined;
}

const frontierKey = (queue: QueueKey, type: string) => `${queue}#${type}`;

/**
 * The newest send time per queue and type among checked jobs already claimed: a waiting job sent
 * well before it was passed over.
 */
export function claimedFrontier(entries: readonly CheckedEntry[], now: number): Map<string, number> {
  const frontier = new Map<string, number>();
  for (const { queue, entry, job } of entries) {
    if (!job || job.attempts === 0 || waitingSince(job, entry[1], now) !== undefined) continue;
    const key = frontierKey(queue, entry[2]);
    frontier.set(key, Math.max(frontier.get(key) ?? 0, entry[1]));
  }
  return frontier;
}

/**
 * Decides every checked job: resend, check again, or done. `held` is the number of messages each
 * queue with waiting jobs holds (ready, in flight, delayed); `frontier` the claimed frontier
 * (this review's, merged with what earlier reviews recorded).
 */
export function judgeChecks(
  entries: readonly CheckedEntry[],
  held: ReadonlyMap<QueueKey, number>,
  frontier: ReadonlyMap<string, number>,
  settings: CheckSettings,
  now: number,
): CheckVerdicts {
  const verdicts: CheckVerdicts = { resend: [], recheck: [], findings: new Map() };
  const later = new Map<string, { queue: QueueKey; entry: CheckedJob; dueAt: number }>();
  const overdue = new Map<QueueKey, { job: Job; entry: CheckedJob; since: number }[]>();
  for (const { queue, entry, job } of latestPerJob(entries)) {
    if (!job) continue;
    const since = waitingSince(job, entry[1], now);
    if (since === undefined) {
      // Running under a live lease: its message may yet vanish before it settles.
      if (job.status === 'RUNNING') later.set(job.id, { queue, entry, dueAt: now + settings.graceMs });
      continue;
    }
    if (now - since < settings.graceMs) later.set(job.id, { queue, entry, dueAt: since + settings.graceMs });
    else overdue.set(queue, [...(overdue.get(queue) ?? []), { job, entry, since }]);
  }
  for (const [queue, waiting] of overdue) {
    waiting.sort((a, b) => a.since - b.since);
    const gone = Math.max(0, waiting.length - (held.get(queue) ?? 0));
    waiting.forEach(({ job, entry, since }, rank) => {
      const reason: ResendReason | undefined =
        rank < gone
          ? 'gone'
          : (frontier.get(frontierKey(queue, entry[2])) ?? 0) - since >= settings.graceMs
            ? 'overtaken'
            : now - since >= settings.refreshAfterMs
              ? 'expiring'
              : undefined;
      if (reason) verdicts.resend.push({ job, queue, entry, reason, waitedMs: now - since });
      else later.set(job.id, { queue, entry, dueAt: now + settings.graceMs });
    });
    verdicts.findings.set(queue, { waitingPastGrace: waiting.length, oldestWaitMs: now - waiting[0]!.since });
  }
  verdicts.recheck = regroup([...later.values()], now);
  return verdicts;
}

/** A job named by several checks (an old one and the one its resend armed) is judged once, on its latest send. */
function latestPerJob(entries: readonly CheckedEntry[]): CheckedEntry[] {
  const latest = new Map<string, CheckedEntry>();
  for (const checked of entries) {
    const seen = latest.get(checked.entry[0]);
    if (!seen || seen.entry[1] < checked.entry[1]) latest.set(checked.entry[0], checked);
  }
  return [...latest.values()];
}

/** Checks to put back, one per queue and delay (whole seconds, capped at SQS's 15 minutes). */
function regroup(later: { queue: QueueKey; entry: CheckedJob; dueAt: number }[], now: number) {
  const groups = new Map<string, { check: MessageCheck; delaySeconds: number }>();
  for (const { queue, entry, dueAt } of later) {
    const delaySeconds = Math.min(MAX_CHECK_DELAY_SECONDS, Math.max(1, Math.ceil((dueAt - now) / 1000)));
    const key = `${queue}:${delaySeconds}`;
    const group = groups.get(key) ?? { check: { queue, jobs: [] }, delaySeconds };
    group.check.jobs.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export interface CheckReviewDeps {
  store: Pick<JobStore, 'getMany' | 'markRedispatched'>;
  dispatcher: Pick<JobDispatcher, 'dispatchMany'>;
  /** Every message a work queue holds (ready, in flight, delayed). */
  held(queue: QueueKey): Promise<number>;
  /** Puts a check back, due in `delaySeconds`. */
  recheck(check: MessageCheck, delaySeconds: number): Promise<void>;
  records: Pick<CheckRecords, 'frontier' | 'advanceFrontier' | 'recordFindings'>;
}

export interface CheckReview {
  jobs: number;
  resent: Resend[];
  findings: Map<QueueKey, QueueFindings>;
}

/** Reviews the due checks of one delivery: reads their jobs, judges them, resends and puts checks back. */
export async function reviewChecks(
  deps: CheckReviewDeps,
  checks: readonly MessageCheck[],
  settings: CheckSettings,
  now = Date.now(),
): Promise<CheckReview> {
  const named = checks.flatMap((check) => check.jobs.map((entry) => ({ queue: check.queue, entry })));
  const jobs = new Map((await deps.store.getMany(named.map(({ entry }) => entry[0]))).map((job) => [job.id, job]));
  const entries = named.map((checked) => ({ ...checked, job: jobs.get(checked.entry[0]) }));
  const seen = claimedFrontier(entries, now);
  const waiting = entries.filter(({ job, entry }) => job && waitingSince(job, entry[1], now) !== undefined);
  // The frontier matters only to jobs still waiting: a review of finished jobs reads none.
  const frontier =
    waiting.length === 0
      ? new Map<string, number>()
      : await deps.records.frontier([...new Set(waiting.map(({ queue, entry }) => frontierKey(queue, entry[2])))]);
  for (const [key, sentAt] of seen) frontier.set(key, Math.max(frontier.get(key) ?? 0, sentAt));
  const waitingQueues = new Set(waiting.map(({ queue }) => queue));
  const held = new Map(
    await Promise.all([...waitingQueues].map(async (queue) => [queue, await deps.held(queue)] as const)),
  );
  const verdicts = judgeChecks(entries, held, frontier, settings, now);

  const marked = (
    await inWaves(
      verdicts.resend.map(
        (resend) => async () =>
          (await deps.store.markRedispatched(resend.job, now, now - settings.graceMs)) ? resend : undefined,
      ),
      PARALLEL_MARKS,
    )
  ).filter((resend): resend is Resend => resend !== undefined);
  const unsent = await deps.dispatcher.dispatchMany(marked.map(({ job }) => ({ job, notBefore: now })));
  const resent = marked.filter(({ job }) => !unsent.has(job.id));
  // A job whose fresh message SQS refused, or that another review resent meanwhile, stays watched.
  const sentIds = new Set(resent.map(({ job }) => job.id));
  const retry = verdicts.resend
    .filter(({ job }) => !sentIds.has(job.id))
    .map(({ queue, entry }) => ({ queue, entry, dueAt: now + settings.graceMs }));
  await Promise.all(
    [...verdicts.recheck, ...regroup(retry, now)].map(({ check, delaySeconds }) => deps.recheck(check, delaySeconds)),
  );
  const resentPerQueue = new Map<QueueKey, number>();
  for (const { queue, reason } of resent)
    if (reason !== 'expiring') resentPerQueue.set(queue, (resentPerQueue.get(queue) ?? 0) + 1);
  await Promise.all([
    deps.records.advanceFrontier(seen, settings.graceMs),
    deps.records.recordFindings(verdicts.findings, resentPerQueue, now),
  ]);
  return { jobs: entries.length, resent, findings: verdicts.findings };
}
