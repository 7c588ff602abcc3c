import type { JobDispatcher } from '../dispatch/index.ts';
import { type Job, JobNotDeadError } from '../model/index.ts';
import { changeCurrentJob, type JobStore } from '../store/index.ts';

/**
 * Its message is sent this long before the job leaves DEAD, so the message can never reach a
 * worker while the job still reads DEAD (which would drop it), and a failed send leaves the job
 * dead rather than queued without a message.
 */
const REQUEUE_FENCE_MS = 1000;

/** Re-runs a dead job with a fresh attempt budget; its attempt history is kept. */
export async function requeueDeadJob(store: JobStore, dispatcher: JobDispatcher, job: Job): Promise<Job> {
  if (job.status !== 'DEAD') throw new JobNotDeadError(job.id, job.status);
  await dispatcher.dispatch({ ...job, attempts: 0 }, Date.now() + REQUEUE_FENCE_MS);
  return store.transition(job, 'QUEUED', {
    set: { attempts: 0, requeues: (job.requeues ?? 0) + 1, deadLetterReturns: 0 },
    remove: ['error', 'finishedAt', 'leases', 'speculation'],
  });
}

/** `POST /dlq/{id}/requeue`: JobNotFoundError for an unknown job, JobNotDeadError for one that is not dead. */
export async function requeueById(store: JobStore, dispatcher: JobDispatcher, id: string): Promise<Job> {
  return changeCurrentJob(store, id, (job) => requeueDeadJob(store, dispatcher, job));
}
