import { type Job, JobNotFoundError, StaleJobError } from '../model/index.ts';
import type { JobStore } from './job-store.ts';

/**
 * Reads job `id` and applies `change` to it. When the job moved between the read and the write
 * (StaleJobError: a worker claimed it, another request changed it), reads it again and lets
 * `change` decide again, so operator actions never fail on a race they did not lose.
 */
export async function changeCurrentJob<T>(store: JobStore, id: string, change: (job: Job) => Promise<T>): Promise<T> {
  for (;;) {
    const job = await store.get(id);
    if (!job) throw new JobNotFoundError(id);
    try {
      return await change(job);
    } catch (error) {
      if (!(error instanceof StaleJobError)) throw error;
    }
  }
}
