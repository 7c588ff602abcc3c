import { type Job, type JobStatus, ScheduleNotFoundError } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import { fireTimesAfter, parseExpression } from './expression.ts';
import type { FireLog, FireRecord } from './fire-log.ts';
import type { ScheduleRegistry, StoredSchedule } from './schedule-registry.ts';
import type { ScheduleRequest } from './schedule-request.ts';

/** Fire times `GET /schedules/{name}` shows ahead, and fires it shows behind. */
const NEXT_FIRES = 3;
const RECENT_FIRES = 10;

export interface ScheduleDeps {
  registry: ScheduleRegistry;
  fires: Pick<FireLog, 'read' | 'remove'>;
  store: Pick<JobStore, 'getMany'>;
}

/** Makes a schedule from a checked `POST /schedules` body; ScheduleExistsError when the name is taken. */
export async function createSchedule(deps: ScheduleDeps, request: ScheduleRequest, now = Date.now()) {
  await deps.registry.create(request);
  // A schedule deleted and made again under its name starts without the old one's fires.
  await deps.fires.remove(request.name);
  return (await scheduleView(deps, request.name, now)) ?? notFound(request.name);
}

/** A schedule with its next fire times and its latest fires' jobs; undefined when there is none. */
export async function scheduleView(deps: ScheduleDeps, name: string, now = Date.now()) {
  const schedule = await deps.registry.get(name);
  return schedule && (await views(deps, [schedule], now))[0];
}

/** Every schedule, by name, as `scheduleView` shows it. */
export async function listSchedules(deps: ScheduleDeps, now = Date.now()) {
  return views(deps, await deps.registry.list(), now);
}

/** Deletes it and its fire log; ScheduleNotFoundError when there is none. Jobs it made stay. */
export async function deleteSchedule(deps: ScheduleDeps, name: string): Promise<void> {
  if (!(await deps.registry.delete(name))) notFound(name);
  await deps.fires.remove(name);
}

/** Pauses (no fires until resumed; the ones in between are not made up) or resumes it. */
export async function pauseSchedule(deps: ScheduleDeps, name: string, paused: boolean, now = Date.now()) {
  if (!(await deps.registry.setPaused(name, paused))) notFound(name);
  return (await scheduleView(deps, name, now)) ?? notFound(name);
}

/** The jobs a schedule's recorded fires made (its latest FIRES_KEPT fires), newest fire first. */
export async function scheduleJobs(
  deps: { fires: Pick<FireLog, 'read'>; store: Pick<JobStore, 'getMany'> },
  name: string,
): Promise<Job[]> {
  const made = (await deps.fires.read(name)).filter((r) => r.jobId);
  const jobs = new Map((await deps.store.getMany(made.map((r) => r.jobId!))).map((job) => [job.id, job]));
  return made.flatMap((r) => jobs.get(r.jobId!) ?? []);
}

/** The fire times of a schedule strictly after `after` (none while paused). */
export function nextFireTimes(
  schedule: Pick<StoredSchedule, 'paused' | 'expression' | 'timezone' | 'createdAt' | 'startAt' | 'endAt'>,
  after: number,
  count: number,
): number[] {
  if (schedule.paused) return [];
  return fireTimesAfter(parseExpression(schedule.expression), {
    after,
    count,
    timeZone: schedule.timezone,
    // Fire times are whole seconds, as Scheduler's scheduled time is.
    anchor: Math.floor(Date.parse(schedule.createdAt) / 1000) * 1000,
    startAt: schedule.startAt ? Date.parse(schedule.startAt) : undefined,
    endAt: schedule.endAt ? Date.parse(schedule.endAt) : undefined,
  });
}

async function views(deps: ScheduleDeps, schedules: StoredSchedule[], now: number) {
  const logs = await Promise.all(schedules.map(async (s) => (await deps.fires.read(s.name)).slice(0, RECENT_FIRES)));
  const jobIds = logs.flat().flatMap((r) => r.jobId ?? []);
  const statuses = new Map((await deps.store.getMany(jobIds)).map((job) => [job.id, job.status]));
  return schedules.map((schedule, i) => toScheduleView(schedule, logs[i]!, statuses, now));
}

function toScheduleView(schedule: StoredSchedule, fires: FireRecord[], statuses: Map<string, JobStatus>, now: number) {
  const isCron = schedule.expression.startsWith('cron(');
  return {
    name: schedule.name,
    cron: isCron ? schedule.expression : null,
    rate: isCron ? null : schedule.expression,
    timezone: schedule.timezone,
    state: schedule.paused ? ('PAUSED' as const) : ('ENABLED' as const),
    overlap: schedule.overlap,
    job: { ...schedule.job, payload: (schedule.job.payload ?? null) as unknown },
    startAt: schedule.startAt ?? null,
    endAt: schedule.endAt ?? null,
    createdAt: schedule.createdAt,
    nextFires: nextFireTimes(schedule, now, NEXT_FIRES).map((t) => new Date(t).toISOString()),
    recentJobs: fires
      .filter((r) => r.outcome === 'made')
      .map((r) => ({ jobId: r.jobId!, fireTime: r.fireTime, status: statuses.get(r.jobId!) ?? null })),
    skippedFires: fires.filter((r) => r.outcome === 'skipped').map((r) => r.fireTime),
    bufferedFire: fires.find((r) => r.outcome === 'buffered')?.fireTime ?? null,
  };
}

export type ScheduleView = ReturnType<typeof toScheduleView>;

function notFound(name: string): never {
  throw new ScheduleNotFoundError(name);
}
