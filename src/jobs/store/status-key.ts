import { type Capacity, type Job, type JobStatus, type Priority, tenantOf } from '../model/index.ts';

/**
 * The statuses the `byStatusShard` index holds: those the reaper and the API list (scheduled and
 * retrying jobs waiting for their time, dead jobs waiting for a person). The happy path — QUEUED,
 * RUNNING, SUCCEEDED — carries no key, so it never writes the index: queued jobs are the queues'
 * messages, running ones the workers' reports (docs/cost.md).
 */
export const INDEXED_STATUSES = ['SCHEDULED', 'RETRYING', 'DEAD'] as const satisfies readonly JobStatus[];
export type IndexedStatus = (typeof INDEXED_STATUSES)[number];

/**
 * Each `status#capacity#priority` is split this many ways by job id, so no index partition takes
 * the writes of a whole queue (a retry storm, a mass failure) past DynamoDB's 1,000 units/s per key.
 */
export const STATUS_SHARDS = 8;

/** Attribute holding an indexed job's index key; jobs in other statuses have none. */
export const STATUS_SHARD_ATTRIBUTE = 'statusShard';

/** Every index key of one queue's jobs in `status`, in shard order (a list cursor names one by its place). */
export function statusShardKeys(status: IndexedStatus, capacity: Capacity, priority: Priority): string[] {
  return Array.from({ length: STATUS_SHARDS }, (_, shard) => `${status}#${capacity}#${priority}#${shard}`);
}

/**
 * The index key of a tenant's held jobs in one queue (src/jobs/fairness): one partition per tenant
 * and queue, oldest change first, so a release takes the tenant's oldest held job. Not sharded: a
 * partition takes at most the writes of one tenant's releases, which its window paces.
 */
export const heldKey = (capacity: Capacity, priority: Priority, tenant: string): string =>
  `HELD#${capacity}#${priority}#${tenant}`;

export function isIndexedStatus(status: JobStatus): status is IndexedStatus {
  return (INDEXED_STATUSES as readonly JobStatus[]).includes(status);
}

/** The job's index key in its current status, or undefined for the statuses the index leaves out. */
export function statusShardKey(
  job: Pick<Job, 'id' | 'status' | 'capacity' | 'priority' | 'tenant'>,
): string | undefined {
  if (job.status === 'HELD') return heldKey(job.capacity, job.priority, tenantOf(job));
  if (!isIndexedStatus(job.status)) return undefined;
  return statusShardKeys(job.status, job.capacity, job.priority)[shardOf(job.id)];
}

/** The item a new job is written as: the job, and its index key when its status is indexed. */
export function jobItem(job: Job): Job & { [STATUS_SHARD_ATTRIBUTE]?: string } {
  const key = statusShardKey(job);
  return key === undefined ? job : { ...job, [STATUS_SHARD_ATTRIBUTE]: key };
}

/** FNV-1a of the id: stable across processes and spread evenly over random UUIDs. */
export function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % STATUS_SHARDS;
}
