import { isTerminal, type Job, JobFinishedError } from '../model/index.ts';
import { changeCurrentJob, type JobStore } from '../store/index.ts';

export interface CancelOutcome {
  job: Job;
  /** False when the job is running: its worker ends it on the next heartbeat. */
  immediate: boolean;
}

/**
 * Cancels a job. Waiting jobs (queued, scheduled, retrying) become CANCELLED at once and never
 * start: a message that still arrives is dropped by the claim. A running job is flagged, and its
 * worker aborts the handler on its next heartbeat. Finished jobs cannot be cancelled.
 */
export async function cancelJob(
  store: JobStore,
  id: string,
  onCancelled: (job: Job) => Promise<void>,
): Promise<CancelOutcome> {
  return changeCurrentJob(store, id, async (job) => {
    if (isTerminal(job.status)) throw new JobFinishedError(id, job.status);
    if (job.status === 'RUNNING') return { job: await store.requestCancel(job), immediate: false };
    const cancelled = await store.transition(job, 'CANCELLED', {
      set: { finishedAt: new Date().toISOString() },
      remove: ['runAt'],
    });
    await onCancelled(job);
    return { job: cancelled, immediate: true };
  });
}
