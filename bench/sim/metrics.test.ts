import { describe, expect, it } from 'vitest';
import { bootstrapMeanInterval, costPct } from './metrics.ts';

describe('bootstrapMeanInterval', () => {
  it('brackets the mean of the seeds’ values, narrower than their range, and replays from its seed', () => {
    // Prepare: ten seeds' p99s, 1000…10000 ms (mean 5500).
    const perSeed = Array.from({ length: 10 }, (_, i) => 1000 * (i + 1));
    // Act
    const [low, high] = bootstrapMeanInterval(perSeed);
    // Assess
    expect(low).toBeLessThan(5500);
    expect(high).toBeGreaterThan(5500);
    expect(low).toBeGreaterThan(1000);
    expect(high).toBeLessThan(10_000);
    expect(bootstrapMeanInterval(perSeed)).toEqual([low, high]);
    expect(bootstrapMeanInterval([700, 700, 700])).toEqual([700, 700]);
  });
});

describe('costPct', () => {
  it('counts losing attempts, probation’s idle slots and added workers against the winners', () => {
    expect(costPct({ winnerSlotMs: 2000, loserSlotMs: 500, probationIdleSlotMs: 300, addedWorkerSlotMs: 200 })).toBe(
      50,
    );
    expect(costPct({ winnerSlotMs: 0, loserSlotMs: 0, probationIdleSlotMs: 0, addedWorkerSlotMs: 0 })).toBe(0);
  });
});
