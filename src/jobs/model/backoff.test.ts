import { describe, expect, it } from 'vitest';
import { BackoffSchema, backoffSeconds } from './backoff.ts';

const policy = (overrides: object) => BackoffSchema.parse({ jitter: 'none', ...overrides });

describe('backoffSeconds', () => {
  it('doubles from the base for exponential backoff, up to the cap', () => {
    // Prepare
    const exponential = policy({ strategy: 'exponential', baseSeconds: 2, maxSeconds: 20 });
    // Act
    const delays = [1, 2, 3, 4, 5].map((n) => backoffSeconds(exponential, n));
    // Assess
    expect(delays).toEqual([2, 4, 8, 16, 20]);
  });

  it('adds the base for linear backoff, up to the cap', () => {
    const linear = policy({ strategy: 'linear', baseSeconds: 3, maxSeconds: 10 });
    expect([1, 2, 3, 4].map((n) => backoffSeconds(linear, n))).toEqual([3, 6, 9, 10]);
  });

  it('draws full jitter uniformly between zero and the delay', () => {
    const jittered = policy({ strategy: 'exponential', baseSeconds: 4, maxSeconds: 100, jitter: 'full' });
    expect(backoffSeconds(jittered, 3, () => 0)).toBe(0);
    expect(backoffSeconds(jittered, 3, () => 0.5)).toBe(8);
    expect(backoffSeconds(jittered, 3, () => 0.999)).toBeCloseTo(15.984);
  });
});
