import type { TenantOverrides } from './tenant-overrides.ts';
import { type ResolvedTenantSettings, resolveTenantSettings, type TenantsConfig } from './tenant-settings.ts';

/** How long a tenant's settings are used before they are read again: a change acts within this. */
export const TENANT_SETTINGS_CACHE_MS = 5000;

/**
 * A tenant's settings as they apply now: the props' layers resolved over the stored override,
 * which is read at most once per tenant per TENANT_SETTINGS_CACHE_MS (one GetItem), so a change
 * made at run time acts everywhere within that time and a busy worker pays one read per tenant
 * every few seconds. A failed read keeps the last settings read (or throws when there are none).
 */
export class TenantSettingsReader {
  private readonly cache = new Map<string, { settings: Promise<ResolvedTenantSettings>; readAt: number }>();

  constructor(
    private readonly config: TenantsConfig,
    private readonly overrides: Pick<TenantOverrides, 'get'>,
    private readonly options: { cacheMs?: number; now?: () => number } = {},
  ) {}

  get(tenant: string): Promise<ResolvedTenantSettings> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(tenant);
    if (cached && now - cached.readAt < (this.options.cacheMs ?? TENANT_SETTINGS_CACHE_MS)) return cached.settings;
    const settings = this.overrides
      .get(tenant)
      .then((stored) => resolveTenantSettings(this.config, tenant, stored))
      .catch((error: unknown) => {
        if (!cached) {
          this.cache.delete(tenant);
          throw error;
        }
        return cached.settings;
      });
    this.cache.set(tenant, { settings, readAt: now });
    return settings;
  }
}
