import type { FinishedJob } from './simulation.ts';

/** Why a job ended past the target, from what its first attempt met (see breakdown). */
export type TailCause = 'startedSlowed' | 'slowedMidway' | 'waited' | 'big';

export interface TailBreakdown {
  jobs: number;
  /** Jobs that ended past the target. */
  pastTarget: number;
  /** Those jobs by cause. */
  causes: Record<TailCause, number>;
  /** Those of them a backup ended. */
  endedByBackup: number;
  /**
   * Jobs that would still end past the target with the same starts had each first attempt been
   * raced the instant it fell behind (its worker slowed, or a stall's or a hang's own fault: from
   * its start) by a backup that starts at once on a healthy slot. Not a floor for every policy —
   * another policy places and queues jobs differently — but what detection and claim time cost here.
   */
  pastWithInstantBackup: number;
}

/**
 * What the jobs past `targetMs` are made of: a first attempt that started on a slowed worker, one
 * its worker slowed midway, a wait longer than `waitedMs` before the first start, or else a job
 * big in itself (a stall or a hang counts by its wait or as big: its worker ran at speed).
 */
export function breakdown(jobs: readonly FinishedJob[], targetMs: number, waitedMs: number): TailBreakdown {
  const causes: Record<TailCause, number> = { startedSlowed: 0, slowedMidway: 0, waited: 0, big: 0 };
  let pastTarget = 0;
  let endedByBackup = 0;
  let pastWithInstantBackup = 0;
  for (const job of jobs) {
    if (instantBackupLatencyMs(job) > targetMs) pastWithInstantBackup++;
    if (job.latencyMs <= targetMs) continue;
    pastTarget++;
    if (job.wonByBackup) endedByBackup++;
    causes[causeOf(job, waitedMs)]++;
  }
  return { jobs: jobs.length, pastTarget, causes, endedByBackup, pastWithInstantBackup };
}

/** Several runs' breakdowns added up (each run has its own target, so the totals are not one breakdown of all jobs). */
export function sumBreakdowns(breakdowns: readonly TailBreakdown[]): TailBreakdown {
  const causes: Record<TailCause, number> = { startedSlowed: 0, slowedMidway: 0, waited: 0, big: 0 };
  const total: TailBreakdown = { jobs: 0, pastTarget: 0, causes, endedByBackup: 0, pastWithInstantBackup: 0 };
  for (const b of breakdowns) {
    total.jobs += b.jobs;
    total.pastTarget += b.pastTarget;
    total.endedByBackup += b.endedByBackup;
    total.pastWithInstantBackup += b.pastWithInstantBackup;
    for (const cause of Object.keys(causes) as TailCause[]) causes[cause] += b.causes[cause];
  }
  return total;
}

function causeOf(job: FinishedJob, waitedMs: number): TailCause {
  if (job.slowedAfterMs === 0) return 'startedSlowed';
  if (job.slowedAfterMs !== undefined) return 'slowedMidway';
  return job.waitMs > waitedMs ? 'waited' : 'big';
}

/** The job's latency had its first attempt been raced, the instant it fell behind, by a backup starting at once. */
function instantBackupLatencyMs(job: FinishedJob): number {
  const behindAfterMs = job.slowedAfterMs ?? (job.firstAttemptMs > job.healthyRunMs ? 0 : undefined);
  const raced = behindAfterMs === undefined ? Number.POSITIVE_INFINITY : behindAfterMs + job.healthyRunMs;
  return job.waitMs + Math.min(job.firstAttemptMs, raced);
}
