import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AttemptRecord, Job, JobStatus, Lease, ProgressReport, Speculation } from '../model/index.ts';
import { closeAttempt, dropAttempt, heartbeat } from './attempt-writes.ts';
import { batchGet } from './batch-get.ts';
import { type CreateManyOutcome, createMany } from './create-many.ts';
import {
  type CreateOutcome,
  createJob,
  createKeyed,
  type IdempotencyRecord,
  idempotencyRecord,
  idempotencyRecords,
  type KeyedOutcome,
  type KeyRecord,
  type NewJobItem,
} from './idempotency.ts';
import {
  countDeadLetterReturn,
  markCapacityRequested,
  markRedispatched,
  requestCancel,
  requestSpeculation,
} from './job-marks.ts';
import type { JobTables, TransactWriteItem } from './job-tables.ts';
import { countByStatus, listByStatus, unchangedSince } from './status-index.ts';
import { startUnread, type TransitionChange, transition } from './transitions.ts';

/**
 * DynamoDB adapter for the jobs and idempotency tables: one object for the rest of the system,
 * with each concern in its own module (transitions, attempt writes, marks that are not
 * transitions, the status index, idempotency), where each method's contract is documented.
 */
export class JobStore {
  private readonly t: JobTables;

  constructor(db: DynamoDBDocumentClient, tables: { jobs: string; idempotency: string }) {
    this.t = { db, ...tables };
  }

  async get(id: string): Promise<Job | undefined> {
    const { Item } = await this.t.db.send(
      new GetCommand({ TableName: this.t.jobs, Key: { id }, ConsistentRead: true }),
    );
    return Item as Job | undefined;
  }

  /** Jobs by id, in no order; missing ones left out. `consistent`: strongly consistent reads (twice the read units). */
  async getMany(ids: string[], { consistent = false } = {}): Promise<Job[]> {
    return (await batchGet(this.t.db, this.t.jobs, 'id', ids, consistent)) as Job[];
  }

  // Idempotency (idempotency.ts, create-many.ts)

  create(job: Job, idempotency?: IdempotencyRecord, alongside?: TransactWriteItem[]): Promise<CreateOutcome> {
    return createJob(this.t, job, idempotency, alongside);
  }

  /** Another item (a workflow) with the record of the key that created it (idempotency.ts, createKeyed). */
  createKeyed<R extends KeyRecord>(put: TransactWriteItem, record: R): Promise<KeyedOutcome> {
    return createKeyed(this.t, put, record);
  }

  createMany(items: NewJobItem[]): Promise<CreateManyOutcome[]> {
    return createMany(this.t, items);
  }

  idempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    return idempotencyRecord(this.t, key);
  }

  idempotencyRecords(keys: string[]): Promise<IdempotencyRecord[]> {
    return idempotencyRecords(this.t, keys);
  }

  // Transitions (transitions.ts)

  transition(job: Job, to: JobStatus, change?: TransitionChange): Promise<Job> {
    return transition(this.t, job, to, change);
  }

  startUnread(
    id: string,
    from: readonly JobStatus[],
    attempts: number,
    start: { at: string; leases: Record<string, Lease>; record: AttemptRecord },
  ): Promise<{ started: Job } | { current: Job | undefined }> {
    return startUnread(this.t, id, from, attempts, start);
  }

  // Attempt writes (attempt-writes.ts)

  heartbeat(job: Job, holder: string, expiresAt: number, progress: ProgressReport | undefined): Promise<Job> {
    return heartbeat(this.t, job, holder, expiresAt, progress);
  }

  dropAttempt(job: Job, holder: string, index: number, fields: Partial<AttemptRecord>): Promise<void> {
    return dropAttempt(this.t, job, holder, index, fields);
  }

  closeAttempt(job: Job, index: number, claimId: string, fields: Partial<AttemptRecord>): Promise<void> {
    return closeAttempt(this.t, job, index, claimId, fields);
  }

  // Marks that are not transitions (job-marks.ts)

  requestCancel(job: Job): Promise<Job> {
    return requestCancel(this.t, job);
  }

  requestSpeculation(job: Job, speculation: Speculation, staleBefore: number): Promise<boolean> {
    return requestSpeculation(this.t, job, speculation, staleBefore);
  }

  markCapacityRequested(job: Job, now: number): Promise<boolean> {
    return markCapacityRequested(this.t, job, now);
  }

  markRedispatched(job: Job, now: number, staleBefore: number): Promise<boolean> {
    return markRedispatched(this.t, job, now, staleBefore);
  }

  countDeadLetterReturn(job: Job): Promise<boolean> {
    return countDeadLetterReturn(this.t, job);
  }

  // The status index (status-index.ts)

  listByStatus(
    key: string,
    limit: number,
    startKey?: Record<string, unknown>,
    tenant?: string,
  ): Promise<{ jobs: Job[]; nextKey?: Record<string, unknown> }> {
    return listByStatus(this.t, key, limit, startKey, tenant);
  }

  unchangedSince(key: string, before: string, limit: number, dueBefore?: string): Promise<Job[]> {
    return unchangedSince(this.t, key, before, limit, dueBefore);
  }

  countByStatus(key: string): Promise<number> {
    return countByStatus(this.t, key);
  }
}
