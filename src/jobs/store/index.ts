export { batchGet } from './batch-get.ts';
export { conditionFailedAt, writtenIf } from './conditional-write.ts';
export type { CreateManyOutcome } from './create-many.ts';
export { changeCurrentJob } from './current-job.ts';
export type { CreateOutcome, IdempotencyRecord, KeyedOutcome, KeyRecord, NewJobItem } from './idempotency.ts';
export { JobStore } from './job-store.ts';
export type { TransactWriteItem } from './job-tables.ts';
export { RateWindows } from './rate-windows.ts';
export { Semaphores } from './semaphores.ts';
export { BY_STATUS_INDEX } from './status-index.ts';
export { backfillStatusIndex } from './status-index-backfill.ts';
export {
  heldKey,
  INDEXED_STATUSES,
  type IndexedStatus,
  isIndexedStatus,
  jobItem,
  STATUS_SHARD_ATTRIBUTE,
  STATUS_SHARDS,
  shardOf,
  statusShardKey,
  statusShardKeys,
} from './status-key.ts';
export { pageByStatus, type StatusPage, type StatusPageQuery } from './status-pages.ts';
export { MAX_NEXT, split as splitPlaces, type TenantWindow, TenantWindows, type WindowKey } from './tenant-windows.ts';
export type { TransitionChange } from './transitions.ts';
export { Turns } from './turns.ts';
