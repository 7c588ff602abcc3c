import type { JobStatus } from '../model/index.ts';

/**
 * The step and workflow lifecycles, written once (docs/workflows.md). Every status write of a
 * workflow's items names the statuses it may leave (a DynamoDB condition), taken from here, so
 * the tables hold under concurrency as the job lifecycle does.
 */

/**
 * A step waits (`PENDING`) until its parents are done, then has a job (`STARTED`, shown as the
 * job's own status) until that job ends; `SKIPPED` when a parent failed and the step would not run
 * without it; `CANCELLED` when its workflow was cancelled before it started (or its job was).
 */
export const STEP_STATUSES = ['PENDING', 'STARTED', 'SUCCEEDED', 'DEAD', 'CANCELLED', 'SKIPPED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

const STEP_TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  // A root's job may end before `POST /workflows` marks the step STARTED: its end is recorded from PENDING.
  PENDING: ['STARTED', 'SKIPPED', 'CANCELLED', 'SUCCEEDED', 'DEAD'],
  STARTED: ['SUCCEEDED', 'DEAD', 'CANCELLED'],
  SUCCEEDED: [],
  DEAD: [],
  CANCELLED: [],
  SKIPPED: [],
};

export const WORKFLOW_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/** What a parent's end means to a dependent: `fail` skips it (the default), `continue` runs it anyway. */
export const PARENT_FAILURE_RULES = ['fail', 'continue'] as const;
export type ParentFailureRule = (typeof PARENT_FAILURE_RULES)[number];

/** The terminal step statuses a step's job can end in. */
export type StepEnd = Extract<StepStatus, 'SUCCEEDED' | 'DEAD' | 'CANCELLED'>;

export function canStepTransition(from: StepStatus, to: StepStatus): boolean {
  return STEP_TRANSITIONS[from].includes(to);
}

/** The statuses a step may move to `to` from: the condition of the write that moves it. */
export function stepStatusesBefore(to: StepStatus): StepStatus[] {
  return STEP_STATUSES.filter((from) => canStepTransition(from, to));
}

export const isStepTerminal = (status: StepStatus): boolean => STEP_TRANSITIONS[status].length === 0;

export const isWorkflowTerminal = (status: WorkflowStatus): boolean => status !== 'RUNNING';

/** The step status a finished job leaves its step in; undefined while the job is not finished. */
export function stepEndOf(job: JobStatus): StepEnd | undefined {
  return job === 'SUCCEEDED' || job === 'DEAD' || job === 'CANCELLED' ? job : undefined;
}

/**
 * How a workflow ends once every step is terminal: CANCELLED when a cancel was asked, SUCCEEDED
 * when every sink (a step nothing depends on) succeeded, FAILED otherwise. Sinks decide, so a join
 * that was let see a failure (`continue`) and succeeded makes its workflow succeed.
 */
export function workflowEnd(
  steps: readonly { status: StepStatus; children: readonly string[] }[],
  cancelRequested: boolean,
): Exclude<WorkflowStatus, 'RUNNING'> {
  if (cancelRequested) return 'CANCELLED';
  const sinks = steps.filter((step) => step.children.length === 0);
  return sinks.every((step) => step.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
}
