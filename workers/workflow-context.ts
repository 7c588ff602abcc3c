import { type Job, NonRetryableError, tenantOf } from '../src/jobs/model/index.ts';
import type { JobStore } from '../src/jobs/store/index.ts';
import { childStepName, type SpawnRequestInput, stepJobId, type WorkflowStore } from '../src/jobs/workflows/index.ts';
import type { ChildOutcome, JobEffects, ParentOutcome } from './job-handler.ts';
import type { JobPayloads } from './job-payloads.ts';

/**
 * What a workflow step's handler reads and writes of its workflow (docs/workflows.md): its
 * parents' outcomes, a join's children's, and a spawn committed with its success.
 */
export interface WorkflowContextDeps {
  store: Pick<JobStore, 'getMany'>;
  payloads: Pick<JobPayloads, 'result'>;
  workflows?: Pick<WorkflowStore, 'spawnWrites'>;
}

/** A join reads its children this many at a time: one BatchGetItem's worth. */
export const CHILDREN_PAGE = 100;

/** A finished job as its dependents see it: its result, or its error (one missing never ran). */
async function outcomeOf(deps: WorkflowContextDeps, job: Job | undefined, signal: AbortSignal): Promise<ParentOutcome> {
  if (!job) return { status: 'CANCELLED', error: 'the step never ran' };
  if (job.status !== 'SUCCEEDED') return { status: job.status, error: job.error?.message };
  return { status: job.status, result: await deps.payloads.result(job, signal) };
}

/**
 * A workflow step's parents as they ended, read at claim (not copied into the job: results of
 * any size, kept in the payload bucket too, reach the handler the same way).
 */
export async function parentsOf(
  deps: WorkflowContextDeps,
  job: Job,
  signal: AbortSignal,
): Promise<Record<string, ParentOutcome> | undefined> {
  const byName = job.workflow?.parents;
  if (!byName) return undefined;
  const jobs = new Map((await deps.store.getMany(Object.values(byName), { consistent: true })).map((p) => [p.id, p]));
  const outcomes = await Promise.all(
    Object.entries(byName).map(async ([name, id]) => [name, await outcomeOf(deps, jobs.get(id), signal)] as const),
  );
  return Object.fromEntries(outcomes);
}

/**
 * A join's children as they ended, in order, read a page at a time as the handler iterates:
 * 10,000 results fit neither the join's item (400 KB) nor its message (256 KB), and need not fit
 * the worker's memory at once. Undefined for a job that is not a spawn's join.
 */
export function childrenOf(
  deps: WorkflowContextDeps,
  job: Job,
  signal: AbortSignal,
): (() => AsyncIterable<ChildOutcome>) | undefined {
  const link = job.workflow;
  const spawn = link?.children;
  if (!link || !spawn) return undefined;
  return async function* children() {
    for (let first = 0; first < spawn.count; first += CHILDREN_PAGE) {
      const indices = Array.from({ length: Math.min(CHILDREN_PAGE, spawn.count - first) }, (_, i) => first + i);
      const ids = indices.map((i) => stepJobId(link.id, childStepName(spawn.parent, i)));
      const jobs = new Map((await deps.store.getMany(ids, { consistent: true })).map((child) => [child.id, child]));
      const outcomes = await Promise.all(ids.map((id) => outcomeOf(deps, jobs.get(id), signal)));
      for (const [k, outcome] of outcomes.entries()) yield { index: indices[k]!, ...outcome };
    }
  };
}

/**
 * `context.spawn`: the spawn's writes join the attempt's effects, committed with its success or
 * not at all (a failed, lost or raced attempt spawns nothing). Once a job, and only for a
 * workflow step: its children and join are steps of its workflow.
 */
export function spawnerOf(
  deps: WorkflowContextDeps,
  job: Job,
  effects: JobEffects,
): (request: SpawnRequestInput) => void {
  let spawned = false;
  return (request) => {
    if (!job.workflow || !deps.workflows)
      throw new NonRetryableError('only a workflow step can spawn: submit the job as a step of POST /workflows');
    if (spawned) throw new NonRetryableError('a job spawns once');
    const writes = deps.workflows.spawnWrites(job.workflow, tenantOf(job), request, new Date().toISOString());
    for (const write of writes) effects.add(write);
    spawned = true;
  };
}
