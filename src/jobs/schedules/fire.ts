import { z } from 'zod';
import { type JobOrigin, type SubmitDeps, submitJob } from '../intake/index.ts';
import { IdempotencyKeyReusedError, isTerminal, type Job } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import type { FireLog, FireRecord } from './fire-log.ts';
import { JobTemplateSchema, OVERLAP_POLICIES, ScheduleNameSchema } from './schedule-request.ts';

/** The context attribute EventBridge Scheduler replaces with a fire's scheduled time (ISO 8601, UTC). */
export const SCHEDULED_TIME_PLACEHOLDER = '<aws.scheduler.scheduled-time>';

/**
 * What a schedule's target receives at each fire (its `Input`, with the scheduled time filled in
 * by Scheduler): everything the fire needs, so schedules made by the API and by the construct
 * fire the same way.
 */
export const FireSchema = z.object({
  schedule: ScheduleNameSchema,
  scheduledTime: z.iso.datetime({ offset: true }),
  overlap: z.enum(OVERLAP_POLICIES),
  job: JobTemplateSchema,
});
export type Fire = z.output<typeof FireSchema>;

/** A schedule's target input: the fire with the placeholder Scheduler fills at each fire time. */
export const fireInput = (fire: Omit<Fire, 'scheduledTime'>): string =>
  JSON.stringify({
    schedule: fire.schedule,
    scheduledTime: SCHEDULED_TIME_PLACEHOLDER,
    overlap: fire.overlap,
    job: fire.job,
  });

/** The idempotency key of a fire's job: one job per schedule and fire time, however often it is delivered. */
export const fireKey = (fire: Pick<Fire, 'schedule' | 'scheduledTime'>): string =>
  `schedule:${fire.schedule}:${new Date(fire.scheduledTime).toISOString()}`;

export type FireOutcome =
  | { outcome: 'made'; jobId: string; replayed: boolean }
  | { outcome: 'skipped' }
  /** bufferOne: the fire waits for the previous job to finish; deliver it again later. */
  | { outcome: 'buffered' };

export interface FireDeps extends SubmitDeps {
  store: SubmitDeps['store'] & Pick<JobStore, 'get' | 'idempotencyRecord'>;
  fires: Pick<FireLog, 'read' | 'add'>;
}

/**
 * Makes the job of one fire, through the same intake as `POST /jobs`, keyed by schedule and fire
 * time so a repeated delivery finds the job the first one made. With `overlap` `skip`, a fire
 * while the previous fire's job is unfinished makes no job and is recorded as skipped; with
 * `bufferOne` the first such fire waits (the caller delivers it again later) and further ones are
 * skipped; `allow` always makes the job. Every outcome but waiting is recorded in the fire log.
 */
export async function fireSchedule(deps: FireDeps, fire: Fire): Promise<FireOutcome> {
  const fireTime = new Date(fire.scheduledTime).toISOString();
  const log = await deps.fires.read(fire.schedule);
  const settled = log.find((r) => r.fireTime === fireTime && r.outcome !== 'buffered');
  if (settled?.outcome === 'made') return { outcome: 'made', jobId: settled.jobId!, replayed: true };
  if (settled?.outcome === 'skipped') return { outcome: 'skipped' };

  const key = fireKey(fire);
  const earlier = await deps.store.idempotencyRecord(key);
  if (!earlier && fire.overlap !== 'allow' && (await previousUnfinished(deps.store, log))) {
    const waiting = log.find((r) => r.outcome === 'buffered' && r.fireTime !== fireTime);
    if (fire.overlap === 'skip' || waiting) return record(deps, fire.schedule, { fireTime, outcome: 'skipped' });
    await deps.fires.add(fire.schedule, { fireTime, outcome: 'buffered' });
    return { outcome: 'buffered' };
  }
  const origin: JobOrigin = { schedule: fire.schedule, fireTime };
  const jobId = earlier?.jobId ?? (await submit(deps, fire, key, origin));
  await deps.fires.add(fire.schedule, { fireTime, outcome: 'made', jobId });
  return { outcome: 'made', jobId, replayed: earlier !== undefined };
}

async function submit(deps: FireDeps, fire: Fire, key: string, origin: JobOrigin): Promise<string> {
  try {
    return (await submitJob(deps, { ...fire.job, idempotencyKey: key }, origin)).job.id;
  } catch (error) {
    // The schedule was made again under its name with another job since this fire's job was made.
    if (!(error instanceof IdempotencyKeyReusedError)) throw error;
    const record = await deps.store.idempotencyRecord(key);
    if (!record) throw error;
    return record.jobId;
  }
}

async function record(deps: FireDeps, schedule: string, entry: FireRecord): Promise<FireOutcome> {
  await deps.fires.add(schedule, entry);
  return { outcome: 'skipped' };
}

/** Whether the job of the latest fire that made one has not finished yet. */
async function previousUnfinished(store: Pick<JobStore, 'get'>, log: FireRecord[]): Promise<boolean> {
  const previous = log.find((r) => r.outcome === 'made');
  if (!previous?.jobId) return false;
  const job: Job | undefined = await store.get(previous.jobId);
  return job !== undefined && !isTerminal(job.status);
}
