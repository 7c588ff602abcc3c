import { describe, expect, it } from 'vitest';
import type { WorkerReport } from '../speculation/index.ts';
import { tenantStats } from './tenant-stats.ts';
import { topTenants } from './top-tenants.ts';
import { TenantWaits } from './wait-window.ts';

describe('tenantStats', () => {
  it("sums each tenant's running attempts over the workers, takes its queued jobs, and merges its waits", () => {
    // Prepare: acme runs on both workers; globex only queued; initech only waited lately.
    const [one, two] = [new TenantWaits(), new TenantWaits()];
    one.record('acme', 100);
    two.record('acme', 300);
    two.record('initech', 50);
    const reports: Pick<WorkerReport, 'tenants'>[] = [
      { tenants: { acme: { running: 2, waits: one.encoded(20).acme! } } },
      {
        tenants: {
          acme: { running: 1, waits: two.encoded(20).acme! },
          initech: { running: 0, waits: two.encoded(20).initech! },
        },
      },
      {}, // a worker older than tenants
    ];
    // Act
    const stats = tenantStats(reports, { globex: 5, acme: 1 });
    // Assess: most running + queued first.
    expect(stats).toEqual([
      { tenant: 'globex', running: 0, queued: 5, waitP99Ms: null },
      { tenant: 'acme', running: 3, queued: 1, waitP99Ms: expect.closeTo(300, -1) }, // 2 significant digits
      { tenant: 'initech', running: 0, queued: 0, waitP99Ms: 50 },
    ]);
  });

  it('lists only the busiest tenants, however many there are', () => {
    // Prepare: 1,000 tenants with 1..1000 queued.
    const queued = Object.fromEntries(Array.from({ length: 1000 }, (_, n) => [`t${n + 1}`, n + 1]));
    // Act
    const stats = tenantStats([], queued, 3);
    // Assess
    expect(stats.map((s) => s.tenant)).toEqual(['t1000', 't999', 't998']);
  });
});

describe('topTenants', () => {
  it('takes the largest counts, ties by name, so the choice is stable', () => {
    const counts = new Map([
      ['b', 2],
      ['a', 2],
      ['c', 9],
      ['d', 1],
    ]);
    expect(topTenants(counts, 3)).toEqual(['c', 'a', 'b']);
    expect(topTenants(counts, 0)).toEqual([]);
  });
});
