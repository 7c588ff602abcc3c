import { type Capacity, PRIORITIES } from './classes.ts';
import type { Job, Lease } from './job.ts';
import type { JobDispatcher } from './job-dispatcher.ts';
import { type JobStore, statusKey } from './job-store.ts';
import { type Histogram, type LatencyStatsStore, percentile, typeKey } from './latency-stats.ts';
import { liveLeases } from './attempts.ts';
import type { CapacityOutcome, CapacityProvisioner } from './capacity.ts';

export interface DetectorSettings {
  /** Share of a class's running attempts that may be speculative backups at once (at least one). */
  budgetFraction: number;
  /** An attempt straggles when its estimated total run time exceeds this × its type's median. */
  slowFactor: number;
  /** Recorded attempts of a type and class before its median is trusted. */
  minSamples: number;
  /** A backup request no worker picked up within this long may be made again. */
  pendingTimeoutMs: number;
  /** Attempts younger than this are never flagged: a short job is over before a backup could help. */
  minElapsedMs: number;
  /** A backup no worker took within this long means no worker of the class has room: add one. */
  capacityWaitMs: number;
}

/** How long after a lease expired the detector keeps nudging with fresh messages. */
const HAND_OVER_WINDOW_MS = 60_000;

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = { budgetFraction: 0.1, slowFactor: 2, minSamples: 20, pendingTimeoutMs: 30_000, minElapsedMs: 1000, capacityWaitMs: 5000 };

export interface Straggler {
  job: Job;
  claimId: string;
  lease: Lease;
  elapsedMs: number;
  estimatedTotalMs: number;
}

export interface DetectionReport {
  capacity: Capacity;
  runningAttempts: number;
  activeBackups: number;
  budget: number;
  stragglers: Straggler[];
  launched: Straggler[];
  /** Jobs whose every lease expired: a fresh message was sent so the lease logic takes them over now. */
  handedToLeaseLogic: string[];
  /** A worker was added because a backup found no room (`at-maximum`: the class is at its limit). */
  addedWorker?: CapacityOutcome;
}

export interface DetectorDeps {
  store: JobStore;
  stats: LatencyStatsStore;
  dispatcher: JobDispatcher;
  /** Adds a worker when a backup has nowhere to run (ECS on AWS, a worker process locally). */
  capacity?: CapacityProvisioner;
}

/**
 * Estimated total run time of an attempt. With progress reports it is the LATE estimate
 * (elapsed / progress: the progress rate extrapolated); without, the elapsed time itself, a lower
 * bound that grows until the attempt ends.
 */
export function estimatedTotalMs(lease: Lease, now: number): number {
  const elapsed = now - lease.startedAt;
  return lease.progress !== undefined && lease.progress >= 0.02 ? elapsed / lease.progress : elapsed;
}

/** The running attempts of one class that straggle, slowest-to-finish first. */
export function findStragglers(jobs: Job[], medians: Map<string, number>, settings: DetectorSettings, now: number): Straggler[] {
  const stragglers: Straggler[] = [];
  for (const job of jobs) {
    if (job.speculate === false || job.speculation) continue;
    const live = liveLeases(job, now);
    if (live.length !== 1) continue;
    const [claimId, lease] = live[0]!;
    if (now - lease.startedAt < settings.minElapsedMs) continue;
    const median = medians.get(typeKey(job.type, job.capacity));
    if (median === undefined) continue;
    const estimate = estimatedTotalMs(lease, now);
    if (estimate > settings.slowFactor * median) stragglers.push({ job, claimId, lease, elapsedMs: now - lease.startedAt, estimatedTotalMs: estimate });
  }
  // LATE: back up first the attempts expected to finish last.
  return stragglers.sort((a, b) => b.estimatedTotalMs - b.elapsedMs - (a.estimatedTotalMs - a.elapsedMs));
}

/**
 * One pass of the straggler detector over one class: flags straggling attempts against their
 * type's normal run time, launches backups within the speculation budget, and hands jobs whose
 * heartbeats stopped to the lease logic.
 */
export async function detectStragglers(deps: DetectorDeps, capacity: Capacity, settings: DetectorSettings, now = Date.now()): Promise<DetectionReport> {
  const jobs = (await Promise.all(PRIORITIES.map((priority) => deps.store.allByStatus(statusKey({ status: 'RUNNING', capacity, priority }))))).flat();
  const medians = await typeMedians(deps.stats, jobs, settings.minSamples);
  const runningAttempts = jobs.reduce((sum, job) => sum + liveLeases(job, now).length, 0);
  const activeBackups = jobs.filter((job) => job.speculation && (job.speculation.claimedBy ? job.leases?.[job.speculation.claimedBy] : now - job.speculation.requestedAt < settings.pendingTimeoutMs)).length;
  // At least one backup per class so a small fleet can be rescued; a zero budget turns speculation off.
  const budget = settings.budgetFraction === 0 ? 0 : Math.max(1, Math.floor(runningAttempts * settings.budgetFraction));
  const stragglers = findStragglers(jobs, medians, settings, now);

  const launched: Straggler[] = [];
  for (const straggler of stragglers) {
    if (activeBackups + launched.length >= budget) break;
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
  return { capacity, runningAttempts, activeBackups, budget, stragglers, launched, handedToLeaseLogic, addedWorker: await addCapacityIfStuck(deps, capacity, jobs, settings, now) };
}

/**
 * A backup nobody claimed within `capacityWaitMs` means every other worker of the class is full
 * (or none runs: a GPU service at zero). Ask for one more worker, once per backup, one per pass.
 */
async function addCapacityIfStuck(deps: DetectorDeps, capacity: Capacity, jobs: Job[], settings: DetectorSettings, now: number): Promise<DetectionReport['addedWorker']> {
  if (!deps.capacity) return undefined;
  const stuck = jobs.filter((job) => job.speculation && !job.speculation.claimedBy && !job.speculation.capacityRequestedAt && now - job.speculation.requestedAt >= settings.capacityWaitMs);
  for (const job of stuck) {
    if (await deps.store.markCapacityRequested(job, now)) return deps.capacity.addWorker(capacity);
  }
  return undefined;
}

async function typeMedians(stats: LatencyStatsStore, jobs: Job[], minSamples: number): Promise<Map<string, number>> {
  const keys = [...new Set(jobs.map((job) => typeKey(job.type, job.capacity)))];
  const histograms = await Promise.all(keys.map(async (key): Promise<[string, Histogram]> => [key, await stats.get(key)]));
  const medians = new Map<string, number>();
  for (const [key, histogram] of histograms) {
    const median = histogram.count >= minSamples ? percentile(histogram, 0.5) : undefined;
    if (median !== undefined) medians.set(key, median);
  }
  return medians;
}

