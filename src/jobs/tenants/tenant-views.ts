import type { TenantOverrides } from './tenant-overrides.ts';
import {
  type ResolvedTenantSettings,
  resolveTenantSettings,
  type TenantSettings,
  type TenantsConfig,
} from './tenant-settings.ts';

/** What the `/tenants` routes work with: the props' settings and the stored overrides. */
export interface TenantDeps {
  config: TenantsConfig;
  overrides: Pick<TenantOverrides, 'get' | 'put' | 'delete' | 'list'>;
}

/** A tenant's settings as they apply (read now, not through the workers' cache), and what it has stored. */
export interface TenantView {
  tenant: string;
  settings: ResolvedTenantSettings;
  /** Its override stored at run time (`PUT /tenants/{tenant}`), if any. */
  stored?: TenantSettings;
}

const view = (deps: TenantDeps, tenant: string, stored: TenantSettings | undefined): TenantView => ({
  tenant,
  settings: resolveTenantSettings(deps.config, tenant, stored),
  ...(stored && { stored }),
});

/** Any tenant's settings: one without settings of its own has the defaults. */
export async function tenantView(deps: TenantDeps, tenant: string): Promise<TenantView> {
  return view(deps, tenant, await deps.overrides.get(tenant));
}

/** Every tenant with settings of its own, in the props or stored, by id. */
export async function listTenants(deps: TenantDeps): Promise<TenantView[]> {
  const stored = await deps.overrides.list();
  const tenants = new Set([...Object.keys(deps.config.overrides ?? {}), ...stored.keys()]);
  return [...tenants].sort().map((tenant) => view(deps, tenant, stored.get(tenant)));
}

/** Stores the tenant's settings, replacing any stored before: workers and intake apply them within their cache's time. */
export async function putTenant(deps: TenantDeps, tenant: string, settings: TenantSettings): Promise<TenantView> {
  await deps.overrides.put(tenant, settings);
  return view(deps, tenant, settings);
}

/** Drops the tenant's stored settings: the props' apply again. */
export async function deleteTenant(deps: TenantDeps, tenant: string): Promise<TenantView & { deleted: boolean }> {
  const deleted = await deps.overrides.delete(tenant);
  return { ...view(deps, tenant, undefined), deleted };
}
