import { describe, expect, it } from 'vitest';
import type { FinishedJob } from './simulation.ts';
import { breakdown, sumBreakdowns } from './tail-breakdown.ts';

const job = (overrides: Partial<FinishedJob>): FinishedJob => ({
  latencyMs: 1000,
  waitMs: 0,
  healthyRunMs: 1000,
  firstAttemptMs: 1000,
  wonByBackup: false,
  ...overrides,
});

describe('breakdown', () => {
  it('sorts the jobs past the target by what their first attempt met', () => {
    // Act
    const result = breakdown(
      [
        job({}),
        job({ latencyMs: 3000, firstAttemptMs: 5000, slowedAfterMs: 0, wonByBackup: true }),
        job({ latencyMs: 3200, firstAttemptMs: 3000, slowedAfterMs: 600 }),
        job({ latencyMs: 2600, waitMs: 1600 }),
        job({ latencyMs: 2600, healthyRunMs: 2600, firstAttemptMs: 2600 }),
      ],
      2500,
      500,
    );
    // Assess
    expect(result).toMatchObject({
      jobs: 5,
      pastTarget: 4,
      causes: { startedSlowed: 1, slowedMidway: 1, waited: 1, big: 1 },
      endedByBackup: 1,
    });
  });

  it('counts the jobs a backup started the instant their attempt fell behind would still leave past the target', () => {
    // Act
    const result = breakdown(
      [
        // Slowed 0.6 s in: a backup then ends at 1.6 s, within 2.5 s.
        job({ latencyMs: 3200, firstAttemptMs: 3000, slowedAfterMs: 600 }),
        // Slowed 1.6 s in: a backup then ends at 2.6 s, and the attempt itself at 3 s.
        job({ latencyMs: 3000, firstAttemptMs: 3000, slowedAfterMs: 1600 }),
        // A stalled attempt on a worker at speed: raced from its start, 1 s.
        job({ latencyMs: 4000, firstAttemptMs: 10_000 }),
        // Waited 2 s: no backup helps.
        job({ latencyMs: 3000, waitMs: 2000 }),
      ],
      2500,
      500,
    );
    // Assess
    expect(result.pastWithInstantBackup).toBe(2);
  });

  it('adds several runs’ breakdowns field by field', () => {
    // Prepare
    const one = breakdown([job({ latencyMs: 3000, slowedAfterMs: 0 }), job({ latencyMs: 1000 })], 2500, 500);
    const two = breakdown([job({ latencyMs: 3000, waitMs: 2000 })], 2500, 500);
    // Act
    const total = sumBreakdowns([one, two]);
    // Assess
    expect(total).toEqual({
      jobs: 3,
      pastTarget: 2,
      causes: { startedSlowed: 1, slowedMidway: 0, waited: 1, big: 0 },
      endedByBackup: 0,
      pastWithInstantBackup: 1,
    });
  });
});
