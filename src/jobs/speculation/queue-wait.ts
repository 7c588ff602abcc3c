import { liveLeases } from '../attempts/index.ts';
import type { Job } from '../model/index.ts';
import { median, spareSlots } from './class-speed.ts';
import type { WorkerReport } from './worker-registry.ts';

/** First attempts that started last: their waits tell how long work waits in the queue now. */
const RECENT_STARTS = 10;

/**
 * How long a class's work waits in its queue now: the median wait, from submission to start, of the
 * running jobs' first attempts that started last (0 when none runs). A job submitted with a later
 * `runAt` counts its delay as waiting, so this alone may overstate the queue (see detectionPass).
 */
export function queueWaitMs(jobs: readonly Job[], now: number): number {
  const starts = jobs.flatMap((job) =>
    liveLeases(job, now).flatMap(([, lease]) =>
      lease.attempt === 1 && !lease.speculative
        ? [{ at: lease.startedAt, waitedMs: lease.startedAt - Date.parse(job.createdAt) }]
        : [],
    ),
  );
  const recent = starts.sort((a, b) => b.at - a.at).slice(0, RECENT_STARTS);
  return recent.length === 0 ? 0 : median(recent.map((start) => start.waitedMs));
}

/**
 * Free slots of a class's workers that take backups (not on probation), as each last reported its
 * slots and running attempts. The report is the count's one consistent view: the running jobs come
 * from the same reports, so a job that ended since drops out of them at once while the attempt
 * that took its slot shows only in the worker's next report (up to a second later). Counted from
 * the jobs, every slot refilled in that second reads free; in a backlog that is a third of the
 * fleet (tail suite, transient-30s at 0.85: 4–15 "free" of 40 with none free). An attempt another
 * worker's report lists (a backup) still counts where it runs.
 */
export function freeSlots(reports: readonly WorkerReport[], jobs: readonly Job[], now: number): number {
  const leased = new Map<string, number>();
  for (const job of jobs)
    for (const [, lease] of liveLeases(job, now)) leased.set(lease.workerId, (leased.get(lease.workerId) ?? 0) + 1);
  return spareSlots(reports, (w) => Math.max(w.running, leased.get(w.workerId) ?? 0));
}
