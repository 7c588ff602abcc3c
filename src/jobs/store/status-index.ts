import { paginateQuery, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_TENANT, type Job } from '../model/index.ts';
import type { JobTables } from './job-tables.ts';
import { STATUS_SHARD_ATTRIBUTE } from './status-key.ts';

/**
 * Name of the jobs table's sparse index by `status#capacity#priority#shard` (see status-key.ts and
 * infra/store.ts); `byStatus`, keyed on every status, is the index it replaces (docs/migration.md).
 */
export const BY_STATUS_INDEX = 'byStatusShard';

/**
 * One page of jobs under one key of the `byStatusShard` index, oldest change first. With `tenant`,
 * only that tenant's jobs: DynamoDB filters after it reads `limit` items, so a page may hold fewer
 * (even none) and still have a next key.
 */
export async function listByStatus(
  t: JobTables,
  key: string,
  limit: number,
  startKey?: Record<string, unknown>,
  tenant?: string,
): Promise<{ jobs: Job[]; nextKey?: Record<string, unknown> }> {
  const { Items = [], LastEvaluatedKey } = await t.db.send(
    new QueryCommand({
      TableName: t.jobs,
      IndexName: BY_STATUS_INDEX,
      KeyConditionExpression: `${STATUS_SHARD_ATTRIBUTE} = :key`,
      ExpressionAttributeValues: { ':key': key, ...(tenant !== undefined && { ':tenant': tenant }) },
      ...(tenant !== undefined && {
        // Jobs written before tenants existed have none, and are the default tenant's.
        FilterExpression:
          tenant === DEFAULT_TENANT ? 'attribute_not_exists(#tenant) OR #tenant = :tenant' : '#tenant = :tenant',
        ExpressionAttributeNames: { '#tenant': 'tenant' },
      }),
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { jobs: Items as Job[], nextKey: LastEvaluatedKey };
}

/**
 * Up to `limit` jobs under one key of the `byStatusShard` index unchanged since `before`
 * (ISO time), oldest first; with `dueBefore`, only those whose `runAt` is before it too. The
 * reaper's view of jobs that should have moved on by now.
 */
export async function unchangedSince(
  t: JobTables,
  key: string,
  before: string,
  limit: number,
  dueBefore?: string,
): Promise<Job[]> {
  const jobs: Job[] = [];
  const pages = byStatusPages(t, {
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

/** Number of jobs under one key of the `byStatusShard` index. */
export async function countByStatus(t: JobTables, key: string): Promise<number> {
  let count = 0;
  const pages = byStatusPages(t, {
    KeyConditionExpression: `${STATUS_SHARD_ATTRIBUTE} = :key`,
    ExpressionAttributeValues: { ':key': key },
    Select: 'COUNT',
  });
  for await (const page of pages) count += page.Count ?? 0;
  return count;
}

/** Every page of a query of the `byStatusShard` index (the SDK's paginator follows LastEvaluatedKey). */
function byStatusPages(t: JobTables, query: Omit<QueryCommandInput, 'TableName' | 'IndexName'>) {
  return paginateQuery({ client: t.db }, { TableName: t.jobs, IndexName: BY_STATUS_INDEX, ...query });
}
