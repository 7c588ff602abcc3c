import type { Job } from '../jobs/job.ts';

/** A job as the API shows it (`GET /jobs/{id}`, `POST /jobs`). */
export function toJobView(job: Job) {
  return {
    id: job.id,
    type: job.type,
    priority: job.priority,
    capacity: job.capacity,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    backoff: job.backoff,
    timeoutSeconds: job.timeoutSeconds,
    idempotencyKey: job.idempotencyKey ?? null,
    runAt: job.runAt ?? null,
    createdAt: job.createdAt,
    startedAt: job.startedAt ?? null,
    finishedAt: job.finishedAt ?? null,
    payload: parseJsonText(job.payload),
    result: parseJsonText(job.result),
    error: job.error ?? null,
    attemptHistory: job.attemptLog.map((a) => ({
      attempt: a.attempt,
      workerId: a.workerId,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt ?? null,
      outcome: a.outcome ?? null,
      error: a.error ?? null,
    })),
  };
}

export type JobView = ReturnType<typeof toJobView>;

function parseJsonText(text: string | undefined): unknown {
  return text === undefined ? null : JSON.parse(text);
}
