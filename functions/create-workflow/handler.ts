import { runtime } from '../../src/aws/runtime.ts';
import { createWorkflow, parseWorkflowRequest } from '../../src/jobs/workflows/index.ts';
import { afterSendFault } from '../http/fault-injection.ts';
import { httpHandler, json, logger } from '../http/http-handler.ts';
import { withIdempotencyHeader } from '../http/idempotency-header.ts';
import { assertKnownType } from '../http/job-request.ts';
import { jsonObjectBody } from '../http/json-body.ts';

/**
 * `POST /workflows`: 201 `{id}`, or 200 with the workflow an idempotency key already created; a 400
 * naming the step for a bad graph, with nothing written.
 */
export const handler = httpHandler(async (event) => {
  const request = parseWorkflowRequest(withIdempotencyHeader(event, jsonObjectBody(event)));
  for (const [i, step] of request.steps.entries()) assertKnownType(step.type, `steps.${i}.type`);
  const { workflowId, replayed } = await createWorkflow(
    {
      workflows: runtime.workflows(),
      intake: {
        store: runtime.store(),
        dispatcher: runtime.dispatcher(),
        fairness: runtime.fairness(),
        log: logger,
        payloads: runtime.payloads(),
        payloadLimits: runtime.payloadLimits(),
        queuedCap: runtime.queuedCounts(),
        // Test-only: a root's submit stopped after its send (the workflow's items written, no job).
        afterSend: afterSendFault(event),
      },
    },
    request,
  );
  return json(replayed ? 200 : 201, { id: workflowId });
});
