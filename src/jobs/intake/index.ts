export type { JobRequestInput } from './job-request.ts';
export { JobRequestSchema, MAX_PAYLOAD_DEPTH } from './job-request.ts';
export { submitJob } from './submit-job.ts';
