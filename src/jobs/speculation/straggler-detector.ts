import { liveLeases } from '../attempts/index.ts';
import type { JobDispatcher } from '../dispatch/index.ts';
import type { Capacity, Job, Lease } from '../model/index.ts';
import type { JobStore, Turns } from '../store/index.ts';
import type { CapacityOutcome, CapacityProvisioner } from './capacity.ts';
import { classSpeed, DEFAULT_PROBATION_SPEED, healthyHosts } from './class-speed.ts';
import { type LatencyStatsStore, type RunTimes, typeKey } from './latency-stats.ts';
import { leaseProjectedTotalMs } from './progress-estimate.ts';
import { freeSlots, queueWaitMs } from './queue-wait.ts';
import type { RunningJobsOf } from './running-jobs.ts';
import { jobsAlike, RunningPeers } from './running-peers.ts';
import type { WorkerRegistry, WorkerReport } from './worker-registry.ts';

export interface DetectorSettings {
  /** Share of a class's running attempts that may be speculative backups at once (at least one). @default 0.3 */
  budgetFraction: number;
  /** An attempt straggles when its estimated total run time exceeds this × its type's median. @default 2 */
  slowFactor: number;
  /** Recorded attempts of a type and class before its median is trusted. @default 20 */
  minSamples: number;
  /** A backup request no worker picked up within this long may be made again. @default 30000 */
  pendingTimeoutMs: number;
  /** Attempts younger than this are never flagged: a short job is over before a backup could help. @default 1000 */
  minElapsedMs: number;
  /** A backup no worker took within this long, while none reports a free slot, asks for one more worker. @default 2000 */
  capacityWaitMs: number;
  /** Expected time from asking for a backup to its start on another worker (the gain must beat it). @default 500 */
  backupStartMs: number;
}

/** How long after a lease expired the detector keeps nudging with fresh messages. */
const HAND_OVER_WINDOW_MS = 60_000;

/** Longest a pass may hold its class's turn: a pass takes a second or two; a crashed one frees it by this. */
const TURN_HOLD_MS = 30_000;

/**
 * On a host whose pace probe reads healthy, an attempt whose pace is slower than a median job's but
 * not this many times slower is a big job, not a slow run: a copy would take as long (tail suite: at 0.85
 * load, with the slowed hosts on probation, nearly every such backup lost). Slower still, it is
 * stalled in the handler (a stuck call), which a copy escapes.
 */
const STALLED_PACE = 0.35;

/** Between detection passes inside one (minutely) detector run. */
export const DEFAULT_DETECTOR_INTERVAL_MS = 5000;

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  budgetFraction: 0.3,
  slowFactor: 2,
  minSamples: 20,
  pendingTimeoutMs: 30_000,
  minElapsedMs: 1000,
  capacityWaitMs: 2000,
  backupStartMs: 500,
};

export interface Straggler {
  job: Job;
  claimId: string;
  lease: Lease;
  elapsedMs: number;
  estimatedTotalMs: number;
  /** How much sooner a backup is expected to finish the job than the straggler would. */
  gainMs: number;
  /** No progress long after its peers reported theirs (see findStragglers). */
  stuck: boolean;
}

export interface DetectionReport {
  capacity: Capacity;
  runningAttempts: number;
  activeBackups: number;
  budget: number;
  /** How long the class's work waits in its queue now (see queueWaitMs). */
  queueWaitMs: number;
  /** New backups (of attempts not stuck) the pass could launch without taking slots from waiting work. */
  room: number;
  stragglers: Straggler[];
  launched: Straggler[];
  /** Jobs whose every lease expired: a fresh message was sent so the lease logic takes them over now. */
  handedToLeaseLogic: string[];
  /** A worker was added because a backup found no room (`at-maximum`: the class is at its limit). */
  addedWorker?: CapacityOutcome;
}

export interface DetectorDeps {
  store: JobStore;
  /** The class's RUNNING jobs (from the workers' reports: runningJobsFromReports). */
  running: RunningJobsOf;
  /** Passes over one class take turns (see detectStragglers). */
  turns: Turns;
  stats: LatencyStatsStore;
  dispatcher: JobDispatcher;
  /** Adds a worker when a backup has nowhere to run (ECS on AWS, a worker process locally). */
  capacity?: CapacityProvisioner;
  /** The workers' own reports of their free slots: tell at once when a backup has nowhere to run. */
  workers?: Pick<WorkerRegistry, 'live'>;
}

