import { httpHandler, json } from '../http/http-handler.ts';
import { readWorkflowView, workflowIdParameter } from '../http/workflows.ts';

/** `GET /workflows/{id}`: the workflow and each step's status, job id, attempts and result. */
export const handler = httpHandler(async (event) => json(200, await readWorkflowView(workflowIdParameter(event))));
