import { Metrics } from '@aws-lambda-powertools/metrics';
import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { submitJob } from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { afterSendFault } from '../http/fault-injection.ts';
import { type HttpEvent, header, httpHandler, json } from '../http/http-handler.ts';
import { parseJobRequest } from '../http/job-request.ts';
import { jsonObjectBody } from '../http/json-body.ts';

const metrics = new JobMetricsRecorder(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard' }));

/** `POST /jobs`: 201 with a new job, 200 with the job an idempotency key already created. */
export const handler = httpHandler(async (event) => {
  const { job, replayed } = await submitJob(
    {
      store: runtime.store(),
      dispatcher: runtime.dispatcher(),
      fairness: runtime.fairness(),
      payloads: runtime.payloads(),
      payloadLimits: runtime.payloadLimits(),
      queuedCap: runtime.queuedCounts(),
      afterSend: afterSendFault(event),
    },
    parseJobRequest(withIdempotencyHeader(event)),
  );
  if (!replayed) metrics.submitted(job);
  return json(replayed ? 200 : 201, toJobView(job));
});

/** Merges the `Idempotency-Key` header into the body; both given and different is an error. */
function withIdempotencyHeader(event: HttpEvent): Record<string, unknown> {
  const body = jsonObjectBody(event, undefined, 'upload a larger payload through POST /uploads (payloadRef)');
  const fromHeader = header(event, 'Idempotency-Key');
  if (fromHeader === undefined) return body;
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== fromHeader) {
    throw new InvalidInputError([{ path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' }]);
  }
  return { ...body, idempotencyKey: fromHeader };
}
