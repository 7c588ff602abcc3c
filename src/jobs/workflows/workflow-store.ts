import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { chunks, inWaves } from '../../aws/batches.ts';
import { retryLeftovers } from '../../aws/retries.ts';
import type { Job, WorkflowLink } from '../model/index.ts';
import {
  BY_STATUS_INDEX,
  batchGet,
  jobItem,
  STATUS_SHARD_ATTRIBUTE,
  STATUS_SHARDS,
  shardOf,
  type TransactWriteItem,
  writtenIf,
} from '../store/index.ts';
import { spawnWrites } from './spawn.ts';
import { joinedParent, type StepItem, spawnPageId, stepItemId, type WorkflowItem, workflowItemId } from './workflow.ts';
import { type StepStatus, stepStatusesBefore, type WorkflowStatus } from './workflow-lifecycle.ts';

/** Every index key of open workflows: their item is in `byStatusShard` only while RUNNING. */
export const OPEN_WORKFLOW_KEYS = Array.from({ length: STATUS_SHARDS }, (_, shard) => `WORKFLOW#RUNNING#${shard}`);
const openKey = (workflowId: string) => OPEN_WORKFLOW_KEYS[shardOf(workflowId)]!;

const BATCH_WRITE_SIZE = 25;
const PARALLEL_CALLS = 8;
const WRITE_TRIES = 5;

/** How a step's start went (docs/workflows.md, "Who advances a workflow", step 4). */
export type StartOutcome = 'started' | 'jobExists' | 'stepMoved' | 'workflowClosed';

/**
 * The workflow items of the jobs table: each write is one conditional request, its condition
 * taken from the lifecycle (workflow-lifecycle.ts), so every one may be repeated safely.
 */
