import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { requeueById } from '../../src/jobs/dead-letters/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { jobIdParameter } from '../http/job-id.ts';

/** `POST /dlq/{id}/requeue`: runs a dead job again with a fresh attempt budget. */
export const handler = httpHandler(async (event) => {
  const job = await requeueById(runtime.store(), runtime.dispatcher(), jobIdParameter(event));
  return json(200, toJobView(job));
});
