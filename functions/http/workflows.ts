import { runtime } from '../../src/aws/runtime.ts';
import { JobIdSchema } from '../../src/contract/job-id.ts';
import { toWorkflowView, type WorkflowView } from '../../src/contract/workflow-view.ts';
import { InvalidInputError, WorkflowNotFoundError } from '../../src/jobs/model/index.ts';
import { spawnedSteps } from '../../src/jobs/workflows/index.ts';
import type { HttpEvent } from './http-handler.ts';

/** The `{id}` path parameter of `/workflows/{id}` (workflows get random UUIDs, as jobs do), or a 400 naming it. */
export function workflowIdParameter(event: HttpEvent): string {
  const id = JobIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) throw InvalidInputError.fromZod(id.error, 'id');
  return id.data;
}

/** The workflow as `GET /workflows/{id}` shows it, read now (eventually consistent: a view, not a decision). */
export async function readWorkflowView(id: string): Promise<WorkflowView> {
  const workflows = runtime.workflows();
  const workflow = await workflows.getWorkflow(id);
  if (!workflow) throw new WorkflowNotFoundError(id);
  const named = await workflows.getSteps(id, workflow.stepNames);
  // Each spawn's children right after the step that spawned them (up to 10,000: ~2 MB of the 6 MB a response may be).
  const spawned = await Promise.all(named.map((step) => spawnedSteps(workflows, [step], { consistent: false })));
  const steps = named.flatMap((step, i) => [step, ...spawned[i]!]);
  return toWorkflowView(workflow, steps, await runtime.store().getMany(steps.map((step) => step.jobId)));
}
