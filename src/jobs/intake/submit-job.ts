import { createHash, randomUUID } from 'node:crypto';
import type { JobDispatcher } from '../dispatch/index.ts';
import { type FailureLog, type FairDispatch, windowFollowUp, windowOf } from '../fairness/index.ts';
import {
  EnqueueFailedError,
  IdempotencyKeyReusedError,
  InvalidInputError,
  type Job,
  PayloadTooLargeError,
  type StoredObject,
  TenantQueueFullError,
  tenantOf,
} from '../model/index.ts';
import { DEFAULT_PAYLOAD_LIMITS, type PayloadLimits, type PayloadStore } from '../payloads/index.ts';
import { type CreateOutcome, conditionFailedAt, type IdempotencyRecord, type JobStore } from '../store/index.ts';
import { type JobRequest, MAX_BATCH_PAYLOAD_BYTES } from './job-request.ts';
import { type KeptPayload, keepPayload } from './payload-intake.ts';
import type { QueuedCap } from './queued-cap.ts';

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
  /** The payload bucket: without it, a payload must fit the job's item and `payloadRef` is refused. */
  payloads?: PayloadStore;
  /** @default DEFAULT_PAYLOAD_LIMITS */
  payloadLimits?: PayloadLimits;
  /** Tenants' caps on waiting jobs (`maxQueued`). @default no tenant is capped */
  queuedCap?: QueuedCap;
  /** Per-tenant windows (src/jobs/fairness): a job due now takes a place or is held. Without it, every job is sent. */
  fairness?: FairDispatch;
  /** Told of window bookkeeping that failed after the job was decided (see windowFollowUp). */
  log?: FailureLog;
}

/** A request turned into the job to write, when it starts, and the record its idempotency key gets. */
export interface NewJob {
  job: Job;
  /** Epoch ms of its first start. */
  notBefore: number;
  idempotency?: IdempotencyRecord;
}

/**
 * What made a job when a caller did not: the recurring schedule and the fire time it was made
 * for, or the workflow whose step it is.
 */
export type JobOrigin = Required<Pick<Job, 'schedule' | 'fireTime'>> | Required<Pick<Job, 'workflow'>>;

/**
 * The job a request describes, not yet written, with its payload as kept: inline, or an object of
 * the payload bucket. Without `kept` (a batch's item) the payload must fit the item: over
 * MAX_BATCH_PAYLOAD_BYTES it is refused, and so is a `payloadRef`.
 */
export function newJob(request: JobRequest, now: Date, id: string, kept?: KeptPayload, origin?: JobOrigin): NewJob {
  const payload = kept ? kept.inline : batchPayload(request);
  const payloadObject = kept?.object;
  const notBefore = startTime(request, now);
  const later = notBefore > now.getTime();
  const job: Job = {
    id,
    type: request.type,
    tenant: request.tenant,
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
    ...(payloadObject && { payloadObject }),
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
          requestHash: hashRequest(request, payloadObject),
          expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
        };
  return { job, notBefore, idempotency };
}

function batchPayload(request: JobRequest): string | undefined {
  if (request.payloadRef !== undefined) {
    throw new InvalidInputError([
      {
        path: 'payloadRef',
        message: 'a batch carries payloads inline; submit a job with a payloadRef alone (POST /jobs)',
      },
    ]);
  }
  const payload = request.payload === undefined ? undefined : JSON.stringify(request.payload);
  if (payload !== undefined && Buffer.byteLength(payload) > MAX_BATCH_PAYLOAD_BYTES) {
    throw new PayloadTooLargeError(Buffer.byteLength(payload), MAX_BATCH_PAYLOAD_BYTES, 'payload', {
      hint: 'submit a larger payload alone (POST /jobs)',
    });
  }
  return payload;
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
  const id = (deps.newId ?? randomUUID)();
  // An uploaded payload is checked (it exists, it is the caller's, within the maximum) before anything is written.
  const kept = await keepPayload(deps.payloads, deps.payloadLimits ?? DEFAULT_PAYLOAD_LIMITS, request, id);
  const { job, notBefore, idempotency } = newJob(request, (deps.now ?? (() => new Date()))(), id, kept, origin);
  // A repeat finds its job before anything is sent (a concurrent repeat may still send one spare message).
  const earlier = idempotency && (await deps.store.idempotencyRecord(idempotency.key));
  if (earlier) return replay(deps.store, earlier, idempotency.requestHash);
  const cap = await queuedCapOf(deps, job);
  if (cap) job.queuedCounted = true;
  // A payload over the inline threshold is stored before its message is sent, so no worker ever
  // finds a job whose payload is missing; a failure after this leaves an object the lifecycle expires.
  if (kept.toStore) job.payloadObject = await storePayload(deps.payloads!, kept.toStore);
  const fairness = notBefore <= Date.parse(job.createdAt) ? deps.fairness : undefined;
  const place = fairness !== undefined && (await fairness.admit([job])).has(job.id);
  if (fairness && !place) return hold(deps, fairness, { job, idempotency }, cap);
  try {
    await deps.dispatcher.dispatch(job, notBefore, { place });
  } catch (error) {
    if (place)
      await windowFollowUp(deps.log, 'giving back an unsent job’s place', fairness.giveBack(windowOf(job), job.id));
    throw new EnqueueFailedError(error);
  }
  deps.afterSend?.(job);
  const outcome = await createCounted(deps, { job, idempotency }, cap);
  if ('error' in outcome) throw outcome.error;
  if (!outcome.created) return replay(deps.store, outcome.existing, idempotency!.requestHash);
  return { job, replayed: false };
}

