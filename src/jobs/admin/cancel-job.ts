import { ApiError } from '../../api/api-error.ts';
import { isTerminal, type Job } from '../model/index.ts';
import { type JobStore, StaleJobError } from '../store/index.ts';

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
export async function cancelJob(store: JobStore, id: string, onCancelled: (job: Job) => Promise<void>): Promise<CancelOutcome> {
  for (;;) {
    const job = await store.get(id);
    if (!job) throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${id}`);
    if (isTerminal(job.status)) throw new ApiError(409, 'JOB_FINISHED', `job ${id} is ${job.status} and cannot be cancelled`);
    try {
      if (job.status === 'RUNNING') return { job: await store.requestCancel(job), immediate: false };
      const cancelled = await store.transition(job, 'CANCELLED', { set: { finishedAt: new Date().toISOString() }, remove: ['runAt'] });
      await onCancelled(job);
      return { job: cancelled, immediate: true };
    } catch (error) {
      // The job moved (e.g. a worker claimed it) between read and write: decide again.
      if (!(error instanceof StaleJobError)) throw error;
    }
  }
}
