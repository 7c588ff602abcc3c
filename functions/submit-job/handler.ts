import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../../src/api/api-error.ts';
import { JobRequestSchema } from '../../src/api/job-request.ts';
import { toJobView } from '../../src/api/job-view.ts';
import { createDocumentClient, createSqsClient } from '../../src/aws/clients.ts';
import { JobDispatcher } from '../../src/jobs/job-dispatcher.ts';
import { JobStore } from '../../src/jobs/job-store.ts';
import { submitJob } from '../../src/jobs/submit-job.ts';
import { queueTopologyFromEnv, requireEnv } from '../../src/jobs/topology.ts';
import { header, httpHandler, json } from '../http/http-handler.ts';
import { jsonObjectBody } from '../http/json-body.ts';

const store = new JobStore(createDocumentClient(), {
  jobs: requireEnv('JOBS_TABLE'),
  idempotency: requireEnv('IDEMPOTENCY_TABLE'),
});
const dispatcher = new JobDispatcher(createSqsClient(), queueTopologyFromEnv(), {
  client: new SchedulerClient({}),
  roleArn: requireEnv('SCHEDULER_ROLE_ARN'),
  groupName: requireEnv('SCHEDULE_GROUP'),
});

/** `POST /jobs`: 201 with a new job, 200 with the job an idempotency key already created. */
export const handler = httpHandler(async (event) => {
  const request = JobRequestSchema.safeParse(withIdempotencyHeader(event));
  if (!request.success) throw ApiError.fromZod(request.error);
  const { job, replayed } = await submitJob({ store, dispatcher }, request.data);
  return json(replayed ? 200 : 201, toJobView(job));
});

/** Merges the `Idempotency-Key` header into the body; both given and different is an error. */
function withIdempotencyHeader(event: APIGatewayProxyEvent): Record<string, unknown> {
  const body = jsonObjectBody(event);
  const fromHeader = header(event, 'Idempotency-Key');
  if (fromHeader === undefined) return body;
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== fromHeader) {
    throw ApiError.validation([{ path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' }]);
  }
  return { ...body, idempotencyKey: fromHeader };
}
