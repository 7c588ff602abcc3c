import { describe, expect, it } from 'vitest';
import { bucketOf, type Histogram, mergeHistograms, percentile, recentWindows, windowKey } from './latency-stats.ts';

const histogramOf = (samples: number[]): Histogram => {
  const buckets = new Map<number, number>();
  for (const ms of samples) buckets.set(bucketOf(ms), (buckets.get(bucketOf(ms)) ?? 0) + 1);
  return { count: samples.length, buckets };
};

describe('latency histograms', () => {
  it('put each run time in a quarter-octave bucket', () => {
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(2)).toBe(4);
    expect(bucketOf(1000)).toBe(39);
    expect(bucketOf(0)).toBe(0);
  });

  it('estimate percentiles within one bucket (≈19 %) above the true value', () => {
    // Prepare: 1..1000 ms uniformly.
    const histogram = histogramOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Act
    const p50 = percentile(histogram, 0.5)!;
    const p99 = percentile(histogram, 0.99)!;
    // Assess
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(500 * 1.19 ** 2);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(990 * 1.19 ** 2);
  });

  it('keep each key in 10-minute windows and read the last hour of them, so an old normal ages out', () => {
    const now = 1_764_000_000_000;
    const read = recentWindows('sleep#cpu', now);
    expect(read).toHaveLength(6);
    expect(read).toContain(windowKey('sleep#cpu', now));
    expect(read).toContain(windowKey('sleep#cpu', now - 45 * 60_000));
    expect(read).not.toContain(windowKey('sleep#cpu', now - 61 * 60_000));
  });

  it('merge windows by adding their buckets', () => {
    const merged = mergeHistograms([histogramOf([2000, 2000, 2100]), histogramOf([1900]), histogramOf([])]);
    expect(merged.count).toBe(4);
    expect(percentile(merged, 0.5)).toBeGreaterThanOrEqual(1900);
    expect(percentile(merged, 0.5)).toBeLessThanOrEqual(2100 * 1.19);
  });

  it('have no percentile when empty', () => {
    expect(percentile({ count: 0, buckets: new Map() }, 0.5)).toBeUndefined();
  });
});
