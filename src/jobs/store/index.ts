export { BY_STATUS_INDEX, JobStore, StaleJobError, statusKey } from './job-store.ts';
export type { TransactWriteItem } from './job-store.ts';
