/**
 * Where a payload or result stops being kept in the job's item and goes to the payload bucket, and
 * the largest one a job may have. The threshold sits at 256 KiB: that is what a DynamoDB item
 * (400 KB) holds beside the job's history, what SQS held before 2025, and what keeps the happy path
 * free of S3 requests for the jobs most queues carry (docs/cost.md, "Large payloads").
 */
export interface PayloadLimits {
  /** Larger payloads and results are stored in S3. @default 262144 (256 KiB) */
  inlineBytes: number;
  /** Larger payloads and results are refused (413; a result fails its job). @default 1073741824 (1 GiB) */
  maxBytes: number;
}

export const DEFAULT_INLINE_BYTES = 256 * 1024;
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024;
/** One S3 PUT takes up to 5 GiB; larger would need a multipart upload. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 * 1024 * 1024;

export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = {
  inlineBytes: DEFAULT_INLINE_BYTES,
  maxBytes: DEFAULT_MAX_PAYLOAD_BYTES,
};

/** How long a presigned URL (upload or result) stays valid. */
export const PRESIGNED_URL_SECONDS = 15 * 60;
