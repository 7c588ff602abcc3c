import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { DeadLetterQuerySchema, listDeadJobs } from '../../src/jobs/dead-letters/index.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';

/** `GET /dlq?priority=&capacity=&limit=&cursor=`: dead jobs with their failure history, paginated. */
export const handler = httpHandler(async (event) => {
  const query = DeadLetterQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) throw InvalidInputError.fromZod(query.error);
  const { jobs, cursor } = await listDeadJobs(runtime.store(), query.data);
  return json(200, { items: jobs.map((job) => toJobView(job)), cursor });
});
