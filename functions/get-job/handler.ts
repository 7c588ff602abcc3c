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
  // A result too large for the item is fetched straight from the bucket, by a short-lived URL.
  const resultUrl = job.resultObject && (await runtime.payloads().downloadUrl(job.resultObject.key));
  return json(200, toJobView(job, Date.now(), { resultUrl }));
});
