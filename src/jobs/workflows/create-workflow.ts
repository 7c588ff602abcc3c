import { randomUUID } from 'node:crypto';
import { inWaves } from '../../aws/batches.ts';
import {
  assertSameRequest,
  hashCanonical,
  IDEMPOTENCY_TTL_SECONDS,
  type SubmitDeps,
  submitJob,
} from '../intake/index.ts';
import { TenantQueueFullError } from '../model/index.ts';
import type { KeyRecord } from '../store/index.ts';
import { newStepItem } from './step-item.ts';
import { type WorkflowItem, workflowItemId } from './workflow.ts';
import type { WorkflowRequest } from './workflow-request.ts';
import type { WorkflowStore } from './workflow-store.ts';

export interface CreateWorkflowDeps {
  workflows: WorkflowStore;
  /** What `POST /jobs` submits with: the roots' jobs go through it. */
  intake: SubmitDeps;
  now?: () => Date;
  newId?: () => string;
}

/** Roots submitted at once: each is a send and a write or two. */
const PARALLEL_ROOTS = 8;

/** A created workflow's id; `replayed` when an idempotency key had created it before (200, not 201). */
export interface CreatedWorkflow {
  workflowId: string;
  replayed: boolean;
}

/**
 * Creates a checked workflow (parseWorkflowRequest): its steps, then its own item (a request that
 * dies between leaves steps nothing reads, never a workflow missing steps), then the roots' jobs,
 * each through the intake as `POST /jobs` makes one, under its derived id. A root whose submit
 * failed is started by the reaper's pass over stalled workflows. A tenant whose `maxQueued` its
 * roots would pass is refused first, with nothing written (TenantQueueFullError, 429).
 *
 * With an idempotency key, the workflow's item and the key's record are one transaction, as a
 * keyed job and its record are: a repeat answers the workflow the key created (a different request,
 * 409), and of concurrent repeats one wins, the others' steps left unread like a dead request's.
 */
export async function createWorkflow(deps: CreateWorkflowDeps, request: WorkflowRequest): Promise<CreatedWorkflow> {
  const { idempotencyKey: key, ...definition } = request;
  // Never a job's hash: a job's key used for a workflow is a conflict, not a replay.
  const requestHash = hashCanonical({ workflow: definition });
  const earlier = key === undefined ? undefined : await deps.intake.store.idempotencyRecord(key);
  if (earlier) return replayed(earlier, requestHash);
  const workflowId = (deps.newId ?? randomUUID)();
  const now = (deps.now ?? (() => new Date()))();
  const at = now.toISOString();
  const children = new Map(request.steps.map((step) => [step.name, [] as string[]]));
  for (const step of request.steps) for (const parent of step.dependsOn) children.get(parent)!.push(step.name);
  const steps = request.steps.map(({ name, dependsOn, onParentFailure, ...job }, i) =>
    newStepItem(
      workflowId,
      request.tenant,
      name,
      job,
      { dependsOn, children: children.get(name)!, onParentFailure },
      `steps.${i}.payload`,
      at,
    ),
  );
  const roots = request.steps.flatMap((step, i) => (step.dependsOn.length === 0 ? [steps[i]!] : []));
  await checkQueuedCap(deps.intake, request.tenant, roots.length);
  await deps.workflows.putSteps(steps);
  const workflow: WorkflowItem = {
    id: workflowItemId(workflowId),
    workflowId,
    status: 'RUNNING',
    tenant: request.tenant,
    stepNames: steps.map((step) => step.name),
    createdAt: at,
    updatedAt: at,
  };
  if (key === undefined) await deps.workflows.putWorkflow(workflow);
  else {
    const expiresAt = Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS;
    const outcome = await deps.intake.store.createKeyed(deps.workflows.workflowPut(workflow), {
      key,
      workflowId,
      requestHash,
      expiresAt,
    });
    if (!outcome.created) return replayed(outcome.existing, requestHash);
  }
  await inWaves(
    roots.map((root) => async () => {
      const payload = root.payloadText === undefined ? undefined : JSON.parse(root.payloadText);
      try {
        await submitJob(
          { ...deps.intake, newId: () => root.jobId },
          { ...root.request, payload },
          {
            workflow: { id: workflowId, step: root.name },
          },
        );
      } catch (error) {
        // Other submits reached the cap since the check: the workflow is written, so a 429 would
        // only invite a second one. The root stays PENDING and the reaper's pass starts it.
        if (error instanceof TenantQueueFullError) return;
        throw error;
      }
      // Its job may have ended already: then its end was recorded from PENDING and this write is refused.
      await deps.workflows.setStepStatus(workflowId, root.name, 'STARTED', at);
    }),
    PARALLEL_ROOTS,
  );
  return { workflowId, replayed: false };
}

/** The workflow a key created, when this request repeats the one that took the key (else 409). */
function replayed(record: KeyRecord & { workflowId?: string }, requestHash: string): CreatedWorkflow {
  assertSameRequest(record, requestHash);
  return { workflowId: record.workflowId!, replayed: true };
}

/**
 * Refuses a workflow whose roots would take its tenant past `maxQueued`, before anything is
 * written. Only roots count: dependents start as admitted work (docs/workflows.md, "Tenants").
 */
async function checkQueuedCap(intake: SubmitDeps, tenant: string, roots: number): Promise<void> {
  const cap = await intake.queuedCap?.capOf(tenant);
  if (cap === undefined) return;
  if ((await intake.queuedCap!.waiting(tenant)) + roots > cap)
    throw new TenantQueueFullError(tenant, cap, intake.queuedCap!.retryAfterSeconds);
}
