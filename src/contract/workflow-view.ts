import { JOB_STATUSES, type Job } from '../jobs/model/index.ts';
import type { StepItem, WorkflowItem } from '../jobs/workflows/index.ts';

/** What a step shows: PENDING, SKIPPED or CANCELLED before it has a job, its job's status after. */
export const STEP_VIEW_STATUSES = ['PENDING', 'SKIPPED', ...JOB_STATUSES] as const;
export type StepViewStatus = (typeof STEP_VIEW_STATUSES)[number];

/**
 * A workflow as the API shows it (`GET /workflows/{id}`): its status and each step's, with the
 * step's job id (known before the job exists), attempts, its job's first start and end (run
 * times, the dashboard's critical path), and inline result or error. Steps come in the order
 * given: the caller lists a spawn's children after the step that spawned them.
 */
export function toWorkflowView(workflow: WorkflowItem, steps: StepItem[], jobs: Job[]) {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  return {
    id: workflow.workflowId,
    status: workflow.status,
    tenant: workflow.tenant,
    cancelRequested: workflow.cancelRequested === true,
    createdAt: workflow.createdAt,
    finishedAt: workflow.finishedAt ?? null,
    steps: steps.map((step) => {
      const job = byId.get(step.jobId);
      return {
        name: step.name,
        type: step.request.type,
        status: stepStatus(step, job),
        jobId: step.jobId,
        attempts: job?.attempts ?? 0,
        startedAt: job?.startedAt ?? null,
        finishedAt: job?.finishedAt ?? null,
        result: job?.result === undefined ? null : (JSON.parse(job.result) as unknown),
        error: job?.error?.message ?? null,
        dependsOn: step.dependsOn,
        onParentFailure: step.onParentFailure,
        spawnedBy: step.spawnedBy ?? null,
      };
    }),
  };
}

export type WorkflowView = ReturnType<typeof toWorkflowView>;

/** A step with a job shows the job's status (even while its step's record of it lags). */
function stepStatus(step: StepItem, job: Job | undefined): StepViewStatus {
  if (step.status === 'SKIPPED' || step.status === 'CANCELLED') return step.status;
  if (job) return job.status;
  // A recorded end whose job is gone (expired), or a job not yet readable: the step's own record.
  return step.status === 'STARTED' ? 'QUEUED' : step.status;
}
