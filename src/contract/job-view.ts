import { type Job, type JobStatus, type ObjectFormat, type StoredObject, tenantOf } from '../jobs/model/index.ts';

/** Links only `GET /jobs/{id}` signs: the URL of a result kept in the payload bucket. */
export interface JobLinks {
  resultUrl?: string;
}

/**
 * A job as the API shows it (`GET /jobs/{id}`, `POST /jobs`). A payload or result kept in the
 * payload bucket is not inlined: the view says how large it is and in what format, and
 * `GET /jobs/{id}` gives a presigned `resultUrl` for the result.
 */
export function toJobView(job: Job, now = Date.now(), links: JobLinks = {}) {
  return {
    id: job.id,
    type: job.type,
    tenant: tenantOf(job),
    priority: job.priority,
    capacity: job.capacity,
    status: visibleStatus(job, now),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    backoff: job.backoff,
    timeoutSeconds: job.timeoutSeconds,
    idempotencyKey: job.idempotencyKey ?? null,
    runAt: job.runAt ?? null,
    schedule: job.schedule ?? null,
    fireTime: job.fireTime ?? null,
    workflow: job.workflow ? { id: job.workflow.id, step: job.workflow.step } : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt ?? null,
    finishedAt: job.finishedAt ?? null,
    payload: parseJsonText(job.payload),
    payloadObject: objectView(job.payloadObject),
    result: parseJsonText(job.result),
    resultObject: objectView(job.resultObject),
    resultUrl: links.resultUrl ?? null,
    error: job.error ?? null,
    attemptHistory: job.attemptLog.map((a) => ({
      attempt: a.attempt,
      workerId: a.workerId,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt ?? null,
      outcome: a.outcome ?? null,
      error: a.error ?? null,
      speculative: a.speculative ?? false,
      won: a.won ?? false,
    })),
    speculation: job.speculate !== false,
    progress: runningProgress(job),
  };
}

export type JobView = ReturnType<typeof toJobView>;

/**
 * A delayed job's message becomes visible in its queue at `runAt` without any write to the job;
 * from then on it waits like any queued job, and says so.
 */
function visibleStatus(job: Job, now: number): JobStatus {
  return job.status === 'SCHEDULED' && job.runAt !== undefined && Date.parse(job.runAt) <= now ? 'QUEUED' : job.status;
}

/**
 * 0–1: the furthest progress a running attempt of the job reported (a backup racing a straggler
 * is a second one); null when none runs or none reported. Leases exist only while the job runs.
 */
function runningProgress(job: Job): number | null {
  const reported = Object.values(job.leases ?? {}).flatMap((lease) => lease.progress ?? []);
  return reported.length > 0 ? Math.max(...reported) : null;
}

function objectView(object: StoredObject | undefined): { bytes: number; format: ObjectFormat } | null {
  return object ? { bytes: object.bytes, format: object.format } : null;
}

function parseJsonText(text: string | undefined): unknown {
  return text === undefined ? null : JSON.parse(text);
}
