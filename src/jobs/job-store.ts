import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Job, Lease } from './job.ts';
import { assertTransition, type JobStatus } from './lifecycle.ts';

/** What a caller may change alongside a status change. */
export type JobPatch = Partial<Omit<Job, 'id' | 'status' | 'version' | 'updatedAt'>>;

/** One write of another table, committed in the same transaction as a transition. */
export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface TransitionChange {
  set?: JobPatch;
  remove?: (keyof Job)[];
  alsoWrite?: TransactWriteItem[];
}

/** Name of the jobs table's index by `status#capacity#priority` (see infra/store.ts). */
export const BY_STATUS_INDEX = 'byStatus';

export interface IdempotencyRecord {
  key: string;
  jobId: string;
  requestHash: string;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
}

export type CreateOutcome =
  | { created: true }
  | { created: false; existing: IdempotencyRecord };

/** The stored status no longer matches what the caller read: someone else moved the job first. */
export class StaleJobError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} changed since it was read`);
    this.name = 'StaleJobError';
  }
}

/** Partition key of the `byStatus` index: lists jobs of one status, class and priority by age. */
export const statusKey = (job: Pick<Job, 'status' | 'capacity' | 'priority'>): string =>
  `${job.status}#${job.capacity}#${job.priority}`;

const TRANSACTION_CONFLICT_RETRIES = 5;

/** DynamoDB adapter for the jobs and idempotency tables. */
export class JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { jobs: string; idempotency: string },
  ) {}

  async get(id: string): Promise<Job | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tables.jobs, Key: { id }, ConsistentRead: true }),
    );
    return Item as Job | undefined;
  }

  /**
   * Writes a new job. With an idempotency record, job and record are written in one transaction,
   * so a key always points at a job that exists; when the key is taken, the existing record comes
   * back instead and nothing is written.
   */
  async create(job: Job, idempotency?: IdempotencyRecord): Promise<CreateOutcome> {
    const jobItem = { ...job, statusKey: statusKey(job) };
    if (!idempotency) {
      await this.db.send(
        new PutCommand({ TableName: this.tables.jobs, Item: jobItem, ConditionExpression: 'attribute_not_exists(id)' }),
      );
      return { created: true };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tables.jobs, Item: jobItem, ConditionExpression: 'attribute_not_exists(id)' } },
              {
                Put: {
                  TableName: this.tables.idempotency,
                  Item: idempotency,
                  ConditionExpression: 'attribute_not_exists(#key)',
                  ExpressionAttributeNames: { '#key': 'key' },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        );
        return { created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reason = error.CancellationReasons?.[1];
        if (reason?.Code === 'ConditionalCheckFailed' && reason.Item) {
          return { created: false, existing: unmarshall(reason.Item) as IdempotencyRecord };
        }
        // Concurrent requests with one key collide as TransactionConflict: once the winner commits,
        // a retry finds its record.
        const conflicted = error.CancellationReasons?.some((r) => r.Code === 'TransactionConflict');
        if (!conflicted || attempt >= TRANSACTION_CONFLICT_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * Math.random()));
      }
    }
  }

  /** Undoes `create` when the job could not be enqueued, so no half-written job stays behind. */
  async discard(job: Job): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tables.jobs, Key: { id: job.id } }));
    if (job.idempotencyKey) {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tables.idempotency,
          Key: { key: job.idempotencyKey },
          ConditionExpression: 'jobId = :jobId',
          ExpressionAttributeValues: { ':jobId': job.id },
        }),
      );
    }
  }

  /**
   * Moves a job from the status it was read in to `to` if nobody changed it since (`version`),
   * applying `change`. Writes in `change.alsoWrite` (a handler's side effects) commit in the same
   * transaction, so they happen exactly when the transition does. Returns the job as written.
   */
  async transition(job: Job, to: JobStatus, change: TransitionChange = {}): Promise<Job> {
    assertTransition(job.status, to);
    const { set = {}, remove = [], alsoWrite = [] } = change;
    const now = new Date().toISOString();
    const next: Job = { ...job, ...set, status: to, version: job.version + 1, updatedAt: now };
    for (const attribute of remove) delete next[attribute];

    const assigned: Record<string, unknown> = { ...set, status: to, version: next.version, updatedAt: now, statusKey: statusKey(next) };
    const names: Record<string, string> = { '#status': 'status', '#version': 'version' };
    const values: Record<string, unknown> = { ':from': job.status, ':seen': job.version };
    const assignments = Object.entries(assigned).map(([attribute, value], i) => {
      names[`#s${i}`] = attribute;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    const removals = remove.map((attribute, i) => {
      names[`#r${i}`] = attribute;
      return `#r${i}`;
    });
    const update = {
      TableName: this.tables.jobs,
      Key: { id: job.id },
      UpdateExpression: `SET ${assignments.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`,
      ConditionExpression: '#status = :from AND #version = :seen',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    try {
      if (alsoWrite.length === 0) await this.db.send(new UpdateCommand(update));
      else await this.db.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...alsoWrite] }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleJobError(job.id);
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        throw new StaleJobError(job.id);
      }
      throw error;
    }
    return next;
  }

  /**
   * Flags a running job for cancellation; its worker sees the flag on its next heartbeat. Not a
   * transition: the job stays RUNNING until the worker settles it.
   */
  async requestCancel(job: Job): Promise<Job> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { id: job.id },
          UpdateExpression: 'SET cancelRequested = :yes',
          ConditionExpression: '#status = :running AND #version = :seen',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: { ':yes': true, ':running': 'RUNNING', ':seen': job.version },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleJobError(job.id);
      throw error;
    }
    return { ...job, cancelRequested: true };
  }

  /** One page of jobs in one `status#capacity#priority` partition, oldest change first. */
  async listByStatus(key: string, limit: number, startKey?: Record<string, unknown>): Promise<{ jobs: Job[]; nextKey?: Record<string, unknown> }> {
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tables.jobs,
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: 'statusKey = :key',
        ExpressionAttributeValues: { ':key': key },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { jobs: Items as Job[], nextKey: LastEvaluatedKey };
  }

  /** Number of jobs in one `status#capacity#priority` partition. */
  async countByStatus(key: string): Promise<number> {
    let count = 0;
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tables.jobs,
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: 'statusKey = :key',
        ExpressionAttributeValues: { ':key': key },
        Select: 'COUNT',
      },
    );
    for await (const page of pages) count += page.Count ?? 0;
    return count;
  }

  /**
   * Extends the lease of a running attempt. Not a transition: it leaves `version` alone, so a
   * heartbeat never makes the holder's own completion look stale. Fails when the lease was lost.
   */
  async renewLease(job: Job, lease: Lease): Promise<Job> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { id: job.id },
          UpdateExpression: 'SET lease.expiresAt = :expiresAt',
          ConditionExpression: '#status = :running AND lease.workerId = :workerId AND lease.attempt = :attempt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':expiresAt': lease.expiresAt,
            ':running': 'RUNNING',
            ':workerId': lease.workerId,
            ':attempt': lease.attempt,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as Job;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleJobError(job.id);
      throw error;
    }
  }
}
