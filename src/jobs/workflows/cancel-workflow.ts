import { cancelJob } from '../admin/index.ts';
import {
  type Job,
  JobFinishedError,
  JobNotFoundError,
  WorkflowFinishedError,
  WorkflowNotFoundError,
} from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import { type AdvanceDeps, advanceAll, advanceStep, spawnedSteps } from './advance.ts';
import { isStepTerminal, isWorkflowTerminal } from './workflow-lifecycle.ts';

export interface CancelWorkflowDeps extends AdvanceDeps {
  store: JobStore;
  /** Told of each waiting job cancelled at once (the cancel route removes its far-off start). */
  onJobCancelled: (job: Job) => Promise<void>;
  /** What cancelling a job that never started writes with it: its tenant's count of waiting jobs (cancelJob). */
  onEndUnstarted?: Parameters<typeof cancelJob>[3];
}

/**
 * Cancels a workflow: flags it first, so no step starts after (a start's transaction checks the
 * flag), then cancels each unfinished step's job through the jobs' own cancel (waiting jobs at
 * once, running ones by their worker on its next heartbeat), then moves every pending step to
 * CANCELLED. The workflow ends CANCELLED when its last running step has stopped.
 */
export async function cancelWorkflow(deps: CancelWorkflowDeps, workflowId: string): Promise<void> {
  const workflow = await deps.workflows.getWorkflow(workflowId);
  if (!workflow) throw new WorkflowNotFoundError(workflowId);
  if (isWorkflowTerminal(workflow.status)) throw new WorkflowFinishedError(workflowId, workflow.status);
  if (!(await deps.workflows.requestCancel(workflowId, (deps.now ?? (() => new Date()))().toISOString()))) {
    const now = await deps.workflows.getWorkflow(workflowId);
    throw new WorkflowFinishedError(workflowId, now?.status ?? 'gone');
  }
  const named = await deps.workflows.getSteps(workflowId, workflow.stepNames, { consistent: true });
  const steps = [...named, ...(await spawnedSteps(deps.workflows, named))];
  for (const step of steps.filter((step) => !isStepTerminal(step.status))) {
    // A PENDING step may have its job already (a root whose step was not yet marked STARTED).
    const stopped = await cancelStepJob(deps, step.jobId);
    if (stopped) await advanceStep(deps, { id: workflowId, step: step.name }, 'CANCELLED');
  }
  // Pending steps without a job become CANCELLED, and whatever that ends is passed on.
  await advanceAll(deps, workflowId);
}

/** Cancels a step's job if it has one still unfinished: true when it ended now (it was waiting). */
async function cancelStepJob(deps: CancelWorkflowDeps, jobId: string): Promise<boolean> {
  try {
    const { immediate } = await cancelJob(deps.store, jobId, deps.onJobCancelled, deps.onEndUnstarted);
    return immediate;
  } catch (error) {
    if (error instanceof JobFinishedError || error instanceof JobNotFoundError) return false;
    throw error;
  }
}
