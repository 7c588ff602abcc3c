import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { retryLeftovers } from '../../aws/retries.ts';
import {
  type AttemptRecord,
  assertTransition,
  type Job,
  type JobStatus,
  type Lease,
  type ProgressReport,
  type Speculation,
  StaleJobError,
} from '../model/index.ts';
import { type CreateManyOutcome, createMany } from './create-many.ts';
import {
  type CreateOutcome,
  type IdempotencyRecord,
  keyedJobWrites,
  type NewJobItem,
  type TransactWriteItem,
  takenKey,
} from './idempotency.ts';
import { jobItem, STATUS_SHARD_ATTRIBUTE, statusShardKey } from './status-key.ts';
import { UpdateExpressionBuilder } from './update-expression.ts';

const isConflict = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  error.CancellationReasons?.some((reason) => reason.Code === 'TransactionConflict') === true;

/** What a caller may change alongside a status change. */
export type JobPatch = Partial<Omit<Job, 'id' | 'status' | 'version' | 'updatedAt'>>;

export interface TransitionChange {
  set?: JobPatch;
  remove?: (keyof Job)[];
  alsoWrite?: TransactWriteItem[];
  /** Fields to set on attempt records, by position in the attempt log. */
  attemptUpdates?: { index: number; fields: Partial<AttemptRecord> }[];
  /** Settling a running job: the write holds while this attempt (lease key) still holds its lease. */
  holder?: string;
}

/**
 * Name of the jobs table's sparse index by `status#capacity#priority#shard` (see status-key.ts and
 * infra/store.ts); `byStatus`, keyed on every status, is the index it replaces (docs/migration.md).
 */
export const BY_STATUS_INDEX = 'byStatusShard';

