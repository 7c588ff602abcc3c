import { describe, expect, it } from 'vitest';
import { quantileInterval } from './metrics.ts';

describe('quantileInterval', () => {
  it('brackets the p99 by the order statistics the binomial spread allows', () => {
    // Prepare: 10,000 samples 1…10,000 ms; the p99's rank is 9,900 ± 1.96·√99 ≈ ±19.5.
    const samples = Array.from({ length: 10_000 }, (_, i) => i + 1);
    // Act
    const [low, high] = quantileInterval(samples, 0.99);
    // Assess
    expect(low).toBe(9881);
    expect(high).toBe(9921);
  });
});