/**
 * The job's tenant's cap on waiting jobs when it has one; a tenant at its cap is refused here,
 * before anything is sent or written. Only a tenant with a cap pays this read (and the count).
 */
async function queuedCapOf(
  deps: Pick<SubmitDeps, 'queuedCap'>,
  job: Job,
): Promise<{ cap: number; tenant: string } | undefined> {
  const tenant = tenantOf(job);
  const cap = await deps.queuedCap?.capOf(tenant);
  if (cap === undefined) return undefined;
  if ((await deps.queuedCap!.waiting(tenant)) >= cap) throw queueFull(deps, tenant, cap);
  return { cap, tenant };
}

const queueFull = (deps: Pick<SubmitDeps, 'queuedCap'>, tenant: string, cap: number) =>
  new TenantQueueFullError(tenant, cap, deps.queuedCap!.retryAfterSeconds);

/**
 * Writes the job, and for a capped tenant counts it in the same transaction: a count that reached
 * the cap since the check (a concurrent submit) refuses it, writing nothing; its message, sent
 * already, finds no job and is dropped by the worker (see JobRunner).
 */
export async function createCounted(
  deps: Pick<SubmitDeps, 'store' | 'queuedCap'>,
  { job, idempotency }: Pick<NewJob, 'job' | 'idempotency'>,
  cap: { cap: number; tenant: string } | undefined,
): Promise<CreateOutcome | { error: Error }> {
  if (!cap) return deps.store.create(job, idempotency);
  try {
    return await deps.store.create(job, idempotency, [deps.queuedCap!.count(cap.tenant, cap.cap)]);
  } catch (error) {
    // The count is the transaction's last write: after the job's and its key's.
    if (conditionFailedAt(error, idempotency ? 2 : 1)) return { error: queueFull(deps, cap.tenant, cap.cap) };
    throw error;
  }
}

/**
 * Writes a job its tenant's window holds back (counted held already): no message, HELD in the
 * index under its tenant, and counted against its tenant's cap like any waiting job. Then a
 * release, since every place may have freed meanwhile; a release that fails is left to the next
 * claim or the reaper's pump, as the job is written.
 */
async function hold(
  deps: Pick<SubmitDeps, 'store' | 'queuedCap' | 'log'>,
  fairness: FairDispatch,
  { job, idempotency }: Pick<NewJob, 'job' | 'idempotency'>,
  cap: { cap: number; tenant: string } | undefined,
): Promise<SubmitResult> {
  const held: Job = { ...job, status: 'HELD' };
  const outcome = await createCounted(deps, { job: held, idempotency }, cap).catch((error: Error) => ({ error }));
  // Not written (a full queue, a replayed key, a failure): its hold is uncounted, or a release would look for it.
  if ('error' in outcome || !outcome.created)
    await windowFollowUp(deps.log, 'uncounting an unwritten hold', fairness.unhold([held]));
  if ('error' in outcome) throw outcome.error;
  if (!outcome.created) return replay(deps.store, outcome.existing, idempotency!.requestHash);
  await windowFollowUp(deps.log, 'releasing after a hold', fairness.afterHold([held]));
  return { job: held, replayed: false };
}

export async function replay(
  store: JobStore,
  existing: { jobId: string; requestHash: string; key: string },
  requestHash: string,
): Promise<SubmitResult> {
  assertSameRequest(existing, requestHash);
  const job = await store.get(existing.jobId);
  if (!job)
    throw new IdempotencyKeyReusedError(`idempotency key ${existing.key} points at a job that no longer exists`);
  return { job, replayed: true };
}

/** A key's repeat must be the request that took it (its hash), else 409, whatever the key created. */
export function assertSameRequest(existing: { key: string; requestHash: string }, requestHash: string): void {
  if (existing.requestHash === requestHash) return;
  throw new IdempotencyKeyReusedError(`idempotency key ${existing.key} was used for a different request`, [
    { path: 'idempotencyKey', message: 'already used with a different body' },
  ]);
}

function startTime(request: JobRequest, now: Date): number {
  if (request.runAt !== undefined) return Date.parse(request.runAt);
  return now.getTime() + (request.delaySeconds ?? 0) * 1000;
}

async function storePayload(payloads: PayloadStore, toStore: { key: string; text: string }): Promise<StoredObject> {
  try {
    return await payloads.put(toStore.key, toStore.text, 'json');
  } catch (error) {
    throw new EnqueueFailedError(error);
  }
}

/**
 * Hash of everything that defines the job, defaults included, so `{}` and explicit defaults match.
 * An uploaded payload counts by its content (ETag, size and format), not by its reference: the same
 * bytes uploaded again under the same idempotency key replay the job.
 */
export function hashRequest(request: JobRequest, payloadObject?: StoredObject): string {
  const { idempotencyKey: _ignored, payloadRef, ...definition } = request;
  const uploaded =
    payloadRef !== undefined && payloadObject
      ? { payloadContent: { etag: payloadObject.etag, bytes: payloadObject.bytes, format: payloadObject.format } }
      : {};
  return hashCanonical({ ...definition, ...uploaded });
}

/** SHA-256 of `value` as canonical JSON: keys sorted, undefined left out. */
export function hashCanonical(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
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
