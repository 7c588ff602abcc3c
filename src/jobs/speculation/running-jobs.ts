import type { Capacity, Job } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import type { WorkerRegistry, WorkerReport } from './worker-registry.ts';

/**
 * How long after an attempt starts its worker reports it (workers/create-worker.ts): soon, not a
 * report interval later, and one write covers every attempt started meanwhile.
 */
export const runningReportDelayMs = (reportMs: number): number => Math.min(1000, reportMs / 4);

/** The RUNNING jobs of a class at `now`: the detector's input. */
export type RunningJobsOf = (capacity: Capacity, now: number) => Promise<Job[]>;

/** Ids of the jobs live workers of `capacity` (every class when absent) report running, each once. */
export function reportedJobIds(reports: WorkerReport[], capacity?: Capacity): string[] {
  const ids = reports.filter((w) => capacity === undefined || w.capacity === capacity).flatMap((w) => w.jobIds ?? []);
  return [...new Set(ids)];
}

/**
 * Running jobs read from the workers' own reports: each live worker lists the jobs it runs, and
 * those are read by id, so the happy path writes no index entry (status-key.ts). A report lags its
 * worker by up to a second for new attempts (workers/create-worker.ts); a job that finished since
 * is left out by its status. The jobs are read strongly consistent: the backups a pass asked for
 * count against the budget of the very next pass, with no wait for the writes to spread.
 */
export function runningJobsFromReports(
  store: Pick<JobStore, 'getMany'>,
  workers: Pick<WorkerRegistry, 'live'>,
): RunningJobsOf {
  return async (capacity, now) => {
    const jobs = await store.getMany(reportedJobIds(await workers.live(now), capacity), { consistent: true });
    return jobs.filter((job) => job.status === 'RUNNING' && job.capacity === capacity);
  };
}
