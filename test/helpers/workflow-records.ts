import { toWorkflowView, type WorkflowView } from '../../src/contract/workflow-view.ts';
import { isTerminal, type Job } from '../../src/jobs/model/index.ts';
import { childStepName, type StepItem, type WorkflowItem } from '../../src/jobs/workflows/index.ts';

/** One workflow as the jobs table holds it: its item, its steps (spawned ones too) and their jobs. */
export interface WorkflowRecord {
  workflow: WorkflowItem;
  steps: StepItem[];
  jobs: Job[];
  /** What `GET /workflows/{id}` would answer for it (steps in table order). */
  view: WorkflowView;
}

type Item = Record<string, unknown>;
const isWorkflowItem = (item: Item) => typeof item.workflowId === 'string' && Array.isArray(item.stepNames);
const isStepItem = (item: Item) =>
  typeof item.workflowId === 'string' && typeof item.name === 'string' && typeof item.jobId === 'string';
const workflowOfJob = (item: Item) => (item.workflow as Job['workflow'])?.id;

/**
 * Groups a scan of the jobs table into the records of the given workflows, read straight from
 * the table rather than through the API so the attempt logs and times come with them. A
 * workflow whose item is not there yet has no record.
 */
export function workflowRecords(
  items: readonly object[],
  workflowIds: ReadonlySet<string>,
): Map<string, WorkflowRecord> {
  const parts = new Map<string, { workflow?: WorkflowItem; steps: StepItem[]; jobs: Job[] }>();
  const partOf = (id: string) => parts.get(id) ?? parts.set(id, { steps: [], jobs: [] }).get(id)!;
  for (const item of items as readonly Item[]) {
    if (isWorkflowItem(item) && workflowIds.has(item.workflowId as string))
      partOf(item.workflowId as string).workflow = item as unknown as WorkflowItem;
    else if (isStepItem(item) && workflowIds.has(item.workflowId as string))
      partOf(item.workflowId as string).steps.push(item as unknown as StepItem);
    else if (workflowIds.has(workflowOfJob(item) ?? '')) partOf(workflowOfJob(item)!).jobs.push(item as unknown as Job);
  }
  const records = new Map<string, WorkflowRecord>();
  for (const [id, { workflow, steps, jobs }] of parts) {
    if (workflow) records.set(id, { workflow, steps, jobs, view: toWorkflowView(workflow, steps, jobs) });
  }
  return records;
}

/** A step's shown status is final: SKIPPED, or its job's terminal status (CANCELLED either way). */
export const stepEnded = (status: WorkflowView['steps'][number]['status']): boolean =>
  status === 'SKIPPED' || (status !== 'PENDING' && isTerminal(status));

/** Step items the workflow should hold and does not: named in `stepNames`, or a spawn's children. */
function missingSteps({ workflow, steps }: WorkflowRecord): string[] {
  const present = new Set(steps.map((step) => step.name));
  const spawned = steps.flatMap((step) =>
    Array.from({ length: step.spawn?.count ?? 0 }, (_, i) => childStepName(step.name, i)),
  );
  return [...workflow.stepNames, ...spawned].filter((name) => !present.has(name));
}

/**
 * True when every step of the workflow exists and has ended, whether or not the workflow has: a
 * join or spawned child not yet written (an expansion cut short) is a step that has not ended.
 */
export const allStepsEnded = (record: WorkflowRecord): boolean =>
  missingSteps(record).length === 0 && record.view.steps.every((step) => stepEnded(step.status));

/**
 * What is wrong with an ended workflow, by the rules every workflow keeps (docs/workflows.md),
 * each as `step <name>: <what>`: every step exists and ended; at most one job per step, under its derived
 * id, with one successful attempt at most; no job created before each of its parents (a spawn's
 * join: each child) ended; a step with a failed parent skipped (under `fail`) and a skipped step
 * never run, and skipped only for a failed parent; a SUCCEEDED workflow's steps all SUCCEEDED, a
 * FAILED one's not. Empty when it kept them all.
 */
export function workflowViolations(record: WorkflowRecord): string[] {
  const { workflow, steps, jobs, view } = record;
  const out: string[] = [];
  if (workflow.status === 'RUNNING') out.push('workflow: still RUNNING');
  for (const step of view.steps) if (!stepEnded(step.status)) out.push(`step ${step.name}: still ${step.status}`);
  for (const name of missingSteps(record)) out.push(`step ${name}: no step item`);

  const stepByName = new Map(steps.map((step) => [step.name, step]));
  const jobsOf = new Map<string, Job[]>();
  for (const job of jobs) jobsOf.set(job.workflow!.step, [...(jobsOf.get(job.workflow!.step) ?? []), job]);
  for (const [name, its] of jobsOf) {
    const step = stepByName.get(name);
    if (!step) out.push(`step ${name}: has a job but no step item`);
    if (its.length > 1) out.push(`step ${name}: ${its.length} jobs (${its.map((job) => job.id).join(', ')})`);
    for (const job of its) {
      if (step && job.id !== step.jobId) out.push(`step ${name}: job ${job.id} is not its derived id ${step.jobId}`);
      const successes = job.attemptLog.filter((attempt) => attempt.outcome === 'succeeded').length;
      if (successes > (job.status === 'SUCCEEDED' ? 1 : 0) || (job.status === 'SUCCEEDED' && successes === 0))
        out.push(`step ${name}: job ${job.status} with ${successes} successful attempts`);
    }
  }

  const jobOf = (name: string) => jobsOf.get(name)?.[0];
  for (const step of steps) {
    const parents = parentsOf(step, steps);
    const job = jobOf(step.name);
    if (job) {
      for (const parent of parents) {
        const ended = jobOf(parent)?.finishedAt;
        if (!ended || Date.parse(job.createdAt) < Date.parse(ended))
          out.push(
            `step ${step.name}: job created at ${job.createdAt}, before parent ${parent} ended (${ended ?? 'never'})`,
          );
      }
    }
    const failed = parents.filter((parent) => {
      const status = view.steps.find((shown) => shown.name === parent)?.status;
      return status !== undefined && stepEnded(status) && status !== 'SUCCEEDED';
    });
    if (step.onParentFailure === 'fail' && failed.length > 0 && step.status !== 'SKIPPED')
      out.push(`step ${step.name}: ${step.status} although parent ${failed.join(', ')} failed`);
    if (step.status === 'SKIPPED' && failed.length === 0) out.push(`step ${step.name}: SKIPPED with no failed parent`);
    if (step.status === 'SKIPPED' && job) out.push(`step ${step.name}: SKIPPED but has job ${job.id} (${job.status})`);
  }

  const unsuccessful = view.steps.filter((step) => step.status !== 'SUCCEEDED');
  if (workflow.status === 'SUCCEEDED')
    for (const step of unsuccessful) out.push(`step ${step.name}: ${step.status} in a SUCCEEDED workflow`);
  if (workflow.status === 'FAILED' && unsuccessful.length === 0) out.push('workflow: FAILED with every step SUCCEEDED');
  return out;
}

/** A step's parents by name: its `dependsOn`, or for a spawn's join every child of its spawn. */
function parentsOf(step: StepItem, steps: readonly StepItem[]): string[] {
  if (step.childCount === undefined) return step.dependsOn;
  return steps
    .filter((other) => other.spawnedBy === step.spawnedBy && other.spawnIndex !== undefined)
    .map((child) => child.name);
}
