export { type QueuedByTenant, TENANT_STATS_LIMIT, type TenantStat, tenantStats } from './tenant-stats.ts';
export { OTHER_TENANTS, topTenants } from './top-tenants.ts';
export { mergedWaitP99, TenantWaits, WAIT_WINDOW_MS } from './wait-window.ts';
