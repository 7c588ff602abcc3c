export { cancelJob } from './cancel-job.ts';
export { type JobListQuery, JobListQuerySchema, LISTED_STATUSES, listJobs } from './list-jobs.ts';
export { collectStats } from './queue-stats.ts';
