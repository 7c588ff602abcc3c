import type { z } from 'zod';
import type { collectStats, JobListQuerySchema } from '../jobs/admin/index.ts';
import type { DeadLetterQuerySchema, RedriveRequestSchema, redriveDeadLetters } from '../jobs/dead-letters/index.ts';
import type { ScheduleView } from '../jobs/schedules/index.ts';
import type { TenantView } from '../jobs/tenants/index.ts';
import type { ErrorBody } from './api-error.ts';
import type { JobView } from './job-view.ts';
import type { WorkflowView } from './workflow-view.ts';

/**
 * What the API answers, typed from the code that produces it (the view functions, the domain's
 * results and schemas) so client and server cannot drift apart.
 */

export type { JobView, WorkflowView };

/** `POST /workflows`: the new workflow's id. */
export interface WorkflowCreated {
  id: string;
}

/** `POST /jobs/{id}/cancel`: `cancelRequested` while a running attempt is still being stopped (202). */
export type CancelView = JobView & { cancelRequested: boolean };

/** `GET /dlq`: query fields as the API reads them, all optional (`limit` 1–100, default 25). */
export type DeadLetterQuery = Partial<z.output<typeof DeadLetterQuerySchema>>;

/** One page of `GET /dlq` or `GET /jobs`; `cursor` is null on the last page. */
export interface JobPage {
  items: JobView[];
  cursor: string | null;
}
export type DeadLetterPage = JobPage;

type JobListFields = z.output<typeof JobListQuerySchema>;
/**
 * `GET /jobs`: the state to list (`SCHEDULED`, `RUNNING` or `RETRYING`) or the recurring schedule
 * whose jobs to list, exactly one; the rest optional (`limit` 1–100, default 25).
 */
export type JobListQuery = Partial<JobListFields>;

/**
 * One job's result in `POST /jobs/batch`, in request order: the status `POST /jobs` would have
 * answered it alone (201 new, 200 replayed, 400/409/413 refused, 5xx not written) and the job or
 * the error.
 */
export type BatchItemView = { status: 200 | 201; job: JobView } | { status: number; error: ErrorBody['error'] };

/** `POST /jobs/batch`. */
export interface BatchView {
  items: BatchItemView[];
}

/** `POST /dlq/redrive`: `limit` defaults to 100. */
export type RedriveRequest = z.input<typeof RedriveRequestSchema>;
export type RedriveResult = Awaited<ReturnType<typeof redriveDeadLetters>>;

/** `GET /stats`. */
export type StatsView = Awaited<ReturnType<typeof collectStats>>;
/** A live worker as `GET /stats` lists it. */
export type WorkerView = StatsView['workers'][number];
/** A limited job type as `GET /stats` shows it: its limits, and the attempts holding a concurrency slot now. */
export type LimitView = StatsView['limits'][string];

type Check = 'ok' | 'failing';
/** `GET /health`, answered with 200 when `ok` and 503 when `degraded`. */
export interface HealthView {
  status: 'ok' | 'degraded';
  checks: { jobsTable: Check; queues: Check };
}

/** `POST /uploads`: where to PUT a payload too large for a request, and the reference to submit. */
export type { Upload as UploadView, UploadRequestInput } from '../jobs/intake/index.ts';
/** `GET /schedules/{name}`, `POST /schedules` and pause/resume: a recurring schedule, its next fire times and latest fires. */
export type { ScheduleView };

/** `GET /schedules`: every recurring schedule, by name. */
export interface SchedulePage {
  items: ScheduleView[];
}

/** `DELETE /schedules/{name}`. */
export interface ScheduleDeleted {
  name: string;
  deleted: true;
}

/** `GET|PUT /tenants/{tenant}`: a tenant's settings as they apply, and those it has stored. */
export type { TenantView };

/** `GET /tenants`: every tenant with settings of its own, by id. */
export interface TenantPage {
  tenants: TenantView[];
}

/** `DELETE /tenants/{tenant}`: its settings as they apply now, and whether it had stored ones. */
export type TenantDeleted = TenantView & { deleted: boolean };
