import { liveLeases } from '../attempts/index.ts';
import type { Job, Lease } from '../model/index.ts';
import { median } from './class-speed.ts';
import { type RunTimes, typeKey } from './latency-stats.ts';
import { leaseProjectedTotalMs } from './progress-estimate.ts';

/** Running attempts of a type with progress needed before any of them is judged against the others. */
export const MIN_PEERS_TO_COMPARE = 5;

/**
 * Whether a type's jobs are alike in size: its p90 within `slowFactor` × its median. Then an
 * attempt far slower than the others is a slow run; in a type with a long tail of sizes it is as
 * likely a big job.
 */
export const jobsAlike = (normal: RunTimes, slowFactor: number): boolean => normal.p90 <= slowFactor * normal.median;

/**
 * The running attempts of a class seen side by side, as LATE compares a task's progress rate with
 * its running peers'. A worker's measured speed is history: it cannot see a slow spell that began
 * a second ago, nor one attempt that stalled on a healthy worker. The attempts running now can,
 * for a type of alike jobs; in a type with a long tail of sizes a copy of a slow one would likely
 * take as long, so there the peers are not asked.
 */
export class RunningPeers {
  /** Per type of alike jobs: the apparent speed (median ÷ projected run time) of its typical running attempt. */
  private readonly norms = new Map<string, number>();
  /** Types whose running attempts report progress. */
  private readonly reporting = new Set<string>();

  constructor(jobs: readonly Job[], runTimes: ReadonlyMap<string, RunTimes>, slowFactor: number, now: number) {
    const apparent = new Map<string, number[]>();
    for (const job of jobs) {
      const key = typeKey(job.type, job.capacity);
      const normal = runTimes.get(key);
      if (normal === undefined) continue;
      for (const [, lease] of liveLeases(job, now)) {
        const projected = leaseProjectedTotalMs(lease, now);
        if (projected === undefined) continue;
        const speeds = apparent.get(key) ?? [];
        speeds.push(normal.median / projected);
        apparent.set(key, speeds);
      }
    }
    for (const [key, speeds] of apparent) {
      if (speeds.length < MIN_PEERS_TO_COMPARE) continue;
      this.reporting.add(key);
      const normal = runTimes.get(key)!;
      if (jobsAlike(normal, slowFactor)) this.norms.set(key, median(speeds));
    }
  }

  /**
   * How fast the attempt runs against its type's typical running attempt (at most 1), or undefined
   * without its progress, enough peers reporting theirs, or alike jobs.
   */
  relativeSpeed(
    job: Pick<Job, 'type' | 'capacity'>,
    lease: Lease,
    typeMedianMs: number,
    now: number,
  ): number | undefined {
    const norm = this.norms.get(typeKey(job.type, job.capacity));
    const projected = leaseProjectedTotalMs(lease, now);
    if (norm === undefined || projected === undefined) return undefined;
    return Math.min(1, typeMedianMs / projected / norm);
  }

  /**
   * Whether the type's running attempts report progress: then one that has reported none by the
   * time it straggles is stuck (a hung call, a deadlock), not merely long.
   */
  reportProgress(job: Pick<Job, 'type' | 'capacity'>): boolean {
    return this.reporting.has(typeKey(job.type, job.capacity));
  }
}
