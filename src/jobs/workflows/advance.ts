import { inWaves } from '../../aws/batches.ts';
import type { JobDispatcher } from '../dispatch/index.ts';
import { type FailureLog, type FairDispatch, windowFollowUp, windowOf } from '../fairness/index.ts';
import { newJob } from '../intake/index.ts';
import type { Job, WorkflowLink } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import { childrenOfPage } from './spawn.ts';
import { newStepItem } from './step-item.ts';
import {
  childStepName,
  joinStepName,
  parentJobStep,
  parentsDone,
  type StepItem,
  stepJobId,
  tellsAs,
  type WorkflowItem,
} from './workflow.ts';
import { isStepTerminal, isWorkflowTerminal, type StepEnd, stepEndOf, workflowEnd } from './workflow-lifecycle.ts';
import type { WorkflowStore } from './workflow-store.ts';

/**
 * Moving a workflow on (docs/workflows.md, "Who advances a workflow"). Every write here is
 * conditional or idempotent (a set ADD), so any of these functions may run twice, at once, or
 * half-way and again: that is what lets the reaper's `advanceAll` repair whatever a crash left.
 */
export interface AdvanceDeps {
  workflows: WorkflowStore;
  store: Pick<JobStore, 'getMany'>;
  dispatcher: Pick<JobDispatcher, 'dispatch'>;
  /** Per-tenant windows: a dependent due now takes a place or is written HELD, as the intake's jobs. Without it, each is sent. */
  fairness?: Pick<FairDispatch, 'admit' | 'afterHold' | 'unhold' | 'giveBack'>;
  /** Told of window bookkeeping that failed after a step's job was decided (see windowFollowUp). */
  log?: FailureLog;
  now?: () => Date;
}

/** Steps started at once (a spawn's children, a step's dependents): each is a send and a transaction. */
const PARALLEL_STARTS = 16;

const nowOf = (deps: AdvanceDeps) => (deps.now ?? (() => new Date()))();

/** A step's job ended: record it on the step and pass it on (its dependents, then the workflow). */
export async function advanceStep(deps: AdvanceDeps, link: Pick<WorkflowLink, 'id' | 'step'>, end: StepEnd) {
  await deps.workflows.setStepStatus(link.id, link.step, end, nowOf(deps).toISOString());
  // Whether or not this call recorded it: a repeat must redo what a crash after the record left undone.
  await passOn(deps, link.id, link.step);
}

/**
 * Passes a terminal step's end on, as recorded on its item: each child is told (a set ADD); a
 * child that may not run without it is skipped, a child whose parents are now all done starts;
 * then the step counts as done, and the workflow ends with its last step. A step that spawned
 * tells its children nothing: its join took them over (spawnChildren) and tells them when the
 * spawn's work is done, under the spawning step's name.
 */
async function passOn(deps: AdvanceDeps, workflowId: string, name: string): Promise<void> {
  const step = await deps.workflows.getStep(workflowId, name);
  if (!step || !isStepTerminal(step.status)) return;
  const spawned = step.spawn !== undefined && step.status === 'SUCCEEDED';
  if (spawned) await spawnChildren(deps, step);
  const at = nowOf(deps).toISOString();
  // A spawned child is told by its index (its join's set of 10,000 names stays short), a join as its spawning step.
  const told = tellsAs(step);
  const join = step.childCount === undefined ? undefined : name;
  // At once, as a spawn's starts: one after another, the last child would wait for every other's start.
  await inWaves(
    (spawned ? [] : step.children).map((childName) => async () => {
      const child = await deps.workflows.tellChild(workflowId, childName, told, step.status === 'SUCCEEDED', at, join);
      await moveIfReady(deps, child, false);
    }),
    PARALLEL_STARTS,
  );
  // A spawned child counts on the workflow through its join: 10,000 names stay off its item.
  if (step.spawnIndex !== undefined) return;
  const workflow = await deps.workflows.markDone(workflowId, name, at);
  if ((workflow.doneSteps?.size ?? 0) >= workflow.stepNames.length) await finish(deps, workflow);
}

/**
 * Creates the steps a spawning step's success recorded (docs/workflows.md, "Dynamic fan-out"):
 * the join first (the children tell it), then each page's children, written once and started by
 * whoever wrote them; a page done is recorded on the spawning step and skipped by a later call.
 * A call that died midway leaves a page unrecorded: the next (the backstop) writes the children
 * still missing and starts those; advanceAll starts the ones written and left PENDING.
 */
