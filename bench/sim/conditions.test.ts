import { describe, expect, it } from 'vitest';
import { episodic, steady } from './conditions.ts';

describe('WorkerConditions.slowFrom', () => {
  it('finds a steady slow worker slowed from the start, and a worker at speed never', () => {
    // Act
    const conditions = steady((worker) => (worker === 0 ? 5 : 1));
    // Assess
    expect(conditions.slowFrom(0, 100, 200)).toBe(100);
    expect(conditions.slowFrom(1, 100, 200)).toBeUndefined();
  });

  it('finds the start of the first episode in the span, or the span’s start inside one', () => {
    // Prepare: worker 0 slowed over [1000, 2000) and [5000, 6000).
    const conditions = episodic([[1000, 5000]], 1000, 5);
    // Act and assess
    expect(conditions.slowFrom(0, 0, 3000)).toBe(1000);
    expect(conditions.slowFrom(0, 1500, 3000)).toBe(1500);
    expect(conditions.slowFrom(0, 2000, 5000)).toBeUndefined();
    expect(conditions.slowFrom(0, 2000, Number.POSITIVE_INFINITY)).toBe(5000);
    expect(conditions.slowFrom(1, 0, 9000)).toBeUndefined();
  });
});
