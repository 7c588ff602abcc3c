import { z } from 'zod';
import { JobRequestSchema } from './job-request.ts';

/** Most jobs one `POST /jobs/batch` may carry; larger arrays are split by the client. */
export const MAX_BATCH_JOBS = 1000;
/** Largest batch body: under Lambda's 6 MB request limit, with room for the event around it. */
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;

/** Body of `POST /jobs/batch` as documented: each item is a `POST /jobs` body. */
export const JobBatchSchema = z.strictObject({
  jobs: z.array(JobRequestSchema).min(1).max(MAX_BATCH_JOBS),
});

/**
 * What intake checks of a batch as a whole before it reads each item on its own: a bad item
 * answers 400 at its place in the results, it does not refuse the batch.
 */
export const JobBatchEnvelopeSchema = z.strictObject({
  jobs: z
    .array(z.unknown())
    .min(1, 'must hold at least one job')
    .max(MAX_BATCH_JOBS, `must hold at most ${MAX_BATCH_JOBS} jobs; split larger batches`),
});

export type JobBatchInput = z.input<typeof JobBatchSchema>;