async function spawnChildren(deps: AdvanceDeps, step: StepItem): Promise<void> {
  const { workflowId, name, spawn } = step;
  if (!spawn || (step.spawnedPages?.size ?? 0) >= spawn.pages) return;
  const at = nowOf(deps).toISOString();
  const tenant = step.request.tenant;
  const { payloadText, ...join } = spawn.join;
  const joinItem: StepItem = {
    ...newStepItem(
      workflowId,
      tenant,
      joinStepName(name),
      join.request,
      {
        dependsOn: [],
        // The spawning step's dependents wait for the spawn's work: the join tells them, as that step.
        children: step.children,
        toldAs: tellsAs(step),
        onParentFailure: join.onParentFailure,
        childCount: spawn.count,
        spawnedBy: name,
      },
      'join.payload',
      at,
    ),
    ...(payloadText !== undefined && { payloadText }),
  };
  await deps.workflows.putStepsOnce([joinItem]);
  let index = 0;
  for (let page = 0; page < spawn.pages; page++) {
    const text = await deps.workflows.getSpawnPage(workflowId, name, page);
    // Written in the transaction that wrote the record: never missing unless the table was changed by hand.
    if (text === undefined) throw new Error(`page ${page} of the spawn of step ${name} is missing`);
    const definitions = childrenOfPage(text);
    const first = index;
    index += definitions.length;
    if (step.spawnedPages?.has(page)) continue;
    const children = definitions.map((job, i) =>
      newStepItem(
        workflowId,
        tenant,
        childStepName(name, first + i),
        job,
        { dependsOn: [], children: [joinItem.name], onParentFailure: 'fail', spawnIndex: first + i, spawnedBy: name },
        `children.${first + i}.payload`,
        at,
      ),
    );
    const created = await deps.workflows.putStepsOnce(children);
    await inWaves(
      created.map((child) => () => moveIfReady(deps, child, false)),
      PARALLEL_STARTS,
    );
    await deps.workflows.markPageSpawned(workflowId, name, page, at);
  }
}

/**
 * A PENDING step whose parents allow a move: skipped after a failed parent (rule `fail`),
 * cancelled in a cancelled workflow, started once every parent is done.
 */
async function moveIfReady(deps: AdvanceDeps, step: StepItem, cancelled: boolean): Promise<void> {
  if (step.status !== 'PENDING') return;
  const skip = step.onParentFailure === 'fail' && (step.failedParents?.size ?? 0) > 0;
  if (cancelled || skip) {
    const to = cancelled ? 'CANCELLED' : 'SKIPPED';
    if (await deps.workflows.setStepStatus(step.workflowId, step.name, to, nowOf(deps).toISOString()))
      await passOn(deps, step.workflowId, step.name);
  } else if (parentsDone(step)) {
    await start(deps, step);
  }
}

/**
 * Creates a step's job: the message first (as the intake does: a job never exists without one),
 * then the job and the step's move in one transaction that holds once for all (derived job id).
 * Its tenant's window applies as at the intake: a job due now without a free place is written
 * HELD, with no message, and a release sends it. Its tenant's `maxQueued` does not: the workflow
 * was admitted whole (docs/workflows.md, "Tenants").
 */
async function start(deps: AdvanceDeps, step: StepItem): Promise<void> {
  const { workflowId, name } = step;
  const now = nowOf(deps);
  // A parent that spawned is seen as its join ended: its status, and its result (docs/workflows.md).
  const parents = Object.fromEntries(
    step.dependsOn.map((parent) => [parent, stepJobId(workflowId, parentJobStep(step, parent))]),
  );
  const { job, notBefore } = newJob(
    step.request,
    now,
    step.jobId,
    { inline: step.payloadText },
    {
      workflow: {
        id: workflowId,
        step: name,
        ...(step.dependsOn.length > 0 && { parents }),
        ...(step.childCount !== undefined && { children: { parent: step.spawnedBy!, count: step.childCount } }),
      },
    },
  );
  const fairness = notBefore <= now.getTime() ? deps.fairness : undefined;
  const place = fairness !== undefined && (await fairness.admit([job])).has(job.id);
  const written: Job = fairness && !place ? { ...job, status: 'HELD' } : job;
  if (written.status !== 'HELD') await send(deps, job, notBefore, place);
  const outcome = await deps.workflows.startStep(written, workflowId, name, now.toISOString());
  if (written.status === 'HELD') {
    // A hold counted for a job another process wrote first (or none at all) is uncounted.
    if (outcome === 'started') await windowFollowUp(deps.log, 'releasing after a hold', fairness?.afterHold([written]));
    else await windowFollowUp(deps.log, 'uncounting an unwritten hold', fairness?.unhold([written]));
  }
  // No job was written for the place (the step or its workflow moved): it goes back now, not at its lease's end.
  if (place && (outcome === 'stepMoved' || outcome === 'workflowClosed'))
    await windowFollowUp(deps.log, 'giving back an unused place', fairness.giveBack(windowOf(job), job.id));
  // The job was written before (a crash between it and the step's move, or a root's intake): move the step.
  if (outcome === 'jobExists') await deps.workflows.setStepStatus(workflowId, name, 'STARTED', now.toISOString());
  // Cancelled meanwhile: the step never runs (the spare message finds no job and is dropped).
  if (outcome === 'workflowClosed') await moveIfReady(deps, step, true);
}

