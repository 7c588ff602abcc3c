import { z } from 'zod';
import { ApiError } from '../../src/api/api-error.ts';
import { toJobView } from '../../src/api/job-view.ts';
import { createDocumentClient } from '../../src/aws/clients.ts';
import { JobStore } from '../../src/jobs/job-store.ts';
import { requireEnv } from '../../src/jobs/topology.ts';
import { httpHandler, json } from '../http/http-handler.ts';

const store = new JobStore(createDocumentClient(), {
  jobs: requireEnv('JOBS_TABLE'),
  idempotency: requireEnv('IDEMPOTENCY_TABLE'),
});

const JobIdSchema = z.uuid();

/** `GET /jobs/{id}`. */
export const handler = httpHandler(async (event) => {
  const id = JobIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) throw ApiError.fromZod(id.error, 'id');
  const job = await store.get(id.data);
  if (!job) throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${id.data}`);
  return json(200, toJobView(job));
});
