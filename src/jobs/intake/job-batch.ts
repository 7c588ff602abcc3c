import { z } from 'zod';

/** Most jobs one `POST /jobs/batch` may carry; larger arrays are split by the client. */
export const MAX_BATCH_JOBS = 1000;
/** Largest batch body: under Lambda's 6 MB request limit, with room for the event around it. */
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;

/**
 * Body of `POST /jobs/batch` as intake checks it as a whole, and as the OpenAPI document gives
 * it: each item is then read on its own as a `POST /jobs` body, and a bad one answers 400 at its
 * place in the results instead of refusing the batch.
 */
export const JobBatchEnvelopeSchema = z.strictObject({
  jobs: z
    .array(
      z.unknown().meta({
        description: 'a `POST /jobs` body (`JobRequest`); one that is not valid is answered 400 at its place',
      }),
    )
    .min(1, 'must hold at least one job')
    .max(MAX_BATCH_JOBS, `must hold at most ${MAX_BATCH_JOBS} jobs; split larger batches`),
});
