import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OTHER_TENANTS, topTenants } from '../tenant-stats/index.ts';
import { JobMetric } from './job-metrics.ts';

/** The one dimension of the per-tenant metrics (with Powertools' `service`). */
export const TENANT_DIMENSION = 'Tenant';

/** Tenants named in each worker's emission interval; the rest are summed up as `(other)`. */
export const TENANT_METRICS_TOP = 10;

/**
 * Per-tenant starts and queue waits as EMF with one dimension, `Tenant`, whose values are bounded:
 * each flush names the `top` tenants with the most starts since the last one and puts the rest under
 * `(other)`, so a worker writes at most `top` + 1 series per metric per interval however many tenants
 * there are (CloudWatch bills every distinct dimension value as a metric: one per tenant would grow
 * without bound). The waits are kept only until the flush, which the worker runs each heartbeat.
 */
export class TenantMetricsRecorder {
  private waits = new Map<string, number[]>();

  constructor(
    private readonly metricsFor: (dimensions: Record<typeof TENANT_DIMENSION, string>) => Metrics,
    private readonly top = TENANT_METRICS_TOP,
  ) {}

  started(tenant: string, waitMs: number): void {
    const waits = this.waits.get(tenant) ?? [];
    this.waits.set(tenant, waits);
    waits.push(waitMs);
  }

  flush(): void {
    const named = new Set(topTenants(new Map([...this.waits].map(([t, waits]) => [t, waits.length])), this.top));
    const bounded = new Map<string, number[]>();
    for (const [tenant, waits] of this.waits) {
      const name = named.has(tenant) ? tenant : OTHER_TENANTS;
      bounded.set(name, [...(bounded.get(name) ?? []), ...waits]);
    }
    this.waits = new Map();
    for (const [tenant, waits] of bounded) {
      const metrics = this.metricsFor({ [TENANT_DIMENSION]: tenant });
      metrics.addMetric(JobMetric.tenantStarts, MetricUnit.Count, waits.length);
      for (const wait of waits) metrics.addMetric(JobMetric.tenantEnqueueToStart, MetricUnit.Milliseconds, wait);
      metrics.publishStoredMetrics();
    }
  }
}
