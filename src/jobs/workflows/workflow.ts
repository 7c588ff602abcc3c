import { createHash } from 'node:crypto';
import type { JobRequest } from '../intake/index.ts';
import type { ParentFailureRule, StepStatus, WorkflowStatus } from './workflow-lifecycle.ts';

/**
 * A workflow's items in the jobs table (docs/workflows.md, "The records"): ids that no job can
 * have (jobs have UUIDs), so the items sit beside the jobs they make.
 */
export const workflowItemId = (workflowId: string): string => `wf#${workflowId}`;
export const stepItemId = (workflowId: string, step: string): string => `wf#${workflowId}#${step}`;

/** The steps a spawn makes (docs/workflows.md, "Dynamic fan-out"): child `i`, and the join after them all. */
export const childStepName = (parent: string, index: number): string => `${parent}.${index}`;
export const joinStepName = (parent: string): string => `${parent}.join`;
/** One page of a spawn's children's definitions, an item beside the steps. */
export const spawnPageId = (workflowId: string, parent: string, page: number): string =>
  stepItemId(workflowId, `${parent}.spawn#${page}`);

/**
 * The job id of a step, the same for every process that computes it: whoever creates the step's
 * job, however often, writes this id under `attribute_not_exists(id)`, so the job exists once.
 * A version-8 UUID (RFC 9562: custom bits) from SHA-256 of the workflow id and the step name.
 */
export function stepJobId(workflowId: string, step: string): string {
  const hex = createHash('sha256').update(`${workflowId}\0${step}`).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The workflow's own item. */
export interface WorkflowItem {
  id: string;
  workflowId: string;
  status: WorkflowStatus;
  tenant: string;
  /** Every step's name, in request order. */
  stepNames: string[];
  /** Names of the steps that are terminal and whose end was passed on (a set: reporting twice counts once). */
  doneSteps?: Set<string>;
  cancelRequested?: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** One step's item: what its job will be, its place in the graph, and how far its parents are. */
export interface StepItem {
  id: string;
  workflowId: string;
  name: string;
  /** The job's id (stepJobId), known before the job exists. */
  jobId: string;
  /** The job's request, defaults applied, its payload kept aside as JSON text. */
  request: Omit<JobRequest, 'payload'>;
  payloadText?: string;
  dependsOn: string[];
  children: string[];
  onParentFailure: ParentFailureRule;
  status: StepStatus;
  /** Parents that are terminal (whatever their end), by name. */
  finishedParents?: Set<string>;
  /** Parents that ended other than SUCCEEDED. */
  failedParents?: Set<string>;
  /** On a step whose job spawned children: how many, and in how many pages (SpawnRecord). */
  spawn?: SpawnRecord;
  /** Pages of the spawn whose children's items all exist and were started (each written once). */
  spawnedPages?: Set<number>;
  /** On a spawned child: its index, the name its join counts it by (children tell their join, not the workflow). */
  spawnIndex?: number;
  /** On a join: how many children it waits for (they are not listed in `dependsOn`: up to 10,000). */
  childCount?: number;
  /** On a spawned child or join: the step whose job spawned it. */
  spawnedBy?: string;
  /**
   * On a join: the name it tells its children by, its spawning step's (tellsAs): the join takes
   * over that step's dependents, which wait for the spawn's work, not only its handler's.
   */
  toldAs?: string;
  /** Parents whose end a join told, as `parent=join`: the join's job is what the dependent sees as that parent. */
  joinedParents?: Set<string>;
  createdAt: string;
  updatedAt: string;
}

/**
 * What a spawning job's success wrote on its step: the children's definitions are in `pages`
 * items (spawnPageId), the join's here.
 */
export interface SpawnRecord {
  count: number;
  pages: number;
  join: Pick<StepItem, 'request' | 'payloadText' | 'onParentFailure'>;
}

/** The name a step's dependents know it by: a spawned child's index, a join's spawning step's, else its own. */
export const tellsAs = (step: Pick<StepItem, 'name' | 'spawnIndex' | 'toldAs'>): string =>
  step.toldAs ?? (step.spawnIndex === undefined ? step.name : String(step.spawnIndex));

/** How a join's end is recorded on a dependent (`joinedParents`): which parent it stands for. */
export const joinedParent = (parent: string, join: string): string => `${parent}=${join}`;

/** The step whose job a dependent reads as `parent`: the join that told it, when one did, else the parent. */
export function parentJobStep(step: Pick<StepItem, 'joinedParents'>, parent: string): string {
  const prefix = joinedParent(parent, '');
  const joined = [...(step.joinedParents ?? [])].find((entry) => entry.startsWith(prefix));
  return joined === undefined ? parent : joined.slice(prefix.length);
}

/** True once every parent of the step is terminal (a root has none to wait for). */
export const parentsDone = (step: Pick<StepItem, 'dependsOn' | 'finishedParents' | 'childCount'>): boolean =>
  step.childCount === undefined
    ? step.dependsOn.every((parent) => step.finishedParents?.has(parent))
    : (step.finishedParents?.size ?? 0) >= step.childCount;
