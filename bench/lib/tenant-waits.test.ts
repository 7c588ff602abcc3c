import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/model/index.ts';
import { fairnessChecks, tenantSummaries, waitMs, waitOverTimePoints, waitsOf } from './tenant-waits.ts';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
/** A job created at `createdMs` whose first attempt started `waitedMs` later (a second attempt after it). */
const job = (tenant: string | undefined, createdMs: number, waitedMs: number): Job =>
  ({
    tenant,
    createdAt: at(createdMs),
    attemptLog: [
      { attempt: 1, claimId: 'a', workerId: 'w', startedAt: at(createdMs + waitedMs) },
      { attempt: 2, claimId: 'b', workerId: 'w', startedAt: at(createdMs + waitedMs + 5000) },
    ],
  }) as Job;

describe('waits', () => {
  it('measures createdAt → the first attempt’s startedAt, and refuses a job that has not started', () => {
    // Prepare
    const unstarted = { ...job('a', 0, 0), attemptLog: [] };
    // Act
    const wait = waitMs(job('a', 1000, 250));
    // Assess
    expect(wait).toBe(250);
    expect(() => waitMs(unstarted)).toThrow(/not started/);
  });

  it('groups waits by tenant, an absent tenant as default, and pools the chosen tenants', () => {
    // Prepare
    const jobs = [job('quiet-1', 0, 10), job('flood', 0, 900), job('quiet-2', 0, 30), job(undefined, 0, 5)];
    // Act
    const summaries = tenantSummaries(jobs);
    const quiet = waitsOf(jobs, ['quiet-1', 'quiet-2']);
    // Assess
    expect(Object.keys(summaries)).toEqual(['default', 'flood', 'quiet-1', 'quiet-2']);
    expect(summaries.flood).toMatchObject({ count: 1, max: 900 });
    expect(quiet).toEqual([10, 30]);
  });
});

describe('fairnessChecks', () => {
  it('bounds the quiet p99 by max(1 s, 3 × solo) and the flood by 90 % of its throughput alone', () => {
    // Act
    const fastSolo = fairnessChecks({
      soloQuietP99Ms: 100,
      floodQuietP99Ms: 1000,
      floodJobsPerSecond: 90,
      floodAloneJobsPerSecond: 100,
    });
    const slowSolo = fairnessChecks({
      soloQuietP99Ms: 500,
      floodQuietP99Ms: 1600,
      floodJobsPerSecond: 89.9,
      floodAloneJobsPerSecond: 100,
    });
    // Assess
    expect(fastSolo).toEqual({
      quietWaitP99BoundMs: 1000,
      quietWaitWithinBound: true,
      floodJobsPerSecondBound: 90,
      floodThroughputKept: true,
    });
    expect(slowSolo).toEqual({
      quietWaitP99BoundMs: 1500,
      quietWaitWithinBound: false,
      floodJobsPerSecondBound: 90,
      floodThroughputKept: false,
    });
  });
});

describe('waitOverTimePoints', () => {
  it('places each job at its submit time, thins a big tenant evenly and keeps a zero wait on the log axis', () => {
    // Prepare: 10 flood jobs, one a second, and one quiet job claimed within its millisecond.
    const flood = Array.from({ length: 10 }, (_, i) => job('flood', i * 1000, 100));
    // Act
    const points = waitOverTimePoints([...flood, job('quiet-1', 2500, 0)], T0, 5);
    // Assess
    expect(points.filter((p) => p.series === 'flood').map((p) => p.seconds)).toEqual([0, 2, 4, 6, 8]);
    expect(points.find((p) => p.series === 'quiet-1')).toEqual({ series: 'quiet-1', seconds: 2.5, valueMs: 1 });
  });
});
