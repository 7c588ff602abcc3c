export { JobBatchEnvelopeSchema, MAX_BATCH_BYTES, MAX_BATCH_JOBS } from './job-batch.ts';
export type { JobRequest, JobRequestInput } from './job-request.ts';
export { JOB_TYPE_PATTERN, JobRequestSchema, MAX_PAYLOAD_DEPTH } from './job-request.ts';
export type { BatchOutcome } from './submit-batch.ts';
export { submitBatch } from './submit-batch.ts';
export { type JobOrigin, type SubmitDeps, submitJob } from './submit-job.ts';
