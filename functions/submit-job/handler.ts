import { Metrics } from '@aws-lambda-powertools/metrics';
import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { submitJob } from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import { type HttpEvent, header, httpHandler, json } from '../http/http-handler.ts';
import { withIdempotencyHeader } from '../http/idempotency-header.ts';
import { parseJobRequest } from '../http/job-request.ts';
import { jsonObjectBody } from '../http/json-body.ts';

const metrics = new JobMetricsRecorder(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard' }));

const intake = readSection('intake');

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
      afterSend: injectedFault(event),
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

/**
 * Test-only (off unless the stack was deployed with `tailguard:faultInjection=on`): with header
 * `x-tailguard-fault: after-send`, the request fails after the job's message is sent and before the
 * job is written, as if the function died there; the worker must drop the message without a job.
 */
function injectedFault(event: HttpEvent): (() => void) | undefined {
  if (!intake.faultInjection || header(event, 'x-tailguard-fault') !== 'after-send') return undefined;
  return () => {
    throw new Error('fault injected: intake stopped after the send');
  };
}
