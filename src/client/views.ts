import type { z } from 'zod';
import type { JobView } from '../api/job-view.ts';
import type { collectStats } from '../jobs/admin/index.ts';
import type { DeadLetterQuerySchema, RedriveRequestSchema, redriveDeadLetters } from '../jobs/dead-letters/index.ts';

/**
 * What the API answers, typed from the code that produces it (the view functions, the domain's
 * results and schemas) so client and server cannot drift apart.
 */

export type { JobView };

/** `POST /jobs/{id}/cancel`: `cancelRequested` while a running attempt is still being stopped (202). */
export type CancelView = JobView & { cancelRequested: boolean };

/** `GET /dlq`: query fields as the API reads them, all optional (`limit` 1–100, default 25). */
export type DeadLetterQuery = Partial<z.output<typeof DeadLetterQuerySchema>>;

/** One page of `GET /dlq`; `cursor` is null on the last page. */
export interface DeadLetterPage {
  items: JobView[];
  cursor: string | null;
}

/** `POST /dlq/redrive`: `limit` defaults to 100. */
export type RedriveRequest = z.input<typeof RedriveRequestSchema>;
export type RedriveResult = Awaited<ReturnType<typeof redriveDeadLetters>>;

/** `GET /stats`. */
export type StatsView = Awaited<ReturnType<typeof collectStats>>;
/** A live worker as `GET /stats` lists it. */
export type WorkerView = StatsView['workers'][number];

type Check = 'ok' | 'failing';
/** `GET /health`, answered with 200 when `ok` and 503 when `degraded`. */
export interface HealthView {
  status: 'ok' | 'degraded';
  checks: { jobsTable: Check; queues: Check };
}
