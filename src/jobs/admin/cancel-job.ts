import { isTerminal, type Job, JobFinishedError } from '../model/index.ts';
import { changeCurrentJob, type JobStore, type TransitionChange } from '../store/index.ts';

export interface CancelOutcome {
  job: Job;
  /** False when the job is running: its worker ends it on the next heartbeat. */
  immediate: boolean;
}

/**
 * Cancels a job. Waiting jobs (queued, scheduled, retrying) become CANCELLED at once and never
 * start: a message that still arrives is dropped by the claim. A running job is flagged, and its
 * worker aborts the handler on its next heartbeat. Finished jobs cannot be cancelled.
 * `unstarted`: what the cancel of a job that never started writes with it (its tenant's count of
 * waiting jobs, src/jobs/tenants).
 */
export async function cancelJob(
  store: JobStore,
  id: string,
  onCancelled: (job: Job) => Promise<void>,
  unstarted: (job: Job) => Pick<TransitionChange, 'remove' | 'alsoWrite'> = () => ({}),
): Promise<CancelOutcome> {
  return changeCurrentJob(store, id, async (job) => {
    if (isTerminal(job.status)) throw new JobFinishedError(id, job.status);
    if (job.status === 'RUNNING') return { job: await store.requestCancel(job), immediate: false };
    const { remove = [], alsoWrite } = unstarted(job);
    const cancelled = await store.transition(job, 'CANCELLED', {
      set: { finishedAt: new Date().toISOString() },
      remove: ['runAt', ...remove],
      alsoWrite,
    });
    await onCancelled(job);
    return { job: cancelled, immediate: true };
  });
}
