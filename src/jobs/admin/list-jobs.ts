import { z } from 'zod';
import { CAPACITIES, PRIORITIES } from '../model/index.ts';
import { type JobStore, pageByStatus, type StatusPage } from '../store/index.ts';

/**
 * The states `GET /jobs` lists: those a job waits or runs in. Dead jobs have `GET /dlq`; finished
 * ones are only ever read by id (their partitions only grow).
 */
export const LISTED_STATUSES = ['SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING'] as const;

/** `GET /jobs?status=&capacity=&priority=&limit=&cursor=`, as the API reads it. */
export const JobListQuerySchema = z.strictObject({
  status: z.enum(LISTED_STATUSES),
  capacity: z.enum(CAPACITIES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().optional(),
});
export type JobListQuery = z.output<typeof JobListQuerySchema>;

/** One page of the jobs in one state, oldest change first per queue (order and cursor: `pageByStatus`). */
export function listJobs(store: Pick<JobStore, 'listByStatus'>, query: JobListQuery): Promise<StatusPage> {
  return pageByStatus(store, query.status, query);
}
