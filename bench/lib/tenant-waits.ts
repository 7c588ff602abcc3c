import { type Job, tenantOf } from '../../src/jobs/model/index.ts';
import { type LatencySummary, round, summarize } from './latency.ts';

/** Issue #24's floor for the quiet tenants' wait p99 during a flood: no bound tighter than a second. */
export const QUIET_FLOOR_MS = 1000;
/** …nor looser than this many times their own p99 without the flood. */
export const QUIET_SOLO_FACTOR = 3;
/** The flood keeps at least this share of the throughput it has alone. */
export const THROUGHPUT_SHARE = 0.9;

/** A job's wait: created → its first attempt started (the claim), both as the system recorded them. */
export function waitMs(job: Pick<Job, 'createdAt' | 'attemptLog'>): number {
  const first = job.attemptLog[0];
  if (!first) throw new Error('the job has not started: no wait to measure');
  return Date.parse(first.startedAt) - Date.parse(job.createdAt);
}

/** The jobs of each tenant, in the jobs' order. */
export function byTenant(jobs: readonly Job[]): Map<string, Job[]> {
  const groups = new Map<string, Job[]>();
  for (const job of jobs) {
    const group = groups.get(tenantOf(job));
    if (group) group.push(job);
    else groups.set(tenantOf(job), [job]);
  }
  return groups;
}

/** Each tenant's wait percentiles, by tenant name. */
export const tenantSummaries = (jobs: readonly Job[]): Record<string, LatencySummary> =>
  Object.fromEntries(
    [...byTenant(jobs)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tenant, own]) => [tenant, summarize(own.map(waitMs))]),
  );

/** The waits of several tenants' jobs together (the quiet tenants as one stream). */
export const waitsOf = (jobs: readonly Job[], tenants: readonly string[]): number[] =>
  jobs.filter((job) => tenants.includes(tenantOf(job))).map(waitMs);

/** Issue #24's two checks: the quiet tenants barely notice the flood, and the flood barely slows. */
export function fairnessChecks(r: {
  soloQuietP99Ms: number;
  floodQuietP99Ms: number;
  floodJobsPerSecond: number;
  floodAloneJobsPerSecond: number;
}) {
  const quietBoundMs = round(Math.max(QUIET_FLOOR_MS, QUIET_SOLO_FACTOR * r.soloQuietP99Ms));
  const throughputBound = round(THROUGHPUT_SHARE * r.floodAloneJobsPerSecond);
  return {
    quietWaitP99BoundMs: quietBoundMs,
    quietWaitWithinBound: r.floodQuietP99Ms <= quietBoundMs,
    floodJobsPerSecondBound: throughputBound,
    floodThroughputKept: r.floodJobsPerSecond >= throughputBound,
  };
}

/**
 * Points of the wait-over-time picture: one per job, x = seconds from `originMs` to its creation,
 * y = its wait. A tenant with more than `maxPerTenant` jobs is thinned evenly (in submit order), so
 * a 10,000-job flood does not bury the quiet tenants' points.
 */
export function waitOverTimePoints(
  jobs: readonly Job[],
  originMs: number,
  maxPerTenant = 1500,
): { series: string; seconds: number; valueMs: number }[] {
  return [...byTenant(jobs)].flatMap(([tenant, own]) => {
    const sorted = [...own].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    const step = Math.max(1, Math.ceil(sorted.length / maxPerTenant));
    return sorted
      .filter((_, i) => i % step === 0)
      .map((job) => ({
        series: tenant,
        seconds: round((Date.parse(job.createdAt) - originMs) / 1000),
        // The log axis has no zero: a job claimed within the clock's millisecond shows at 1 ms.
        valueMs: Math.max(1, waitMs(job)),
      }));
  });
}
