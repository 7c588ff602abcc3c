import { ApiError } from '../../src/api/api-error.ts';
import { toJobView } from '../../src/api/job-view.ts';
import { DeadLetterQuerySchema, listDeadJobs } from '../../src/jobs/dead-letters/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { httpHandler, json } from '../http/http-handler.ts';

/** `GET /dlq?priority=&capacity=&limit=&cursor=`: dead jobs with their failure history, paginated. */
export const handler = httpHandler(async (event) => {
  const query = DeadLetterQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) throw ApiError.fromZod(query.error);
  const { jobs, cursor } = await listDeadJobs(runtime.store(), query.data);
  return json(200, { items: jobs.map((job) => toJobView(job)), cursor });
});
