import { runtime } from '../../src/aws/runtime.ts';
import { createWorkflow, parseWorkflowRequest } from '../../src/jobs/workflows/index.ts';
import { afterSendFault } from '../http/fault-injection.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { assertKnownType } from '../http/job-request.ts';
import { jsonObjectBody } from '../http/json-body.ts';

/** `POST /workflows`: 201 `{id}`; a 400 naming the step for a bad graph, with nothing written. */
export const handler = httpHandler(async (event) => {
  const request = parseWorkflowRequest(jsonObjectBody(event));
  for (const [i, step] of request.steps.entries()) assertKnownType(step.type, `steps.${i}.type`);
  const workflow = await createWorkflow(
    {
      workflows: runtime.workflows(),
      intake: {
        store: runtime.store(),
        dispatcher: runtime.dispatcher(),
        fairness: runtime.fairness(),
        payloads: runtime.payloads(),
        payloadLimits: runtime.payloadLimits(),
        queuedCap: runtime.queuedCounts(),
        // Test-only: a root's submit stopped after its send (the workflow's items written, no job).
        afterSend: afterSendFault(event),
      },
    },
    request,
  );
  return json(201, { id: workflow.workflowId });
});
