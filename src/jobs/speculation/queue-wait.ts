import { liveLeases } from '../attempts/index.ts';
import type { Job } from '../model/index.ts';
import { median } from './class-speed.ts';
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
 * Free slots of a class's workers that take backups (not on probation): their slots and probation
 * as they last reported them, their running attempts from the jobs now (a report is seconds old).
 */
export function freeSlots(reports: readonly WorkerReport[], jobs: readonly Job[], now: number): number {
  const running = new Map<string, number>();
  for (const job of jobs)
    for (const [, lease] of liveLeases(job, now)) running.set(lease.workerId, (running.get(lease.workerId) ?? 0) + 1);
  return reports.reduce(
    (free, w) => free + (w.onProbation ? 0 : Math.max(0, w.slots - (running.get(w.workerId) ?? 0))),
    0,
  );
}
