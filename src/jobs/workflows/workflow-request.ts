import { z } from 'zod';
import { JobRequestSchema } from '../intake/index.ts';
import { DEFAULT_TENANT, InvalidInputError, TenantIdSchema } from '../model/index.ts';
import { PARENT_FAILURE_RULES } from './workflow-lifecycle.ts';

/** Most steps one `POST /workflows` may declare (docs/workflows.md, "Limits"). */
export const MAX_WORKFLOW_STEPS = 1000;
export const STEP_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/**
 * The endings of the names a spawn gives its steps (`<parent>.<i>`, `<parent>.join`, workflow.ts):
 * a declared name ending otherwise can never be one, whichever step spawns.
 */
const SPAWNED_NAME_ENDING = /\.(\d+|join)$/;

const job = JobRequestSchema.shape;

/**
 * One step: a job's fields as `POST /jobs` takes them (same defaults and rules), its name, its
 * parents, and what a failed parent does to it. Payloads are inline (≤ 256 KiB, as a batch's
 * items): a dependent's job is written long after the request, from the step's item.
 */
export const StepRequestSchema = z.strictObject({
  name: z
    .string()
    .regex(STEP_NAME_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 . _ -')
    .refine((name) => !SPAWNED_NAME_ENDING.test(name), {
      error: (issue) => `step ${issue.input} is named as spawned steps are: no name may end in .join or .<digits>`,
    })
    .meta({
      description:
        'unique in the workflow; not ending in `.join` or `.<digits>`: a spawn names its children `<step>.<i>` and its join `<step>.join`',
    }),
  type: job.type,
  payload: job.payload,
  dependsOn: z.array(z.string()).max(MAX_WORKFLOW_STEPS).default([]),
  onParentFailure: z.enum(PARENT_FAILURE_RULES).default('fail'),
  priority: job.priority,
  capacity: job.capacity,
  maxAttempts: job.maxAttempts,
  backoff: job.backoff,
  timeoutSeconds: job.timeoutSeconds,
  speculation: job.speculation,
});

/**
 * Body of `POST /workflows`: the steps, the tenant every step's job is for, and the key that makes
 * the request safe to repeat (also the `Idempotency-Key` header), as `POST /jobs` takes it.
 */
export const WorkflowRequestSchema = z.strictObject({
  tenant: TenantIdSchema.default(DEFAULT_TENANT),
  idempotencyKey: job.idempotencyKey,
  steps: z.array(StepRequestSchema).min(1).max(MAX_WORKFLOW_STEPS),
});

export type StepRequest = z.output<typeof StepRequestSchema>;
export type WorkflowRequestInput = z.input<typeof WorkflowRequestSchema>;
export type WorkflowRequest = z.output<typeof WorkflowRequestSchema>;

/**
 * A workflow request, parsed and checked as a graph: unique names, known parents, no step its own
 * parent or twice another's, no cycle. Every problem is a 400 naming the step (and the cycle).
 */
export function parseWorkflowRequest(body: unknown): WorkflowRequest {
  const parsed = WorkflowRequestSchema.safeParse(body);
  if (!parsed.success) throw InvalidInputError.fromZod(parsed.error);
  assertDag(parsed.data.steps);
  return parsed.data;
}

function assertDag(steps: readonly StepRequest[]): void {
  const index = new Map<string, number>();
  const problems: { path: string; message: string }[] = [];
  steps.forEach((step, i) => {
    if (index.has(step.name))
      problems.push({ path: `steps.${i}.name`, message: `step ${step.name} is declared twice` });
    else index.set(step.name, i);
  });
  steps.forEach((step, i) => {
    const seen = new Set<string>();
    for (const parent of step.dependsOn) {
      const path = `steps.${i}.dependsOn`;
      if (parent === step.name) problems.push({ path, message: `step ${step.name} depends on itself` });
      else if (!index.has(parent))
        problems.push({ path, message: `step ${step.name} depends on unknown step ${parent}` });
      else if (seen.has(parent)) problems.push({ path, message: `step ${step.name} lists ${parent} twice` });
      seen.add(parent);
    }
  });
  if (problems.length > 0) throw new InvalidInputError(problems);
  const cycle = findCycle(steps, index);
  if (cycle) {
    const first = cycle[0]!;
    throw new InvalidInputError([
      { path: `steps.${index.get(first)}.dependsOn`, message: `steps form a cycle: ${[...cycle, first].join(' → ')}` },
    ]);
  }
}

/**
 * A cycle of `dependsOn` edges, as the steps along it (each depends on the next), or undefined.
 * Depth-first with an explicit stack, so 1,000 steps in a chain never come near the call stack's limit.
 */
export function findCycle(
  steps: readonly Pick<StepRequest, 'name' | 'dependsOn'>[],
  index: ReadonlyMap<string, number>,
): string[] | undefined {
  const state = new Array<'open' | 'done' | undefined>(steps.length);
  for (let root = 0; root < steps.length; root++) {
    if (state[root]) continue;
    const path: number[] = [root];
    const next: number[] = [0];
    state[root] = 'open';
    while (path.length > 0) {
      const at = path[path.length - 1]!;
      const parents = steps[at]!.dependsOn;
      const edge = next[next.length - 1]!;
      if (edge >= parents.length) {
        state[at] = 'done';
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = edge + 1;
      const to = index.get(parents[edge]!)!;
      if (state[to] === 'open') return path.slice(path.indexOf(to)).map((i) => steps[i]!.name);
      if (!state[to]) {
        state[to] = 'open';
        path.push(to);
        next.push(0);
      }
    }
  }
  return undefined;
}
