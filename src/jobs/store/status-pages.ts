import { z } from 'zod';
import { CAPACITIES, type Capacity, InvalidInputError, type Job, PRIORITIES, type Priority } from '../model/index.ts';
import type { JobStore } from './job-store.ts';
import { type IndexedStatus, statusShardKeys } from './status-key.ts';

/** Which jobs of one status a page covers, and where it starts: the API's list queries (`GET /dlq`, `GET /jobs`). */
export interface StatusPageQuery {
  capacity?: Capacity;
  priority?: Priority;
  /** Only this tenant's jobs. */
  tenant?: string;
  limit: number;
  /** Opaque: the `cursor` of the previous page of the same query. */
  cursor?: string;
}

export interface StatusPage {
  jobs: Job[];
  /** Where the next page starts; null on the last page. */
  cursor: string | null;
}

/** DynamoDB's LastEvaluatedKey of a `byStatusShard` query: the table's key and the index's. */
const IndexKeySchema = z.strictObject({ id: z.string().min(1), statusShard: z.string(), updatedAt: z.string().min(1) });
/** Position in a query: the index key's place in `indexKeys()` and, under it, DynamoDB's LastEvaluatedKey. */
const CursorSchema = z.object({ p: z.int().min(0), k: IndexKeySchema.optional() });
type Cursor = z.infer<typeof CursorSchema>;

/**
 * One page of the jobs in `status`, across the keys of the `byStatusShard` index the query covers.
 * Keys are read in turn (cpu before gpu, critical before low, shard by shard), each oldest change
 * first; the cursor says where the next page starts.
 */
export async function pageByStatus(
  store: Pick<JobStore, 'listByStatus'>,
  status: IndexedStatus,
  query: StatusPageQuery,
): Promise<StatusPage> {
  const keys = queues(query).flatMap(({ capacity, priority }) => statusShardKeys(status, capacity, priority));
  let position: Cursor | undefined = decodeCursor(query.cursor, keys);
  const jobs: Job[] = [];
  while (position && jobs.length < query.limit) {
    const page = await store.listByStatus(keys[position.p]!, query.limit - jobs.length, position.k, query.tenant);
    jobs.push(...page.jobs);
    position = page.nextKey
      ? { p: position.p, k: IndexKeySchema.parse(page.nextKey) }
      : position.p + 1 < keys.length
        ? { p: position.p + 1 }
        : undefined;
  }
  return { jobs, cursor: position ? Buffer.from(JSON.stringify(position)).toString('base64url') : null };
}

/** The queues a query covers, in a fixed order (a cursor names an index key by its place). */
function queues(query: { capacity?: Capacity; priority?: Priority }): { capacity: Capacity; priority: Priority }[] {
  return CAPACITIES.filter((c) => !query.capacity || c === query.capacity).flatMap((capacity) =>
    PRIORITIES.filter((p) => !query.priority || p === query.priority).map((priority) => ({ capacity, priority })),
  );
}

/**
 * A cursor this query handed out, or a 400: its index key must be one of the query's and its
 * start key under that index key, so a forged start key never reaches DynamoDB (which would answer a 500).
 */
function decodeCursor(cursor: string | undefined, partitionKeys: string[]): Cursor {
  if (cursor === undefined) return { p: 0 };
  try {
    const position = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (position.p < partitionKeys.length && (!position.k || position.k.statusShard === partitionKeys[position.p]))
      return position;
  } catch {
    // Reported below.
  }
  throw new InvalidInputError([{ path: 'cursor', message: 'not a cursor from a previous page of this query' }]);
}
