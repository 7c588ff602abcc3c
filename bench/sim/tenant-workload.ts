import { exponential, type Random } from './random.ts';

/**
 * The fairness experiment's tenants: `tenants` of Zipf-distributed sizes (tenant k of n sends a
 * share ∝ 1 / k^exponent of `jobs`, at least one), each sending its jobs as a Poisson stream over
 * the first `spreadMs`, plus quiet tenants sending one job every `quietIntervalMs` from the start
 * until the busy tenants' last job has started (the simulation stops them).
 */
export interface TenantWorkload {
  tenants: number;
  exponent: number;
  jobs: number;
  spreadMs: number;
  quietTenants: number;
  quietIntervalMs: number;
}

export const zipfTenant = (rank: number) => `zipf-${String(rank).padStart(3, '0')}`;
export const quietTenant = (i: number) => `quiet-${i + 1}`;

/** Each Zipf tenant's job count, biggest first; they add up to `jobs` (rounding goes to the biggest). */
export function zipfSizes(tenants: number, exponent: number, jobs: number): number[] {
  const weights = Array.from({ length: tenants }, (_, k) => 1 / (k + 1) ** exponent);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / total) * jobs)));
  sizes[0]! += jobs - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

/** The busy tenants' submits, in time order: `[atMs, tenant]`. */
export function zipfArrivals(workload: TenantWorkload, random: Random): [number, string][] {
  const arrivals: [number, string][] = [];
  zipfSizes(workload.tenants, workload.exponent, workload.jobs).forEach((size, k) => {
    const meanGapMs = workload.spreadMs / size;
    // A random phase, so small tenants do not all send their first job at zero.
    let at = random() * meanGapMs;
    for (let i = 0; i < size; i++, at += exponential(random, meanGapMs)) arrivals.push([at, zipfTenant(k + 1)]);
  });
  return arrivals.sort((a, b) => a[0] - b[0]);
}
