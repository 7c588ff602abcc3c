import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Job, Lease } from './job.ts';
import { assertTransition, type JobStatus } from './lifecycle.ts';

/** What a caller may change alongside a status change. */
export type JobPatch = Partial<Omit<Job, 'id' | 'status' | 'version' | 'statusKey' | 'updatedAt'>>;

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
   * Moves a job from the status it was read in to `to`, with `patch`, if nobody changed it since
   * (`version`). Returns the job as written.
   */
  async transition(job: Job, to: JobStatus, patch: JobPatch = {}, remove: (keyof Job)[] = []): Promise<Job> {
    assertTransition(job.status, to);
    const now = new Date().toISOString();
    const next: Job = { ...job, ...patch, status: to, version: job.version + 1, updatedAt: now };
    for (const attribute of remove) delete next[attribute];

    const set: Record<string, unknown> = { ...patch, status: to, version: next.version, updatedAt: now, statusKey: statusKey(next) };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':from': job.status, ':seen': job.version };
    const assignments = Object.entries(set).map(([attribute, value], i) => {
      names[`#s${i}`] = attribute;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    const removals = remove.map((attribute, i) => {
      names[`#r${i}`] = attribute;
      return `#r${i}`;
    });
    names['#status'] = 'status';
    names['#version'] = 'version';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { id: job.id },
          UpdateExpression: `SET ${assignments.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: '#status = :from AND #version = :seen',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleJobError(job.id);
      throw error;
    }
    return next;
  }

  /**
   * Extends the lease of a running attempt. Not a transition: it leaves `version` alone, so a
   * heartbeat never makes the holder's own completion look stale. Fails when the lease was lost.
   */
  async renewLease(job: Job, lease: Lease): Promise<Pick<Job, 'status'>> {
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