/**
 * Estimated total run time of an attempt: with progress reports the LATE estimate (its progress
 * rate extrapolated); without, on a worker of known speed the type's median scaled by that speed;
 * otherwise the elapsed time, a lower bound that grows until the attempt ends.
 */
export function estimatedTotalMs(lease: Lease, now: number, typeMedianMs: number): number {
  const elapsed = now - lease.startedAt;
  return leaseProjectedTotalMs(lease, now) ?? (lease.speed ? Math.max(elapsed, typeMedianMs / lease.speed) : elapsed);
}

/**
 * Whether a backup pays off, and by how much. An attempt straggles when its estimated total run
 * time exceeds `slowFactor` × its type's median. A backup is worth its cost when it is expected to
 * finish first: the straggler's time left must exceed the backup's start delay plus its run time
 * at normal speed, the job's estimated size at the straggler's speed — or, before any speed is
 * known, the type's median (the job is presumed typical, so a slow host is raced from its first
 * attempts). With neither progress nor a speed, nothing tells a stalled attempt from a long one,
 * and the slow-factor rule alone decides; so it does for an attempt that is `stuck` (no progress
 * long after its peers report theirs).
 */
export function backupGain(
  lease: Lease,
  typeMedianMs: number,
  settings: DetectorSettings,
  now: number,
  stuck = false,
): { gainMs: number; estimatedTotalMs: number } | undefined {
  const elapsed = now - lease.startedAt;
  const estimate = estimatedTotalMs(lease, now, typeMedianMs);
  if (elapsed < settings.minElapsedMs || estimate <= settings.slowFactor * typeMedianMs) return undefined;
  if (stuck || (lease.progress === undefined && lease.speed === undefined))
    return { gainMs: elapsed - typeMedianMs, estimatedTotalMs: estimate };
  const backupRunMs = lease.speed === undefined ? typeMedianMs : estimate * lease.speed;
  const gainMs = estimate - elapsed - (settings.backupStartMs + backupRunMs);
  return gainMs > 0 ? { gainMs, estimatedTotalMs: estimate } : undefined;
}

/**
 * A worker's measured speed relative to its class now. Where a type's sizes vary widely, each
 * worker's speed is measured on a different mix of big and small jobs and is known only roughly
 * (0.7 may be luck): only a worker below the probation line counts as slow there.
 */
function workerSpeed(speed: number | undefined, classNormal: number, alike: boolean): number | undefined {
  if (speed === undefined) return undefined;
  const relative = speed / classNormal;
  return alike || relative < DEFAULT_PROBATION_SPEED ? relative : 1;
}

/**
 * How many backups a class may have running at once: `fraction` of its running attempts, and at
 * least one so a small fleet can be rescued; a zero fraction turns speculation off.
 */
export function backupBudget(runningAttempts: number, fraction: number): number {
  return fraction === 0 ? 0 : Math.max(1, Math.floor(runningAttempts * fraction));
}

/**
 * The running attempts of one class that straggle, the biggest expected gain first (LATE's order).
 * An attempt's speed is the slower of two views: its worker's measured speed relative to the
 * class's speed now (see classSpeed: when every worker measures slow, the jobs are big), and its
 * progress rate relative to its running peers' (see RunningPeers: a slow spell or a stalled
 * attempt on a worker whose history is healthy).
 */