const TRANSACTION_TRIES = 5;
/** BatchGetItem takes 100 keys; keys DynamoDB leaves unprocessed are asked for again this many times. */
const BATCH_GET_SIZE = 100;
const BATCH_GET_TRIES = 5;

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
    if (!idempotency) {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.jobs,
          Item: jobItem(job),
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return { created: true };
    }
    try {
      const { left, error } = await retryLeftovers(
        [idempotency],
        async () => {
          await this.db.send(
            new TransactWriteCommand({ TransactItems: keyedJobWrites(this.tables, job, idempotency) }),
          );
          return [];
        },
        // Concurrent requests with one key collide as TransactionConflict: once the winner commits,
        // a retry finds its record.
        { tries: TRANSACTION_TRIES, pauseMs: 10, retryable: (e) => !takenKey(e, 1)?.record && isConflict(e) },
      );
      if (left.length > 0) throw error;
      return { created: true };
    } catch (error) {
      const existing = takenKey(error, 1)?.record;
      if (existing) return { created: false, existing };
      throw error;
    }
  }

  /** Writes many new jobs in few requests (see createMany): one outcome per item, in order. */
  createMany(items: NewJobItem[]): Promise<CreateManyOutcome[]> {
    return createMany(this.db, this.tables, items);
  }

  /** The record an idempotency key points at, if the key was used. */
  async idempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tables.idempotency, Key: { key }, ConsistentRead: true }),
    );
    return Item as IdempotencyRecord | undefined;
  }

  /**
   * Moves a job from the status it was read in to `to`, applying `change`. The write holds only if
   * nobody changed the job since it was read (`version`), or, for an attempt settling a running
   * job, if that attempt still holds its lease (`change.holder`): a job may run two attempts at
   * once (speculation), and whichever settles first wins. Writes in `change.alsoWrite` (a
   * handler's side effects) commit in the same transaction. Returns the job as written.
   */
  async transition(job: Job, to: JobStatus, change: TransitionChange = {}): Promise<Job> {
    assertTransition(job.status, to);
    const { set = {}, remove = [], alsoWrite = [], attemptUpdates = [], holder } = change;
    const now = new Date().toISOString();
    const attemptLog = (set.attemptLog ?? job.attemptLog).map((record, i) => {
      const update = attemptUpdates.find((u) => u.index === i);
      return update ? { ...record, ...update.fields } : record;
    });
    const next: Job = { ...job, ...set, attemptLog, status: to, version: job.version + 1, updatedAt: now };
    for (const attribute of remove) delete next[attribute];

    const update = new UpdateExpressionBuilder();
    // A caller replacing the whole log (a claim, under the version it read) writes it with its record
    // updates applied: DynamoDB refuses an update that sets a list and a path inside it.
    const written = set.attemptLog === undefined ? set : { ...set, attemptLog };
    // Leaving an indexed status removes the index key: absent keys cost the index nothing.
    for (const [attribute, value] of Object.entries({
      ...written,
      status: to,
      updatedAt: now,
      [STATUS_SHARD_ATTRIBUTE]: statusShardKey(next),
    })) {
      // An undefined field (a handler that returned nothing) is removed, not written as a missing value.
      if (value === undefined) update.remove([attribute]);
      else update.set([attribute], value);
    }
    // Otherwise attempt records are updated in place by index (the log only grows), so two attempts
    // settling around the same time never overwrite each other's records.
    if (set.attemptLog === undefined)
      for (const { index, fields } of attemptUpdates) setRecordFields(update, index, fields);
    update.add('version', 1);
    for (const attribute of remove) update.remove([attribute]);
    update.when(
      update.equals('status', job.status),
      holder === undefined ? update.equals('version', job.version) : update.exists(['leases', holder]),
    );
    const write = { TableName: this.tables.jobs, Key: { id: job.id }, ...update.build() };
    const sent = await this.unlessStale<unknown>(
      alsoWrite.length === 0
        ? this.db.send(new UpdateCommand(write))
        : this.db.send(new TransactWriteCommand({ TransactItems: [{ Update: write }, ...alsoWrite] })),
    );
    if (sent === undefined) throw new StaleJobError(job.id);
    return next;
  }

  /**
   * Starts a waiting job without reading it first (a worker's claim from the job's message): one of
   * `from` → RUNNING with its next attempt, provided it has made `attempts` attempts and is due at
   * `start.at`. Returns the job as written; when the condition fails, the job as it is instead
   * (undefined when DynamoDB returned none: no job, or not returned), so the caller decides
   * without a second read.
   */
  async startUnread(
    id: string,
    from: readonly JobStatus[],
    attempts: number,
    start: { at: string; leases: Record<string, Lease>; record: AttemptRecord },
  ): Promise<{ started: Job } | { current: Job | undefined }> {
    for (const status of from) assertTransition(status, 'RUNNING');
    const update = new UpdateExpressionBuilder()
      .set('status', 'RUNNING')
      .set('attempts', attempts + 1)
      .set('leases', start.leases)
      .setIfMissing('startedAt', start.at)
      .append('attemptLog', [start.record])
      .set('updatedAt', start.at)
      .add('version', 1)
      .remove('runAt')
      .remove('speculation')
      .remove(STATUS_SHARD_ATTRIBUTE);
    update.when(
      update.isOneOf('status', from),
      update.equals('attempts', attempts),
      update.anyOf(update.notExists('runAt'), update.atMost('runAt', start.at)),
    );
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { id },
          ...update.build(),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { started: Attributes as Job };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The item that failed the condition comes with the error; none when there is no job (or an
      // emulator leaves it out): the caller reads then, once, with its own waits for a missing job.
      return { current: error.Item ? (unmarshall(error.Item) as Job) : undefined };
    }
  }

  /**
   * Ends one attempt of a job that keeps running on another attempt (its speculative twin):
   * removes the attempt's lease and closes its record, without a status change.
   */
  async dropAttempt(job: Job, holder: string, index: number, fields: Partial<AttemptRecord>): Promise<void> {
    const update = new UpdateExpressionBuilder();
    setRecordFields(update, index, fields);
    update.remove(['leases', holder]).when(update.equals('status', 'RUNNING'), update.exists(['leases', holder]));
    await this.updateOrStale(job, update);
  }

  /**
   * Flags a running job for cancellation; its worker sees the flag on its next heartbeat. Not a
   * transition: the job stays RUNNING until the worker settles it.
   */
  async requestCancel(job: Job): Promise<Job> {
    const update = new UpdateExpressionBuilder().set('cancelRequested', true);
    await this.updateOrStale(
      job,
      update.when(update.equals('status', 'RUNNING'), update.equals('version', job.version)),
    );
    return { ...job, cancelRequested: true };
  }

  /** Jobs by id, in no particular order; ids without a job are left out. Eventually consistent: for views, not decisions. */
  async getMany(ids: string[]): Promise<Job[]> {
    return (await this.batchGet(this.tables.jobs, 'id', ids, false)) as Job[];
  }

  /** The records of those of `keys` that were used, in no particular order. */
  async idempotencyRecords(keys: string[]): Promise<IdempotencyRecord[]> {
    return (await this.batchGet(this.tables.idempotency, 'key', keys, true)) as IdempotencyRecord[];
  }

  /** Items by key in BatchGetItem requests of 100 keys, asking again for those DynamoDB left unprocessed. */
  private async batchGet(table: string, keyName: string, values: string[], consistent: boolean): Promise<unknown[]> {
    const items: unknown[] = [];
    const unique = [...new Set(values)];
    for (let start = 0; start < unique.length; start += BATCH_GET_SIZE) {
      const { left } = await retryLeftovers(
        unique.slice(start, start + BATCH_GET_SIZE).map((v) => ({ [keyName]: v })),
        async (keys) => {
          const { Responses = {}, UnprocessedKeys = {} } = await this.db.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: [...keys], ConsistentRead: consistent } } }),
          );
          items.push(...(Responses[table] ?? []));
          return UnprocessedKeys[table]?.Keys ?? [];
        },
        { tries: BATCH_GET_TRIES, retryable: () => false },
      );
      if (left.length > 0) throw new Error(`DynamoDB left reads of ${table} unprocessed`);
    }
    return items;
  }

  /** One page of jobs under one key of the `byStatusShard` index, oldest change first. */
  async listByStatus(
    key: string,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ jobs: Job[]; nextKey?: Record<string, unknown> }> {
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tables.jobs,
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: `${STATUS_SHARD_ATTRIBUTE} = :key`,
        ExpressionAttributeValues: { ':key': key },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { jobs: Items as Job[], nextKey: LastEvaluatedKey };
  }

  /**
   * Asks for a speculative backup of a running job: at most one per running period, unless an
   * earlier request was never picked up by a worker before `staleBefore`.
   */
  async requestSpeculation(job: Job, speculation: Speculation, staleBefore: number): Promise<boolean> {
    const update = new UpdateExpressionBuilder().set('speculation', speculation);
    return this.updateIf(
      job,
      update.when(
        update.equals('status', 'RUNNING'),
        update.exists(['leases', speculation.against]),
        update.anyOf(
          update.notExists('speculation'),
          update.allOf(
            update.lessThan('speculation.requestedAt', staleBefore),
            update.notExists('speculation.claimedBy'),
          ),
        ),
      ),
    );
  }

  /** Records that capacity was requested for a backup nobody took; true for the one caller that did it. */
  async markCapacityRequested(job: Job, now: number): Promise<boolean> {
    const update = new UpdateExpressionBuilder().set('speculation.capacityRequestedAt', now);
    return this.updateIf(
      job,
      update.when(
        update.equals('status', 'RUNNING'),
        update.exists('speculation'),
        update.notExists('speculation.claimedBy'),
        update.notExists('speculation.capacityRequestedAt'),
      ),
    );
  }

  /**
   * Up to `limit` jobs under one key of the `byStatusShard` index unchanged since `before`
   * (ISO time), oldest first; with `dueBefore`, only those whose `runAt` is before it too. The
   * reaper's view of jobs that should have moved on by now.
   */
  async unchangedSince(key: string, before: string, limit: number, dueBefore?: string): Promise<Job[]> {
    const jobs: Job[] = [];
    const pages = this.byStatusPages({
      KeyConditionExpression: `${STATUS_SHARD_ATTRIBUTE} = :key AND updatedAt < :before`,
      ...(dueBefore === undefined
        ? { ExpressionAttributeValues: { ':key': key, ':before': before } }
        : {
            FilterExpression: 'runAt < :due',
            ExpressionAttributeValues: { ':key': key, ':before': before, ':due': dueBefore },
          }),
    });
    for await (const page of pages) {
      jobs.push(...((page.Items ?? []) as Job[]));
      if (jobs.length >= limit) break;
    }
    return jobs.slice(0, limit);
  }

  /**
   * Records that the reaper sends a stuck job a fresh message: true for the one caller that may,
   * provided the job is as read and was not re-dispatched since `staleBefore` (epoch ms). Not a
   * transition: the job keeps its status and version, so a worker's claim never conflicts with it.
   */
  async markRedispatched(job: Job, now: number, staleBefore: number): Promise<boolean> {
    const update = new UpdateExpressionBuilder().set('redispatchedAt', now).increment('redispatches');
    return this.updateIf(
      job,
      update.when(
        update.equals('status', job.status),
        update.equals('version', job.version),
        update.anyOf(update.notExists('redispatchedAt'), update.lessThan('redispatchedAt', staleBefore)),
      ),
    );
  }

  /** Counts one more of the job's messages reaching an SQS dead-letter queue; false if the job moved since it was read. */
  async countDeadLetterReturn(job: Job): Promise<boolean> {
    const update = new UpdateExpressionBuilder().increment('deadLetterReturns');
    return this.updateIf(job, update.when(update.equals('status', job.status), update.equals('version', job.version)));
  }

  /** Number of jobs under one key of the `byStatusShard` index. */
  async countByStatus(key: string): Promise<number> {
    let count = 0;
    const pages = this.byStatusPages({
      KeyConditionExpression: `${STATUS_SHARD_ATTRIBUTE} = :key`,
      ExpressionAttributeValues: { ':key': key },
      Select: 'COUNT',
    });
    for await (const page of pages) count += page.Count ?? 0;
    return count;
  }

  /** Every page of a query of the `byStatusShard` index (the SDK's paginator follows LastEvaluatedKey). */
  private byStatusPages(query: Omit<QueryCommandInput, 'TableName' | 'IndexName'>) {
    return paginateQuery({ client: this.db }, { TableName: this.tables.jobs, IndexName: BY_STATUS_INDEX, ...query });
  }

  /**
   * Closes an attempt's record after the job moved on without it (its twin won, or another worker
   * took over). Not a transition: it only fills the record, and only if nobody closed it yet.
   */
  async closeAttempt(job: Job, index: number, claimId: string, fields: Partial<AttemptRecord>): Promise<void> {
    const update = new UpdateExpressionBuilder();
    setRecordFields(update, index, fields);
    // A record already closed (e.g. marked lost by the worker that took the job over) stays as it is.
    update.when(
      update.equals(['attemptLog', index, 'claimId'], claimId),
      update.notExists(['attemptLog', index, 'outcome']),
    );
    await this.updateIf(job, update);
  }

  /** A conditional update of the job's item; false when its condition did not hold. */
  private async updateIf(job: Pick<Job, 'id'>, update: UpdateExpressionBuilder): Promise<boolean> {
    const written = await this.unlessStale(
      this.db.send(new UpdateCommand({ TableName: this.tables.jobs, Key: { id: job.id }, ...update.build() })),
    );
    return written !== undefined;
  }

  /** A conditional update that the caller's view of the job depends on: StaleJobError when it fails. */
  private async updateOrStale(job: Pick<Job, 'id'>, update: UpdateExpressionBuilder): Promise<void> {
    if (!(await this.updateIf(job, update))) throw new StaleJobError(job.id);
  }

  /**
   * Awaits a write whose condition is on the job's item (alone, or first in a transaction):
   * undefined when that condition failed, i.e. the job is no longer as the caller read it.
   */
  private async unlessStale<T>(write: Promise<T>): Promise<T | undefined> {
    try {
      return await write;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      )
        return undefined;
      throw error;
    }
  }

  /**
   * The heartbeat: extends one attempt's lease and records its progress. Not a transition: it
   * leaves `version` alone. Fails with StaleJobError when the attempt no longer holds its lease
   * (the job finished on another attempt, or was taken over); returns the job as it is now, so
   * the worker also sees cancellation requests.
   */
  async heartbeat(job: Job, holder: string, expiresAt: number, progress: ProgressReport | undefined): Promise<Job> {
    const update = new UpdateExpressionBuilder()
      .set(['leases', holder, 'expiresAt'], expiresAt)
      .set(['leases', holder, 'heartbeatAt'], Date.now());
    if (progress !== undefined)
      update.set(['leases', holder, 'progress'], progress.fraction).set(['leases', holder, 'progressAt'], progress.at);
    if (progress?.rate !== undefined) update.set(['leases', holder, 'progressRate'], progress.rate);
    update.when(update.equals('status', 'RUNNING'), update.exists(['leases', holder]));
    const written = await this.unlessStale(
      this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { id: job.id },
          ...update.build(),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (written === undefined) throw new StaleJobError(job.id);
    return written.Attributes as Job;
  }
}

/** Sets an attempt record's defined fields in place, by its position in the attempt log. */
function setRecordFields(update: UpdateExpressionBuilder, index: number, fields: Partial<AttemptRecord>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value !== undefined) update.set(['attemptLog', index, field], value);
  }
}