export class WorkflowStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly jobs: string,
  ) {}

  /** Writes the steps (new items: nothing to condition), in batch writes. */
  async putSteps(steps: StepItem[]): Promise<void> {
    const calls = chunks(steps, BATCH_WRITE_SIZE).map((chunk) => async () => {
      const { left, error } = await retryLeftovers(
        chunk,
        async (pending) => {
          const { UnprocessedItems } = await this.db.send(
            new BatchWriteCommand({ RequestItems: { [this.jobs]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
          );
          const unprocessed = new Set((UnprocessedItems?.[this.jobs] ?? []).map((r) => r.PutRequest?.Item?.id));
          return pending.filter((step) => unprocessed.has(step.id));
        },
        { tries: WRITE_TRIES },
      );
      if (left.length > 0) throw (error as Error | undefined) ?? new Error('DynamoDB left step writes unprocessed');
    });
    await inWaves(calls, PARALLEL_CALLS);
  }

  /**
   * Writes the steps that do not exist yet, one conditional put each (a spawn's pages may be
   * expanded twice, and a step already moved must not be reset): the steps this call created.
   */
  async putStepsOnce(steps: StepItem[]): Promise<StepItem[]> {
    const created: StepItem[] = [];
    const calls = steps.map((step) => async () => {
      const put = this.db.send(
        new PutCommand({ TableName: this.jobs, Item: step, ConditionExpression: 'attribute_not_exists(id)' }),
      );
      if (await writtenIf(put)) created.push(step);
    });
    await inWaves(calls, PARALLEL_CALLS);
    return created;
  }

  /** A spawn's page of children's definitions (JSON text, spawn.ts); undefined when the spawn wrote none. */
  async getSpawnPage(workflowId: string, parent: string, page: number): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.jobs,
        Key: { id: spawnPageId(workflowId, parent, page) },
        ConsistentRead: true,
      }),
    );
    return Item?.children as string | undefined;
  }

  /** Records that a spawn's page has its steps written and started: a later expansion skips it. */
  async markPageSpawned(workflowId: string, parent: string, page: number, now: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.jobs,
        Key: { id: stepItemId(workflowId, parent) },
        UpdateExpression: 'ADD spawnedPages :page SET updatedAt = :now',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':page': new Set([page]), ':now': now },
      }),
    );
  }

  /** The writes that record a handler's spawn with its job's success (spawn.ts, spawnWrites). */
  spawnWrites(
    link: Pick<WorkflowLink, 'id' | 'step'>,
    tenant: string,
    spawn: unknown,
    now: string,
  ): TransactWriteItem[] {
    return spawnWrites(this.jobs, link, tenant, spawn, now);
  }

  /** Writes a new workflow, open: in the index the reaper lists stalled workflows from. */
  async putWorkflow(workflow: WorkflowItem): Promise<void> {
    await this.db.send(new PutCommand(this.workflowPut(workflow).Put!));
  }

  /** putWorkflow's write, for a transaction (beside the idempotency key's record). */
  workflowPut(workflow: WorkflowItem): TransactWriteItem {
    return {
      Put: {
        TableName: this.jobs,
        Item: { ...workflow, [STATUS_SHARD_ATTRIBUTE]: openKey(workflow.workflowId) },
        ConditionExpression: 'attribute_not_exists(id)',
      },
    };
  }

  async getWorkflow(workflowId: string): Promise<WorkflowItem | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.jobs, Key: { id: workflowItemId(workflowId) }, ConsistentRead: true }),
    );
    return Item as WorkflowItem | undefined;
  }

  async getStep(workflowId: string, name: string): Promise<StepItem | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.jobs, Key: { id: stepItemId(workflowId, name) }, ConsistentRead: true }),
    );
    return Item as StepItem | undefined;
  }

  /** The named steps, in the order named. `consistent` for decisions, not for views. */
  async getSteps(workflowId: string, names: string[], { consistent = false } = {}): Promise<StepItem[]> {
    const items = (await batchGet(
      this.db,
      this.jobs,
      'id',
      names.map((name) => stepItemId(workflowId, name)),
      consistent,
    )) as StepItem[];
    const byName = new Map(items.map((step) => [step.name, step]));
    return names.flatMap((name) => byName.get(name) ?? []);
  }

  /** Moves a step to `to` from any status the lifecycle allows; false when it had moved elsewhere. */
  setStepStatus(workflowId: string, name: string, to: StepStatus, now: string): Promise<boolean> {
    return writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.jobs,
          Key: { id: stepItemId(workflowId, name) },
          UpdateExpression: 'SET #status = :to, updatedAt = :now',
          ...fromStatuses(stepStatusesBefore(to), { ':to': to, ':now': now }),
        }),
      ),
    );
  }

  /**
   * Records that step `name` is terminal and its end passed on: the workflow as written, whose
   * `doneSteps` tells the caller whether this was the last step.
   */
  async markDone(workflowId: string, name: string, now: string): Promise<WorkflowItem> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.jobs,
        Key: { id: workflowItemId(workflowId) },
        UpdateExpression: 'ADD doneSteps :name SET updatedAt = :now',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':name': new Set([name]), ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as WorkflowItem;
  }

  /**
   * Tells step `child` that its parent `parent` is terminal (failed unless `succeeded`): an ADD to
   * a set of names, so telling it twice counts once. The child as written: whoever gets its set
   * back full starts it. `join`: the join telling it on its spawning step's behalf, recorded
   * beside (`joinedParents`) so the child's job reads the join's outcome as that parent's.
   */
  async tellChild(workflowId: string, child: string, parent: string, succeeded: boolean, now: string, join?: string) {
    const added = ['finishedParents :parent', ...(succeeded ? [] : ['failedParents :parent'])];
    if (join !== undefined) added.push('joinedParents :joined');
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.jobs,
        Key: { id: stepItemId(workflowId, child) },
        UpdateExpression: `ADD ${added.join(', ')} SET updatedAt = :now`,
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: {
          ':parent': new Set([parent]),
          ':now': now,
          ...(join !== undefined && { ':joined': new Set([joinedParent(parent, join)]) }),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as StepItem;
  }

  /**
   * Creates a step's job in one transaction with the step's move to STARTED, provided the step is
   * PENDING and its workflow open and not being cancelled. The job's id is derived, so a second
   * creation fails on `attribute_not_exists(id)` and writes nothing.
   */
  async startStep(job: Job, workflowId: string, name: string, now: string): Promise<StartOutcome> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.jobs, Item: jobItem(job), ConditionExpression: 'attribute_not_exists(id)' } },
            {
              Update: {
                TableName: this.jobs,
                Key: { id: stepItemId(workflowId, name) },
                UpdateExpression: 'SET #status = :to, updatedAt = :now',
                ...fromStatuses(stepStatusesBefore('STARTED'), { ':to': 'STARTED', ':now': now }),
              },
            },
            {
              ConditionCheck: {
                TableName: this.jobs,
                Key: { id: workflowItemId(workflowId) },
                ConditionExpression: '#status = :running AND attribute_not_exists(cancelRequested)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':running': 'RUNNING' },
              },
            },
          ],
        }),
      );
      return 'started';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = (error.CancellationReasons ?? []).map((reason) => reason.Code === 'ConditionalCheckFailed');
      if (failed[0]) return 'jobExists';
      if (failed[1]) return 'stepMoved';
      if (failed[2]) return 'workflowClosed';
      throw error;
    }
  }

  /** Ends an open workflow; false when it had ended already. Leaves the index of open workflows. */
  finish(workflowId: string, status: Exclude<WorkflowStatus, 'RUNNING'>, now: string): Promise<boolean> {
    return writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.jobs,
          Key: { id: workflowItemId(workflowId) },
          UpdateExpression: `SET #status = :to, updatedAt = :now, finishedAt = :now REMOVE ${STATUS_SHARD_ATTRIBUTE}`,
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': status, ':now': now, ':running': 'RUNNING' },
        }),
      ),
    );
  }

  /** Flags an open workflow cancelled: no step starts after this write. False when it had ended. */
  requestCancel(workflowId: string, now: string): Promise<boolean> {
    return writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.jobs,
          Key: { id: workflowItemId(workflowId) },
          UpdateExpression: 'SET cancelRequested = :yes, updatedAt = :now',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':yes': true, ':now': now, ':running': 'RUNNING' },
        }),
      ),
    );
  }

  /** Marks an open workflow checked now, so the reaper looks at it again only a grace period later. */
  async touch(workflowId: string, now: string): Promise<void> {
    await writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.jobs,
          Key: { id: workflowItemId(workflowId) },
          UpdateExpression: 'SET updatedAt = :now',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':running': 'RUNNING' },
        }),
      ),
    );
  }

  /** Up to `limit` open workflows per index shard unchanged since `before` (ISO), oldest first. */
  async stalled(before: string, limit: number): Promise<WorkflowItem[]> {
    const pages = await Promise.all(
      OPEN_WORKFLOW_KEYS.map((key) =>
        this.db.send(
          new QueryCommand({
            TableName: this.jobs,
            IndexName: BY_STATUS_INDEX,
            KeyConditionExpression: `${STATUS_SHARD_ATTRIBUTE} = :key AND updatedAt < :before`,
            ExpressionAttributeValues: { ':key': key, ':before': before },
            Limit: limit,
          }),
        ),
      ),
    );
    return pages.flatMap((page) => (page.Items ?? []) as WorkflowItem[]);
  }
}

/** The condition `status IN (from)` with its names and values, beside `values` of the update. */
function fromStatuses(from: readonly string[], values: Record<string, unknown>) {
  const placeholders = from.map((_, i) => `:from${i}`);
  return {
    ConditionExpression: `#status IN (${placeholders.join(', ')})`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ...values, ...Object.fromEntries(from.map((status, i) => [`:from${i}`, status])) },
  };
}
