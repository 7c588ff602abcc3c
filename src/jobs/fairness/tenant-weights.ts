/**
 * A tenant's share of each queue against the other tenants with work there (1 unless set). The
 * runtime answers it from the tenant settings (src/jobs/tenants), read through their cache.
 */
export interface TenantWeights {
  weightOf(tenant: string): Promise<number>;
}
