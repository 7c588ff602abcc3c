import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { JobNotFoundError } from '../../src/jobs/model/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { jobIdParameter } from '../http/job-id.ts';

/** `GET /jobs/{id}`. */
export const handler = httpHandler(async (event) => {
  const id = jobIdParameter(event);
  const job = await runtime.store().get(id);
  if (!job) throw new JobNotFoundError(id);
  return json(200, toJobView(job));
});