export function findStragglers(
  jobs: Job[],
  runTimes: ReadonlyMap<string, RunTimes>,
  settings: DetectorSettings,
  now: number,
  /** Workers whose host pace probe reads healthy now (see healthyHosts). */
  healthy: ReadonlySet<string> = new Set(),
): Straggler[] {
  const speeds = new Map(
    jobs
      .flatMap((job) => liveLeases(job, now))
      .flatMap(([, lease]) => (lease.speed === undefined ? [] : [[lease.workerId, lease.speed] as const])),
  );
  const normalSpeed = classSpeed([...speeds.values()]);
  const peers = new RunningPeers(jobs, runTimes, settings.slowFactor, now);
  const stragglers: Straggler[] = [];
  for (const job of jobs) {
    if (job.speculate === false || job.speculation) continue;
    const live = liveLeases(job, now);
    const normal = runTimes.get(typeKey(job.type, job.capacity));
    if (live.length !== 1 || normal === undefined) continue;
    const { median } = normal;
    const [claimId, measured] = live[0]!;
    const views = [
      workerSpeed(measured.speed, normalSpeed, jobsAlike(normal, settings.slowFactor)),
      bigJobOnHealthyHost(measured, median, healthy) ? undefined : peers.relativeSpeed(job, measured, median, now),
    ].filter((speed) => speed !== undefined);
    const lease = views.length === 0 ? measured : { ...measured, speed: Math.min(...views) };
    // Past its type's p99 without a word while its peers report: 99 % of its kind have ended by then,
    // and a job that reports progress speaks long before its end (2 × p90 left a hang running 1.5×
    // longer, and hedging at the p99 beat Tailguard on hang-0.5pct@0.85: docs/speculation.md).
    const stuck = measured.progress === undefined && peers.reportProgress(job) && now - measured.startedAt > normal.p99;
    const gain = backupGain(lease, median, settings, now, stuck);
    if (gain) stragglers.push({ job, claimId, lease, elapsedMs: now - lease.startedAt, stuck, ...gain });
  }
  return stragglers.sort((a, b) => b.gainMs - a.gainMs);
}

/**
 * Whether the attempt runs on a host whose pace probe reads healthy at the steady pace of a job
 * bigger than most, not several times slower: then the peers' view, which would call it slow, is
 * not asked. Its pace now (its latest step's), not its projected total: an attempt slowed midway
 * by something the probe cannot see (a slow dependency) shows its slow pace at once.
 */
function bigJobOnHealthyHost(lease: Lease, typeMedianMs: number, healthy: ReadonlySet<string>): boolean {
  if (!healthy.has(lease.workerId) || lease.progressRate === undefined) return false;
  return (lease.progressRate * typeMedianMs) / 1000 >= STALLED_PACE;
}

/**
 * One pass of the straggler detector over one class, unless another pass over it is under way
 * (then `undefined`: that one does the work). Detector runs overlap by design, and a pass spends
 * the class's backup budget from its own snapshot, so two passes at once could each spend all of
 * it; passes over a class therefore take turns, held by `holder` (one per detector run).
 */
export async function detectStragglers(
  deps: DetectorDeps,
  capacity: Capacity,
  settings: DetectorSettings,
  holder: string,
): Promise<DetectionReport | undefined> {
  const turn = `straggler-detector#${capacity}`;
  if (!(await deps.turns.take(turn, holder, TURN_HOLD_MS))) return undefined;
  try {
    return await detectionPass(deps, capacity, settings, Date.now());
  } finally {
    await deps.turns.giveBack(turn, holder);
  }
}

/**
 * Flags straggling attempts against their type's normal run time, launches backups within the
 * speculation budget, and hands jobs whose heartbeats stopped to the lease logic. One pass at
 * `now`, without taking the class's turn: detectStragglers does that; the tail simulator
 * (bench/sim) calls it on its virtual clock.
 */
