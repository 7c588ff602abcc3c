import { describe, expect, it } from 'vitest';
import type { JobDispatcher } from '../dispatch/index.ts';
import type { Job, JobStatus } from '../model/index.ts';
import type { IdempotencyRecord, JobStore } from '../store/index.ts';
import { type Fire, type FireDeps, fireKey, fireSchedule } from './fire.ts';
import type { FireRecord } from './fire-log.ts';
import { JobTemplateSchema } from './schedule-request.ts';

/** Jobs, keys and fire log in memory, with the intake's create-or-replay contract. */
function world() {
  const jobs = new Map<string, Job>();
  const keys = new Map<string, IdempotencyRecord>();
  const log = new Map<string, FireRecord[]>();
  const sent: string[] = [];
  let ids = 0;
  const store = {
    get: async (id: string) => jobs.get(id),
    idempotencyRecord: async (key: string) => keys.get(key),
    create: async (job: Job, idempotency?: IdempotencyRecord) => {
      const existing = idempotency && keys.get(idempotency.key);
      if (existing) return { created: false as const, existing };
      jobs.set(job.id, job);
      if (idempotency) keys.set(idempotency.key, idempotency);
      return { created: true as const };
    },
  } as unknown as FireDeps['store'] & Pick<JobStore, 'create'>;
  const deps: FireDeps = {
    store,
    dispatcher: { dispatch: async (job: Job) => void sent.push(job.id) } as unknown as JobDispatcher,
    newId: () => `job-${++ids}`,
    fires: {
      read: async (schedule) => log.get(schedule) ?? [],
      add: async (schedule, entry) => {
        const rest = (log.get(schedule) ?? []).filter((r) => r.fireTime !== entry.fireTime);
        log.set(
          schedule,
          [entry, ...rest].sort((a, b) => b.fireTime.localeCompare(a.fireTime)),
        );
      },
    },
  };
  const setStatus = (id: string, status: JobStatus) => jobs.set(id, { ...jobs.get(id)!, status });
  return { deps, jobs, log, sent, setStatus };
}

const fire = (minute: number, overlap: Fire['overlap'] = 'skip'): Fire => ({
  schedule: 'hourly-report',
  scheduledTime: `2026-12-06T10:0${minute}:00Z`,
  overlap,
  job: JobTemplateSchema.parse({ type: 'noop' }),
});

describe('fireSchedule', () => {
  it('makes one job through intake, keyed by schedule and fire time, and shows where it came from', async () => {
    // Prepare
    const { deps, jobs, log } = world();
    // Act
    const outcome = await fireSchedule(deps, fire(1));
    // Assess
    expect(outcome).toEqual({ outcome: 'made', jobId: 'job-1', replayed: false });
    expect(jobs.get('job-1')).toMatchObject({
      type: 'noop',
      status: 'QUEUED',
      schedule: 'hourly-report',
      fireTime: '2026-12-06T10:01:00.000Z',
      idempotencyKey: 'schedule:hourly-report:2026-12-06T10:01:00.000Z',
    });
    expect(log.get('hourly-report')).toEqual([
      { fireTime: '2026-12-06T10:01:00.000Z', outcome: 'made', jobId: 'job-1' },
    ]);
  });

  it('makes one job when the same fire is delivered twice, even at once', async () => {
    // Prepare
    const { deps, jobs, sent } = world();
    // Act
    const [a, b] = await Promise.all([fireSchedule(deps, fire(1)), fireSchedule(deps, fire(1))]);
    const c = await fireSchedule(deps, { ...fire(1), scheduledTime: '2026-12-06T10:01:00.000+00:00' });
    // Assess
    expect(jobs.size).toBe(1);
    expect(new Set([a, b, c].map((o) => o.outcome === 'made' && o.jobId))).toEqual(new Set(['job-1']));
    expect(c).toMatchObject({ replayed: true });
    expect(sent.length).toBeLessThanOrEqual(2);
  });

  it('finds the job of a delivery that stopped before recording it', async () => {
    // Prepare: the job exists under the fire's key, the log does not know it.
    const { deps, jobs, log } = world();
    await fireSchedule(deps, fire(1));
    log.clear();
    // Act
    const outcome = await fireSchedule(deps, fire(1));
    // Assess
    expect(outcome).toEqual({ outcome: 'made', jobId: 'job-1', replayed: true });
    expect(jobs.size).toBe(1);
    expect(log.get('hourly-report')).toHaveLength(1);
  });

  it('skips and records a fire while the previous fire’s job is unfinished (skip), and fires again once it finished', async () => {
    // Prepare
    const { deps, jobs, log, setStatus } = world();
    await fireSchedule(deps, fire(1));
    // Act
    const skipped = await fireSchedule(deps, fire(2));
    const again = await fireSchedule(deps, fire(2));
    setStatus('job-1', 'SUCCEEDED');
    const made = await fireSchedule(deps, fire(3));
    // Assess
    expect([skipped, again]).toEqual([{ outcome: 'skipped' }, { outcome: 'skipped' }]);
    expect(made).toMatchObject({ outcome: 'made', jobId: 'job-2' });
    expect(jobs.size).toBe(2);
    expect(log.get('hourly-report')!.map((r) => r.outcome)).toEqual(['made', 'skipped', 'made']);
  });

  it('holds one fire back while the previous job runs (bufferOne), skips further ones, and makes it once the job finished', async () => {
    // Prepare
    const { deps, jobs, log, setStatus } = world();
    await fireSchedule(deps, fire(1, 'bufferOne'));
    // Act
    const waiting = await fireSchedule(deps, fire(2, 'bufferOne'));
    const extra = await fireSchedule(deps, fire(3, 'bufferOne'));
    const stillWaiting = await fireSchedule(deps, fire(2, 'bufferOne'));
    setStatus('job-1', 'DEAD');
    const made = await fireSchedule(deps, fire(2, 'bufferOne'));
    // Assess
    expect([waiting, extra, stillWaiting]).toEqual([
      { outcome: 'buffered' },
      { outcome: 'skipped' },
      { outcome: 'buffered' },
    ]);
    expect(made).toMatchObject({ outcome: 'made', jobId: 'job-2' });
    expect(jobs.get('job-2')).toMatchObject({ fireTime: '2026-12-06T10:02:00.000Z' });
    expect(log.get('hourly-report')!.map((r) => [r.fireTime.slice(14, 16), r.outcome])).toEqual([
      ['03', 'skipped'],
      ['02', 'made'],
      ['01', 'made'],
    ]);
  });

  it('makes every fire’s job with allow, however many are unfinished', async () => {
    // Prepare
    const { deps, jobs } = world();
    // Act
    for (const minute of [1, 2, 3]) await fireSchedule(deps, fire(minute, 'allow'));
    // Assess
    expect(jobs.size).toBe(3);
  });

  it('keys a fire by its instant, whatever the offset it is written with', () => {
    // Act / Assess
    expect(fireKey({ schedule: 's', scheduledTime: '2026-12-06T11:00:00+01:00' })).toBe(
      'schedule:s:2026-12-06T10:00:00.000Z',
    );
  });
});
