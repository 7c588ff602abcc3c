import { describe, expect, it } from 'vitest';
import type { Job, Lease } from '../model/index.ts';
import { backupBudget, DEFAULT_DETECTOR_SETTINGS, estimatedTotalMs, findStragglers } from './straggler-detector.ts';

const now = 1_000_000;
const lease = (startedAgoMs: number, progress?: number, workerId = 'w1', speed?: number): Lease => ({
  workerId,
  attempt: 1,
  startedAt: now - startedAgoMs,
  expiresAt: now + 10_000,
  ...(progress === undefined ? {} : { progress }),
  ...(speed === undefined ? {} : { speed }),
});
const job = (id: string, leases: Record<string, Lease>, extra: Partial<Job> = {}) =>
  ({
    id,
    type: 'sleep',
    capacity: 'cpu',
    priority: 'default',
    status: 'RUNNING',
    leases,
    attemptLog: [],
    ...extra,
  }) as unknown as Job;
const medians = new Map([['sleep#cpu', 1000]]);
const settings = { ...DEFAULT_DETECTOR_SETTINGS, minElapsedMs: 300 };

describe('straggler detection', () => {
  it('extrapolates progress (LATE), else scales the median by a measured speed, else takes elapsed time', () => {
    expect(estimatedTotalMs(lease(500, 0.1), now, 1000)).toBe(5000);
    expect(estimatedTotalMs(lease(500, undefined, 'w1', 0.25), now, 1000)).toBe(4000);
    expect(estimatedTotalMs(lease(500), now, 1000)).toBe(500);
  });

  it('flags an attempt whose progress rate says it will take more than twice the median, early', () => {
    // Prepare: 400 ms in, 10 % done → 4 s expected, against a 1 s median.
    const stragglers = findStragglers(
      [job('slow', { c1: lease(400, 0.1) }), job('fine', { c2: lease(400, 0.5) })],
      medians,
      settings,
      now,
    );
    // Assess
    expect(stragglers.map((s) => s.job.id)).toEqual(['slow']);
    expect(stragglers[0]?.estimatedTotalMs).toBe(4000);
  });

  it('flags an attempt without progress once it has run past twice the median', () => {
    const found = findStragglers(
      [job('a', { c1: lease(2500) }), job('b', { c2: lease(1500) })],
      medians,
      settings,
      now,
    );
    expect(found.map((s) => s.job.id)).toEqual(['a']);
  });

  it('flags an attempt on a worker measured slow as soon as it is old enough, progress or not', () => {
    const found = findStragglers(
      [
        job('on-slow', { c1: lease(300, undefined, 'w1', 0.2) }),
        job('on-normal', { c2: lease(300, undefined, 'w2', 1) }),
      ],
      medians,
      settings,
      now,
    );
    expect(found.map((s) => s.job.id)).toEqual(['on-slow']);
    // 5 s expected there; a backup at normal speed needs 0.5 s to start and 1 s to run.
    expect(found[0]?.gainMs).toBe(5000 - 300 - 500 - 1000);
  });

  it('does not back up a long job on a worker of normal speed: a copy would take as long', () => {
    // 10 % done after 500 ms: 5 s in all, but this worker runs at its class's normal speed.
    expect(findStragglers([job('long', { c1: lease(500, 0.1, 'w1', 1) })], medians, settings, now)).toEqual([]);
  });

  it('judges speeds against the class now: when every worker measures slow, the jobs are big and nobody is backed up', () => {
    // Three workers at a quarter of the normal: a burst of big jobs, not three slow hosts.
    const jobs = ['w1', 'w2', 'w3'].map((worker, i) => job(`big-${i}`, { [`c${i}`]: lease(500, 0.1, worker, 0.25) }));
    expect(findStragglers(jobs, medians, settings, now)).toEqual([]);
    // One of them far slower than the other two is a straggler.
    const oneSlow = [...jobs.slice(0, 2), job('slow', { c9: lease(500, 0.02, 'w9', 0.05) })];
    expect(findStragglers(oneSlow, medians, settings, now).map((s) => s.job.id)).toEqual(['slow']);
  });

  it('does not back up a straggler about to finish: the backup could not win', () => {
    // 2.4 s of an expected 2.5 s are gone; a backup would need 0.5 s to start.
    expect(findStragglers([job('nearly-done', { c1: lease(2400, 0.96) })], medians, settings, now)).toEqual([]);
  });

  it('backs up first the attempt expected to finish last', () => {
    const found = findStragglers(
      [job('a', { c1: lease(500, 0.2) }), job('b', { c2: lease(500, 0.05) })],
      medians,
      settings,
      now,
    );
    expect(found.map((s) => s.job.id)).toEqual(['b', 'a']);
  });

  it('never flags an attempt younger than the minimum elapsed time', () => {
    expect(findStragglers([job('young', { c1: lease(200, 0.01) })], medians, settings, now)).toEqual([]);
  });

  it('leaves alone jobs that opted out, already have a backup, run two attempts, or have an unknown type', () => {
    const slow = lease(5000, 0.1);
    const jobs = [
      job('opted-out', { c1: slow }, { speculate: false }),
      job('backed-up', { c1: slow }, { speculation: { requestedAt: now, against: 'c1', avoidWorker: 'w1' } }),
      job('twins', { c1: slow, c2: lease(100, 0.5, 'w2') }),
      job('unknown', { c1: slow }, { type: 'other' }),
    ];
    expect(findStragglers(jobs, medians, settings, now)).toEqual([]);
  });
});

describe('backup budget', () => {
  it('is a share of the running attempts, at least one, and zero when speculation is off', () => {
    // Prepare
    const fraction = 0.1;
    // Act
    const budgets = [0, 5, 40].map((running) => backupBudget(running, fraction));
    // Assess
    expect(budgets).toEqual([1, 1, 4]);
    expect(backupBudget(40, 0)).toBe(0);
  });
});