export async function detectionPass(
  deps: DetectorDeps,
  capacity: Capacity,
  settings: DetectorSettings,
  now: number,
): Promise<DetectionReport> {
  const jobs = await deps.running(capacity, now);
  const runTimes = await typeRunTimes(deps.stats, jobs, settings.minSamples);
  const runningAttempts = jobs.reduce((sum, job) => sum + liveLeases(job, now).length, 0);
  const activeBackups = jobs.filter(
    (job) =>
      job.speculation &&
      (job.speculation.claimedBy
        ? job.leases?.[job.speculation.claimedBy]
        : now - job.speculation.requestedAt < settings.pendingTimeoutMs),
  ).length;
  const budget = backupBudget(runningAttempts, settings.budgetFraction);
  // Read only when needed: a scan of the workers table.
  let reports: Promise<WorkerReport[] | undefined> | undefined;
  const classReports = () =>
    (reports ??= deps.workers
      ? deps.workers.live(now).then((all) => all.filter((w) => w.capacity === capacity))
      : Promise.resolve(undefined));
  const candidates = findStragglers(jobs, runTimes, settings, now);
  // Which hosts run at speed is asked only once something straggles: it may be a big job on one of them.
  const stragglers =
    candidates.length === 0
      ? candidates
      : findStragglers(jobs, runTimes, settings, now, healthyHosts((await classReports()) ?? []));

  // While work waits no longer than a backup is expected to take to start, backups are free to go.
  // Beyond that the fleet has no slot to spare: a backup would wait behind that work, then take a
  // slot it needs, and the slow host, its straggler beaten, takes the next waiting job — at high
  // load the fleet loses the slow host's share of the work. Then only free slots count (they also
  // show when the wait was a `runAt` delay, not a backlog), plus one a pass where a worker can be
  // added: it brings its own (addCapacityIfStuck). A stuck attempt is backed up all the same: a
  // hang holds its slot until the job's timeout.
  const waitMs = queueWaitMs(jobs, now);
  const room =
    waitMs <= settings.backupStartMs || stragglers.length === 0
      ? Number.POSITIVE_INFINITY
      : freeSlots((await classReports()) ?? [], jobs, now) + (deps.capacity ? 1 : 0);

  const launched: Straggler[] = [];
  for (const straggler of stragglers) {
    if (activeBackups + launched.length >= budget) break;
    if (launched.length >= room && !straggler.stuck) continue;
    const requested = await deps.store.requestSpeculation(
      straggler.job,
      { requestedAt: now, against: straggler.claimId, avoidWorker: straggler.lease.workerId },
      now - settings.pendingTimeoutMs,
    );
    if (!requested) continue;
    await deps.dispatcher.dispatchBackup(straggler.job);
    launched.push(straggler);
  }

  const handedToLeaseLogic: string[] = [];
  for (const job of jobs) {
    const leases = Object.values(job.leases ?? {});
    const lastExpiry = Math.max(...leases.map((lease) => lease.expiresAt));
    if (leases.length > 0 && lastExpiry <= now && now - lastExpiry < HAND_OVER_WINDOW_MS) {
      // Its message reappears only when its visibility times out; a fresh one lets a worker take over now.
      await deps.dispatcher.dispatch(job);
      handedToLeaseLogic.push(job.id);
    }
  }
  return {
    capacity,
    runningAttempts,
    activeBackups,
    budget,
    queueWaitMs: waitMs,
    room,
    stragglers,
    launched,
    handedToLeaseLogic,
    addedWorker: await addCapacityIfStuck(deps, capacity, classReports, jobs, settings, now),
  };
}

/**
 * A backup is stuck when nobody claimed it within `capacityWaitMs` and no worker of its class
 * reports a free slot (besides the stragglers' own and those on probation, which refuse backups):
 * every worker busy, or none running (a GPU service at zero). Both, not either: a fleet full for an
 * instant frees a slot within a second, and a worker added for that blip is paid for until the
 * service scales in (tail suite: at 0.5 load, two workers asked for at once, for one point of p99).
 * Without reports the wait alone decides. Ask for one more worker, once per backup, one per pass.
 */
async function addCapacityIfStuck(
  deps: DetectorDeps,
  capacity: Capacity,
  classReports: () => Promise<WorkerReport[] | undefined>,
  jobs: Job[],
  settings: DetectorSettings,
  now: number,
): Promise<DetectionReport['addedWorker']> {
  if (!deps.capacity) return undefined;
  const unclaimed = jobs.filter(
    (job) => job.speculation && !job.speculation.claimedBy && !job.speculation.capacityRequestedAt,
  );
  if (unclaimed.length === 0) return undefined;
  const avoid = new Set(unclaimed.map((job) => job.speculation!.avoidWorker));
  const reports = await classReports();
  const room = reports?.some((w) => !w.onProbation && !avoid.has(w.workerId) && w.running < w.slots) ?? false;
  if (room) return undefined;
  const stuck = unclaimed.filter((job) => now - job.speculation!.requestedAt >= settings.capacityWaitMs);
  for (const job of stuck) {
    if (await deps.store.markCapacityRequested(job, now)) return deps.capacity.addWorker(capacity);
  }
  return undefined;
}

async function typeRunTimes(stats: LatencyStatsStore, jobs: Job[], minSamples: number): Promise<Map<string, RunTimes>> {
  const keys = [...new Set(jobs.map((job) => typeKey(job.type, job.capacity)))];
  const known = await Promise.all(keys.map(async (key) => [key, await stats.runTimes(key, minSamples)] as const));
  return new Map(known.filter((entry): entry is readonly [string, RunTimes] => entry[1] !== undefined));
}
