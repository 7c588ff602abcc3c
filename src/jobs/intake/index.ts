export { JobBatchEnvelopeSchema, MAX_BATCH_BYTES, MAX_BATCH_JOBS } from './job-batch.ts';
export type { JobRequest, JobRequestInput } from './job-request.ts';
export {
  JOB_TYPE_PATTERN,
  JobRequestSchema,
  MAX_BATCH_PAYLOAD_BYTES,
  MAX_PAYLOAD_DEPTH,
  MAX_REQUEST_PAYLOAD_BYTES,
} from './job-request.ts';
export type { QueuedCap } from './queued-cap.ts';
export type { BatchOutcome } from './submit-batch.ts';
export { submitBatch } from './submit-batch.ts';
export {
  assertSameRequest,
  hashCanonical,
  IDEMPOTENCY_TTL_SECONDS,
  type JobOrigin,
  newJob,
  type SubmitDeps,
  submitJob,
} from './submit-job.ts';
export type { Upload, UploadRequest, UploadRequestInput } from './upload-request.ts';
export { createUpload, UploadRequestSchema } from './upload-request.ts';
