export { QUEUE_FULL_RETRY_SECONDS, QueuedCounts, queuedCountName } from './queued-counts.ts';
export { TenantOverrides, tenantItemName } from './tenant-overrides.ts';
export {
  DEFAULT_WEIGHT,
  MAX_QUEUED_CAP,
  MAX_TENANT_CONCURRENCY,
  MAX_TENANT_PER_SECOND,
  MAX_WEIGHT,
  type ResolvedTenantSettings,
  resolveTenantSettings,
  type TenantSettings,
  TenantSettingsSchema,
  type TenantsConfig,
  TenantsConfigSchema,
} from './tenant-settings.ts';
export { TENANT_SETTINGS_CACHE_MS, TenantSettingsReader } from './tenant-settings-reader.ts';
export { deleteTenant, listTenants, putTenant, type TenantDeps, type TenantView, tenantView } from './tenant-views.ts';
