import type { Job } from '../model/index.ts';

/** Partition key of the `byStatus` index: lists jobs of one status, class and priority by age. */
export const statusKey = (job: Pick<Job, 'status' | 'capacity' | 'priority'>): string =>
  `${job.status}#${job.capacity}#${job.priority}`;
