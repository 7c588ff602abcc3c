import { ApiError } from '../../api/api-error.ts';
import type { Job } from '../model/index.ts';
import type { JobDispatcher } from '../dispatch/index.ts';
import { type JobStore, StaleJobError } from '../store/index.ts';

/**
 * Its message is sent this long before the job leaves DEAD, so the message can never reach a
 * worker while the job still reads DEAD (which would drop it), and a failed send leaves the job
 * dead rather than queued without a message.
 */
const REQUEUE_FENCE_MS = 1000;

/** Re-runs a dead job with a fresh attempt budget; its attempt history is kept. */
export async function requeueDeadJob(store: JobStore, dispatcher: JobDispatcher, job: Job): Promise<Job> {
  if (job.status !== 'DEAD') throw new ApiError(409, 'JOB_NOT_DEAD', `job ${job.id} is ${job.status}; only DEAD jobs can be requeued`);
  await dispatcher.dispatch({ ...job, attempts: 0 }, Date.now() + REQUEUE_FENCE_MS);
  return store.transition(job, 'QUEUED', {
    set: { attempts: 0, requeues: (job.requeues ?? 0) + 1, deadLetterReturns: 0 },
    remove: ['error', 'finishedAt', 'leases', 'speculation'],
  });
}

/** `POST /dlq/{id}/requeue`: 404 for an unknown job, 409 for one that is not dead. */
export async function requeueById(store: JobStore, dispatcher: JobDispatcher, id: string): Promise<Job> {
  for (;;) {
    const job = await store.get(id);
    if (!job) throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${id}`);
    try {
      return await requeueDeadJob(store, dispatcher, job);
    } catch (error) {
      if (!(error instanceof StaleJobError)) throw error;
    }
  }
}
