import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.ts';
import { zipfArrivals, zipfSizes, zipfTenant } from './tenant-workload.ts';

describe('Zipf tenants', () => {
  it('sizes them biggest first, ∝ 1/k^s, adding up to the jobs asked for, none empty', () => {
    // Act
    const sizes = zipfSizes(100, 1.1, 30_000);
    // Assess
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(sizes.every((size, k) => k === 0 || size <= sizes[k - 1]!)).toBe(true);
    expect(sizes.at(-1)).toBeGreaterThanOrEqual(1);
    expect(sizes[0]! / sizes[9]!).toBeCloseTo(10 ** 1.1, 0);
  });

  it('sends each tenant’s jobs in time order, as a seed replays them', () => {
    // Prepare
    const workload = { tenants: 5, exponent: 1, jobs: 500, spreadMs: 10_000, quietTenants: 0, quietIntervalMs: 1000 };
    // Act
    const arrivals = zipfArrivals(workload, mulberry32(7));
    // Assess
    expect(arrivals).toHaveLength(500);
    expect(arrivals.every(([at], i) => i === 0 || at >= arrivals[i - 1]![0])).toBe(true);
    expect(arrivals.filter(([, tenant]) => tenant === zipfTenant(1))).toHaveLength(zipfSizes(5, 1, 500)[0]!);
    expect(zipfArrivals(workload, mulberry32(7))).toEqual(arrivals);
  });
});
