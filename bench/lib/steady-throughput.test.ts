import { describe, expect, it } from 'vitest';
import { steadyThroughput } from './steady-throughput.ts';

describe('steadyThroughput', () => {
  it('measures the rate of the middle of the burst, not its ramp-up or drain', () => {
    const rampUp = [0, 2000, 3000, 3500, 3800, 3900, 3950, 3980, 3990, 3995, 3999];
    const steady = Array.from({ length: 80 }, (_, i) => 4000 + i * 50); // 20/s
    const drain = [9000, 12_000, 15_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000];
    expect(steadyThroughput([...drain, ...steady, ...rampUp])).toBeCloseTo(20, 0);
  });

  it('refuses a burst too small to measure', () => {
    expect(() => steadyThroughput([1000])).toThrow('too few finishes');
    expect(() => steadyThroughput([1000, 1000, 1000, 1000, 1000])).toThrow('too few finishes');
  });
});
