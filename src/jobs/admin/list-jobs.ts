import { z } from 'zod';
import {
  CAPACITIES,
  InvalidInputError,
  type Job,
  PRIORITIES,
  pageQueryFields,
  TenantIdSchema,
  tenantOf,
} from '../model/index.ts';
import { type FireLog, ScheduleNameSchema, scheduleJobs } from '../schedules/index.ts';
import type { RunningJobsOf } from '../speculation/index.ts';
import { type JobStore, pageByStatus, type StatusPage } from '../store/index.ts';

/**
 * The states `GET /jobs` lists: those a job waits for its time or runs in. Queued jobs are their
 * queues' messages (their number is `GET /stats`' queue depth), dead jobs have `GET /dlq`, and
 * finished ones are only ever read by id: none of them carry an index key (store/status-key.ts).
 */
export const LISTED_STATUSES = ['SCHEDULED', 'RUNNING', 'RETRYING'] as const;

/** `GET /jobs?status=|schedule=&tenant=&capacity=&priority=&limit=&cursor=`, as the API reads it. */
export const JobListQuerySchema = z
  .strictObject({
    status: z.enum(LISTED_STATUSES).optional(),
    schedule: ScheduleNameSchema.optional().meta({
      description: 'instead of status: the jobs a recurring schedule made in its latest 50 fires, newest fire first',
    }),
    tenant: TenantIdSchema.optional().meta({
      description: "with status or schedule: only this tenant's jobs (`default`: those submitted without a tenant)",
    }),
    ...pageQueryFields,
  })
  .refine((q) => (q.status === undefined) !== (q.schedule === undefined), {
    message: 'give status or schedule, exactly one',
    path: ['status'],
  });
export type JobListQuery = z.output<typeof JobListQuerySchema>;

export interface JobListDeps {
  store: Pick<JobStore, 'listByStatus' | 'getMany'>;
  running: RunningJobsOf;
  fires: Pick<FireLog, 'read'>;
}

/**
 * One page of the jobs in one state: waiting ones oldest change first per queue (order and cursor:
 * `pageByStatus`), running ones from the workers' reports, per queue, longest running first.
 */
export function listJobs(deps: JobListDeps, query: JobListQuery, now = Date.now()): Promise<StatusPage> {
  if (query.schedule !== undefined) return pageOfSchedule(deps, query.schedule, query);
  if (query.status === 'RUNNING') return pageRunning(deps.running, query, now);
  return pageByStatus(deps.store, query.status!, query);
}

async function pageOfSchedule(deps: JobListDeps, schedule: string, query: JobListQuery): Promise<StatusPage> {
  const offset = decodeOffset(query.cursor);
  const jobs = (await scheduleJobs(deps, schedule)).filter(
    (job) => (!query.capacity || job.capacity === query.capacity) && withinQuery(job, query),
  );
  return pageOf(jobs, query, offset);
}

/** A snapshot list's cursor is a position in it: a job that joins or leaves it between pages may shift it. */
const SnapshotCursorSchema = z.object({ o: z.int().min(0) });

async function pageRunning(running: RunningJobsOf, query: JobListQuery, now: number): Promise<StatusPage> {
  const offset = decodeOffset(query.cursor);
  const order = (job: Job) => [CAPACITIES.indexOf(job.capacity), PRIORITIES.indexOf(job.priority)];
  const jobs = (
    await Promise.all(CAPACITIES.filter((c) => !query.capacity || c === query.capacity).map((c) => running(c, now)))
  )
    .flat()
    .filter((job) => withinQuery(job, query))
    .sort((a, b) => {
      const [ca, pa] = order(a);
      const [cb, pb] = order(b);
      return ca! - cb! || pa! - pb! || a.updatedAt.localeCompare(b.updatedAt) || a.id.localeCompare(b.id);
    });
  return pageOf(jobs, query, offset);
}

/** A job of a list read whole passes the query's priority and tenant (the class picks what is read). */
const withinQuery = (job: Job, query: JobListQuery) =>
  (!query.priority || job.priority === query.priority) && (!query.tenant || tenantOf(job) === query.tenant);

/** One page of a list read whole (running jobs, a schedule's jobs), from `offset` (its decoded cursor). */
function pageOf(jobs: Job[], query: JobListQuery, offset: number): StatusPage {
  const end = offset + query.limit;
  const cursor = end < jobs.length ? Buffer.from(JSON.stringify({ o: end })).toString('base64url') : null;
  return { jobs: jobs.slice(offset, end), cursor };
}

function decodeOffset(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  try {
    return SnapshotCursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).o;
  } catch {
    throw new InvalidInputError([{ path: 'cursor', message: 'not a cursor from a previous page of this query' }]);
  }
}
