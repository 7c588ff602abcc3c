import { MAX_BATCH_PAYLOAD_BYTES } from '../intake/index.ts';
import { PayloadTooLargeError } from '../model/index.ts';
import { type StepItem, stepItemId, stepJobId } from './workflow.ts';
import type { StepRequest } from './workflow-request.ts';

/** A step's job as a request or a spawn declares it: the job's fields, its payload beside them. */
export type StepJob = Omit<StepRequest, 'name' | 'dependsOn' | 'onParentFailure'>;

/**
 * A new step's item, PENDING: its job's request as `POST /jobs` would take it, for the workflow's
 * tenant, and its place in the graph (`edges`). Its payload is kept in the item until its job is
 * written, then in the job's: the batch's inline rule (≤ 256 KiB), checked here.
 */
export function newStepItem(
  workflowId: string,
  tenant: string,
  name: string,
  { payload, ...job }: StepJob,
  edges: Pick<StepItem, 'dependsOn' | 'children' | 'onParentFailure'> &
    Partial<Pick<StepItem, 'spawnIndex' | 'childCount' | 'spawnedBy' | 'toldAs'>>,
  payloadPath: string,
  at: string,
): StepItem {
  const payloadText = payloadTextOf(payload, payloadPath);
  return {
    id: stepItemId(workflowId, name),
    workflowId,
    name,
    jobId: stepJobId(workflowId, name),
    request: { ...job, tenant },
    ...(payloadText !== undefined && { payloadText }),
    ...edges,
    status: 'PENDING',
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * A step's payload as its item keeps it (JSON text), within `limit` (the batch's inline rule
 * unless said); `path` names it in the error.
 */
export function payloadTextOf(payload: unknown, path: string, limit = MAX_BATCH_PAYLOAD_BYTES): string | undefined {
  const text = payload === undefined ? undefined : JSON.stringify(payload);
  if (text !== undefined && Buffer.byteLength(text) > limit) {
    throw new PayloadTooLargeError(Buffer.byteLength(text), limit, path);
  }
  return text;
}