/** Sends a step's job; a place it took goes back when the send fails, as at the intake. */
async function send(deps: AdvanceDeps, job: Job, notBefore: number, place: boolean): Promise<void> {
  try {
    await deps.dispatcher.dispatch(job, notBefore, { place });
  } catch (error) {
    if (place)
      await windowFollowUp(
        deps.log,
        'giving back an unsent job’s place',
        deps.fairness?.giveBack(windowOf(job), job.id),
      );
    throw error;
  }
}

/** Ends a workflow whose steps are all terminal, as the sinks (or a cancel) say; once. */
async function finish(deps: AdvanceDeps, workflow: WorkflowItem): Promise<void> {
  const steps = await deps.workflows.getSteps(workflow.workflowId, workflow.stepNames, { consistent: true });
  const end = workflowEnd(steps, workflow.cancelRequested === true);
  await deps.workflows.finish(workflow.workflowId, end, nowOf(deps).toISOString());
}

/**
 * The backstop (run by the reaper on workflows that stopped moving, and after a cancel): reads
 * every step and its job, and redoes whatever is due — a finished job's end recorded and passed
 * on, a terminal step's end passed on again, a PENDING step started, skipped or cancelled.
 */
export async function advanceAll(deps: AdvanceDeps, workflowId: string): Promise<void> {
  const workflow = await deps.workflows.getWorkflow(workflowId);
  if (!workflow || isWorkflowTerminal(workflow.status)) return;
  const steps = await deps.workflows.getSteps(workflowId, workflow.stepNames, { consistent: true });
  const cancelled = workflow.cancelRequested === true;
  await reconcile(deps, workflowId, steps, cancelled);
  // Spawned children after their spawning steps, whose pass on wrote any that were missing. A
  // child its join had counted when read is passed on already (sets only grow): of a long
  // fan-out, each pass reads the children but writes only for those still moving.
  const counted = new Map(steps.map((step) => [step.name, step.finishedParents]));
  const children = (await spawnedSteps(deps.workflows, steps)).filter(
    (child) => !(isStepTerminal(child.status) && counted.get(child.children[0]!)?.has(String(child.spawnIndex))),
  );
  await reconcile(deps, workflowId, children, cancelled);
  await deps.workflows.touch(workflowId, nowOf(deps).toISOString());
}

/** Moves each step as its job says, or redoes what its end or its parents left undone. */
async function reconcile(deps: AdvanceDeps, workflowId: string, steps: StepItem[], cancelled: boolean) {
  const open = steps.filter((step) => !isStepTerminal(step.status));
  const jobs = new Map(
    (
      await deps.store.getMany(
        open.map((step) => step.jobId),
        { consistent: true },
      )
    ).map((job) => [job.id, job]),
  );
  for (const step of steps) {
    const job = jobs.get(step.jobId);
    const end = job && stepEndOf(job.status);
    if (end && !isStepTerminal(step.status)) await advanceStep(deps, { id: workflowId, step: step.name }, end);
    else if (isStepTerminal(step.status)) await passOn(deps, workflowId, step.name);
    else if (job && step.status === 'PENDING')
      await deps.workflows.setStepStatus(workflowId, step.name, 'STARTED', nowOf(deps).toISOString());
    else if (!job) await moveIfReady(deps, step, cancelled);
  }
}

/** The children spawned by any of `steps` that exist, in order (the joins are among the workflow's steps). */
export async function spawnedSteps(
  workflows: Pick<WorkflowStore, 'getSteps'>,
  steps: readonly StepItem[],
  options: { consistent?: boolean } = { consistent: true },
): Promise<StepItem[]> {
  const spawned = await Promise.all(
    steps.map((step) =>
      step.spawn
        ? workflows.getSteps(
            step.workflowId,
            Array.from({ length: step.spawn.count }, (_, i) => childStepName(step.name, i)),
            options,
          )
        : [],
    ),
  );
  return spawned.flat();
}

/**
 * The reaper's pass over workflows: each open one unchanged since `before` (ISO) is advanced from
 * its jobs' states (advanceAll). Up to `limit` a shard of the index, oldest first; one that fails
 * is left for the next pass and does not stop the others.
 */
export async function advanceStalled(
  deps: AdvanceDeps,
  before: string,
  limit: number,
): Promise<{ advanced: string[]; failed: { workflowId: string; error: unknown }[] }> {
  const advanced: string[] = [];
  const failed: { workflowId: string; error: unknown }[] = [];
  for (const { workflowId } of await deps.workflows.stalled(before, limit)) {
    try {
      await advanceAll(deps, workflowId);
      advanced.push(workflowId);
    } catch (error) {
      failed.push({ workflowId, error });
    }
  }
  return { advanced, failed };
}
