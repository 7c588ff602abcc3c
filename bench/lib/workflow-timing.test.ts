import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/model/index.ts';
import { queued } from '../../test/helpers/store-fixtures.ts';
import { DIAMOND, dependentStarts, jobsPerSecond, joinTiming, waitingAt } from './workflow-timing.ts';

/** A job (the store tests' fixture) with its first attempt's start and its times, in ms after an origin. */
function job(id: string, times: { created?: number; started?: number; finished?: number }): Job {
  const iso = (ms: number) => new Date(Date.UTC(2026, 11, 7) + ms).toISOString();
  return {
    ...queued,
    id,
    status: times.finished === undefined ? 'QUEUED' : 'SUCCEEDED',
    createdAt: iso(times.created ?? 0),
    ...(times.finished !== undefined && { finishedAt: iso(times.finished) }),
    attemptLog:
      times.started === undefined ? [] : [{ attempt: 1, claimId: 'c', workerId: 'w', startedAt: iso(times.started) }],
  };
}

describe('workflow timing', () => {
  it("splits a join's start after its last child into the advance and the pickup", () => {
    // Prepare: the children end in any order; the last ends at 900.
    const children = [job('c1', { finished: 500 }), job('c2', { finished: 900 }), job('c3', { finished: 700 })];
    const join = job('j', { created: 950, started: 1200 });
    // Act
    const timing = joinTiming(children, join);
    // Assess
    expect(timing).toEqual({
      latencyMs: 300,
      advanceMs: 50,
      pickupMs: 250,
      lastChildFinishedAt: '2026-12-07T00:00:00.900Z',
    });
  });

  it('refuses a join that never started or a child that never finished', () => {
    expect(() => joinTiming([job('c', { finished: 1 })], job('j', {}))).toThrow(/attempt of job j/);
    expect(() => joinTiming([job('c', {})], job('j', { started: 1 }))).toThrow(/finish of c/);
    expect(() => joinTiming([], job('j', { started: 1 }))).toThrow(/no children/);
  });

  it("measures each dependent of a diamond from its last parent's finish", () => {
    // Prepare: b ends at 300, c at 450; d starts at 500.
    const jobs: Record<string, Job> = {
      a: job('a', { started: 0, finished: 100 }),
      b: job('b', { created: 110, started: 120, finished: 300 }),
      c: job('c', { created: 115, started: 150, finished: 450 }),
      d: job('d', { created: 480, started: 500, finished: 600 }),
    };
    // Act
    const starts = dependentStarts(DIAMOND, (step) => jobs[step]!);
    // Assess: the root has none; d counts from c, the later of its parents.
    expect(starts).toEqual([
      { step: 'b', parents: 1, advanceMs: 10, waitMs: 20 },
      { step: 'c', parents: 1, advanceMs: 15, waitMs: 50 },
      { step: 'd', parents: 2, advanceMs: 30, waitMs: 50 },
    ]);
  });

  it('counts the jobs made and not yet started at an instant', () => {
    // Prepare: at 100, one has started, one is not made yet, one starts then, two wait (one made then).
    const jobs = [
      job('started', { created: 0, started: 50 }),
      job('later', { created: 150, started: 160 }),
      job('waiting', { created: 20, started: 300 }),
      job('starts then', { created: 90, started: 100 }),
      job('made then', { created: 100, started: 400 }),
    ];
    // Act
    const waiting = waitingAt(jobs, Date.UTC(2026, 11, 7) + 100);
    // Assess: a job started at the instant no longer waits; one made at it does.
    expect(waiting).toBe(2);
  });

  it('counts jobs a second from the submit to the last finish', () => {
    expect(jobsPerSecond(100, 1000, [1500, 3000, 2000])).toBe(50);
    expect(() => jobsPerSecond(1, 1000, [])).toThrow(/no finish/);
  });
});
