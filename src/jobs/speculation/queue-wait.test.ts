import { describe, expect, it } from 'vitest';
import { workerReport } from '../../../test/helpers/store-fixtures.ts';
import type { Job, Lease } from '../model/index.ts';
import { freeSlots, queueWaitMs } from './queue-wait.ts';

const now = 1_000_000;
/** A job submitted `waitedMs` before its attempt started `startedAgoMs` ago on `workerId`. */
const running = (startedAgoMs: number, waitedMs: number, workerId = 'w1', extra: Partial<Lease> = {}): Job =>
  ({
    id: `job-${startedAgoMs}-${waitedMs}`,
    createdAt: new Date(now - startedAgoMs - waitedMs).toISOString(),
    leases: {
      c: { workerId, attempt: 1, startedAt: now - startedAgoMs, expiresAt: now + 10_000, ...extra },
    },
  }) as unknown as Job;

describe('queue wait', () => {
  it('is the median wait of the first attempts that started last', () => {
    // Prepare: ten recent starts that waited 0–900 ms, and older ones that waited long.
    const recent = Array.from({ length: 10 }, (_, i) => running(i * 10, i * 100));
    const older = Array.from({ length: 10 }, (_, i) => running(5000 + i, 60_000));
    // Act / Assess
    expect(queueWaitMs([...older, ...recent], now)).toBe(450);
    expect(queueWaitMs([], now)).toBe(0);
  });

  it('leaves out retries and backups: their jobs were submitted long before they were ready', () => {
    const jobs = [
      running(10, 100),
      running(5, 60_000, 'w1', { attempt: 2 }),
      running(1, 60_000, 'w2', { speculative: true }),
    ];
    expect(queueWaitMs(jobs, now)).toBe(100);
  });
});

describe('free slots', () => {
  it('counts the reported slots of workers not on probation, less the attempts running on them now', () => {
    const jobs = [running(10, 0, 'a'), running(20, 0, 'a'), running(30, 0, 'b'), running(40, 0, 'slow')];
    const reports = [workerReport('a', 4), workerReport('b', 1), workerReport('c', 2), workerReport('slow', 1, true)];
    expect(freeSlots(reports, jobs, now)).toBe(2 + 0 + 2);
  });

  it('reads a slot as its worker last reported it: a job that ended since was most likely replaced by one not yet reported', () => {
    // Prepare: 'a' reported both its slots busy; one of those jobs ended since (no longer running),
    // and whatever took its slot shows only in a's next report.
    const reports = [{ ...workerReport('a', 2), running: 2 }];
    // Act / Assess
    expect(freeSlots(reports, [running(10, 0, 'a')], now)).toBe(0);
  });

  it('counts an attempt on the worker it runs on even before that worker reports it (a backup another report lists)', () => {
    const reports = [{ ...workerReport('b', 2), running: 0 }];
    expect(freeSlots(reports, [running(10, 0, 'b'), running(20, 0, 'b')], now)).toBe(0);
  });
});
