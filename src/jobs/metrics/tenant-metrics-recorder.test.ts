import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emfPrinted } from '../../../test/helpers/emf-printed.ts';
import { TenantMetricsRecorder } from './tenant-metrics-recorder.ts';

const options = { namespace: 'Test', serviceName: 'test' };
afterEach(() => vi.unstubAllEnvs());

describe('TenantMetricsRecorder', () => {
  it('names the top tenants by starts in each interval and sums up the rest as (other)', () => {
    // Prepare: 2 named; acme 3 starts, globex 2, three small tenants 1 each.
    vi.stubEnv('POWERTOOLS_DEV', '');
    const recorder = new TenantMetricsRecorder(
      (defaultDimensions) => new Metrics({ ...options, defaultDimensions }),
      2,
    );
    for (const [tenant, wait] of [
      ['acme', 10],
      ['acme', 20],
      ['acme', 30],
      ['globex', 5],
      ['globex', 6],
      ['t1', 100],
      ['t2', 200],
      ['t3', 300],
    ] as const)
      recorder.started(tenant, wait);
    // Act
    const flushed = emfPrinted(() => recorder.flush());
    const again = emfPrinted(() => recorder.flush());
    // Assess: one document per bounded tenant, with its count and every wait; nothing left after.
    const byTenant = Object.fromEntries(flushed.map((doc) => [doc.Tenant, doc]));
    expect(Object.keys(byTenant).sort()).toEqual(['(other)', 'acme', 'globex']);
    expect(byTenant.acme).toMatchObject({ TenantJobsStarted: 3, TenantEnqueueToStartMs: [10, 20, 30] });
    expect(byTenant['(other)']).toMatchObject({ TenantJobsStarted: 3, TenantEnqueueToStartMs: [100, 200, 300] });
    const dimensions = (byTenant.acme!._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] })
      .CloudWatchMetrics[0]!.Dimensions;
    expect(dimensions.flat()).toContain('Tenant');
    expect(again).toEqual([]);
  });
});
