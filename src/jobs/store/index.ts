export { changeCurrentJob } from './current-job.ts';
export type { TransactWriteItem } from './job-store.ts';
export { BY_STATUS_INDEX, JobStore, statusKey } from './job-store.ts';
export { Turns } from './turns.ts';
