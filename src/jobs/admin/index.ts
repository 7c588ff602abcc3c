export { cancelJob } from './cancel-job.ts';
export { collectStats } from './queue-stats.ts';
