import { createHash, randomUUID } from 'node:crypto';
import type { JobDispatcher } from '../dispatch/index.ts';
import { EnqueueFailedError, IdempotencyKeyReusedError, type Job, PayloadTooLargeError } from '../model/index.ts';
import type { IdempotencyRecord, JobStore } from '../store/index.ts';
import { type JobRequest, MAX_PAYLOAD_BYTES } from './job-request.ts';

/** How long an idempotency key keeps pointing at its job. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface SubmitResult {
  job: Job;
  /** True when the idempotency key had already created this job. */
  replayed: boolean;
}

export interface SubmitDeps {
  store: JobStore;
  dispatcher: JobDispatcher;
  now?: () => Date;
  newId?: () => string;
  /**
   * Called between the message's send and the job's write. Test-only fault injection: a throw here
   * stands for the intake dying at the worst moment, leaving a message without a job (which the
   * worker drops once it is older than the intake could still be writing).
   */
  afterSend?: (job: Job) => void;
}

/** A request turned into the job to write, when it starts, and the record its idempotency key gets. */
export interface NewJob {
  job: Job;
  /** Epoch ms of its first start. */
  notBefore: number;
  idempotency?: IdempotencyRecord;
}

/** What made a job when a caller did not: the recurring schedule and the fire time it was made for. */
export type JobOrigin = Required<Pick<Job, 'schedule' | 'fireTime'>>;

/** The job a request describes, not yet written; refuses a payload over MAX_PAYLOAD_BYTES. */
export function newJob(request: JobRequest, now: Date, id: string, origin?: JobOrigin): NewJob {
  const payload = request.payload === undefined ? undefined : JSON.stringify(request.payload);
  if (payload !== undefined && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
    throw new PayloadTooLargeError(Buffer.byteLength(payload), MAX_PAYLOAD_BYTES, 'payload');
  }
  const notBefore = startTime(request, now);
  const later = notBefore > now.getTime();
  const job: Job = {
    id,
    type: request.type,
    priority: request.priority,
    capacity: request.capacity,
    status: later ? 'SCHEDULED' : 'QUEUED',
    version: 1,
    attempts: 0,
    maxAttempts: request.maxAttempts,
    backoff: request.backoff,
    timeoutSeconds: request.timeoutSeconds,
    ...(request.speculation ? {} : { speculate: false }),
    payload,
    idempotencyKey: request.idempotencyKey,
    runAt: later ? new Date(notBefore).toISOString() : undefined,
    ...origin,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    attemptLog: [],
  };
  const idempotency =
    request.idempotencyKey === undefined
      ? undefined
      : {
          key: request.idempotencyKey,
          jobId: id,
          requestHash: hashRequest(request),
          expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
        };
  return { job, notBefore, idempotency };
}

/**
 * Creates a job and puts it on its queue. With an idempotency key, a repeat of the same request
 * returns the job the first one created and a different request under the same key is refused.
 *
 * The message is sent before the job is written, so a job never exists without its message: the
 * happy path's statuses carry no index key (store/status-key.ts), so nothing could find a queued job
 * whose message was never sent. A failed write leaves a message without a job, which the worker
 * drops; a message that beats its job's write to a worker waits for it (workers/job-runner.ts).
 */
export async function submitJob(deps: SubmitDeps, request: JobRequest, origin?: JobOrigin): Promise<SubmitResult> {
  const { job, notBefore, idempotency } = newJob(
    request,
    (deps.now ?? (() => new Date()))(),
    (deps.newId ?? randomUUID)(),
    origin,
  );
  // A repeat finds its job before anything is sent (a concurrent repeat may still send one spare message).
  const earlier = idempotency && (await deps.store.idempotencyRecord(idempotency.key));
  if (earlier) return replay(deps.store, earlier, idempotency.requestHash);
  try {
    await deps.dispatcher.dispatch(job, notBefore);
  } catch (error) {
    throw new EnqueueFailedError(error);
  }
  deps.afterSend?.(job);
  const outcome = await deps.store.create(job, idempotency);
  if (!outcome.created) return replay(deps.store, outcome.existing, idempotency!.requestHash);
  return { job, replayed: false };
}

export async function replay(
  store: JobStore,
  existing: { jobId: string; requestHash: string; key: string },
  requestHash: string,
): Promise<SubmitResult> {
  if (existing.requestHash !== requestHash) {
    throw new IdempotencyKeyReusedError(`idempotency key ${existing.key} was used for a different request`, [
      { path: 'idempotencyKey', message: 'already used with a different body' },
    ]);
  }
  const job = await store.get(existing.jobId);
  if (!job)
    throw new IdempotencyKeyReusedError(`idempotency key ${existing.key} points at a job that no longer exists`);
  return { job, replayed: true };
}

function startTime(request: JobRequest, now: Date): number {
  if (request.runAt !== undefined) return Date.parse(request.runAt);
  return now.getTime() + (request.delaySeconds ?? 0) * 1000;
}

/** Hash of everything that defines the job, defaults included, so `{}` and explicit defaults match. */
export function hashRequest(request: JobRequest): string {
  const { idempotencyKey: _ignored, ...definition } = request;
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
