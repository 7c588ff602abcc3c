import { z } from 'zod';
import type { WorkflowLink } from '../model/index.ts';
import { NonRetryableError, PayloadTooLargeError } from '../model/index.ts';
import type { TransactWriteItem } from '../store/index.ts';
import { payloadTextOf, type StepJob } from './step-item.ts';
import { joinStepName, type SpawnRecord, spawnPageId, stepItemId, workflowItemId } from './workflow.ts';
import { StepRequestSchema } from './workflow-request.ts';

/** Most children one spawn may declare (docs/workflows.md, "Dynamic fan-out"). */
export const MAX_SPAWN_CHILDREN = 10_000;
/** A page of children's definitions: one item, under DynamoDB's 400 KB with room for its keys. */
export const SPAWN_PAGE_BYTES = 350_000;
/**
 * All pages together: they are written in the spawning job's success transaction, which DynamoDB
 * caps at 4 MB (the job's own update and result included).
 */
export const MAX_SPAWN_BYTES = 3_000_000;
/**
 * The join's payload rides in the spawning step's item (its record), beside that step's own
 * payload (≤ 256 KiB): together under the 400 KB item.
 */
export const MAX_JOIN_PAYLOAD_BYTES = 64 * 1024;

/** A spawned step's job: the fields of a workflow step's, without the graph's. */
const SpawnedJobSchema = StepRequestSchema.omit({ name: true, dependsOn: true, onParentFailure: true });

/**
 * What a handler spawns: children, each a job, and the join that runs once every child is
 * terminal; `join.onParentFailure` as a step's (`fail`: a failed child skips the join and fails
 * the workflow; `continue`: the join runs and sees the failure).
 */
export const SpawnRequestSchema = z.strictObject({
  children: z.array(SpawnedJobSchema).min(1).max(MAX_SPAWN_CHILDREN),
  join: SpawnedJobSchema.extend({ onParentFailure: StepRequestSchema.shape.onParentFailure }),
});

export type SpawnRequestInput = z.input<typeof SpawnRequestSchema>;
export type SpawnRequest = z.output<typeof SpawnRequestSchema>;

/**
 * The writes that record a spawn, committed with the spawning job's success (its effects), so a
 * retried or raced attempt never spawns twice: the children's definitions in pages, the spawn on
 * the spawning step (the advance creates the steps from it), and the join among the workflow's
 * steps (so the workflow cannot end before the join has). Throws NonRetryableError for a spawn
 * that cannot be written: the same handler would spawn it again.
 */
export function spawnWrites(
  table: string,
  link: Pick<WorkflowLink, 'id' | 'step'>,
  tenant: string,
  input: unknown,
  now: string,
): TransactWriteItem[] {
  const parsed = SpawnRequestSchema.safeParse(input);
  if (!parsed.success) throw new NonRetryableError(`invalid spawn: ${z.prettifyError(parsed.error)}`);
  const { children, join } = parsed.data;
  const { onParentFailure, payload, ...joinJob } = join;
  const payloadText = inline(() => payloadTextOf(payload, 'join.payload', MAX_JOIN_PAYLOAD_BYTES));
  const pages = inline(() => pagesOf(children));
  const spawn: SpawnRecord = {
    count: children.length,
    pages: pages.length,
    join: { request: { ...joinJob, tenant }, ...(payloadText !== undefined && { payloadText }), onParentFailure },
  };
  return [
    {
      Update: {
        TableName: table,
        Key: { id: stepItemId(link.id, link.step) },
        UpdateExpression: 'SET spawn = :spawn, updatedAt = :now',
        ExpressionAttributeValues: { ':spawn': spawn, ':now': now },
      },
    },
    {
      Update: {
        TableName: table,
        Key: { id: workflowItemId(link.id) },
        UpdateExpression: 'SET stepNames = list_append(stepNames, :join), updatedAt = :now',
        ExpressionAttributeValues: { ':join': [joinStepName(link.step)], ':now': now },
      },
    },
    ...pages.map((text, page) => ({
      Put: {
        TableName: table,
        Item: { id: spawnPageId(link.id, link.step, page), workflowId: link.id, page, children: text },
      },
    })),
  ];
}

/** A spawn page's children's definitions, as spawnWrites kept them. */
export const childrenOfPage = (text: string): StepJob[] => JSON.parse(text) as StepJob[];

/** A payload over the inline rule fails the spawning job for good: the same handler would spawn it again. */
function inline<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw new NonRetryableError(`invalid spawn: ${error.message}`);
    throw error;
  }
}

/** The children's definitions as JSON arrays of at most SPAWN_PAGE_BYTES each, in order. */
function pagesOf(children: readonly StepJob[]): string[] {
  const pages: string[][] = [[]];
  let bytes = 0;
  let total = 0;
  children.forEach((child, i) => {
    payloadTextOf(child.payload, `children.${i}.payload`);
    const text = JSON.stringify(child);
    const size = Buffer.byteLength(text) + 1;
    total += size;
    if (bytes + size > SPAWN_PAGE_BYTES && bytes > 0) {
      pages.push([]);
      bytes = 0;
    }
    pages[pages.length - 1]!.push(text);
    bytes += size;
  });
  if (total > MAX_SPAWN_BYTES)
    throw new NonRetryableError(
      `a spawn's children are ${total} bytes as JSON; the limit is ${MAX_SPAWN_BYTES}: keep large payloads in the payload bucket and pass their keys`,
    );
  return pages.map((texts) => `[${texts.join(',')}]`);
}
