import { Metrics } from '@aws-lambda-powertools/metrics';
import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { submitJob } from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import { afterSendFault } from '../http/fault-injection.ts';
import { httpHandler, json, logger } from '../http/http-handler.ts';
import { withIdempotencyHeader } from '../http/idempotency-header.ts';
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
      log: logger,
      payloads: runtime.payloads(),
      payloadLimits: runtime.payloadLimits(),
      queuedCap: runtime.queuedCounts(),
      afterSend: afterSendFault(event),
    },
    parseJobRequest(
      withIdempotencyHeader(
        event,
        jsonObjectBody(event, undefined, 'upload a larger payload through POST /uploads (payloadRef)'),
      ),
    ),
  );
  if (!replayed) metrics.submitted(job);
  return json(replayed ? 200 : 201, toJobView(job));
});
