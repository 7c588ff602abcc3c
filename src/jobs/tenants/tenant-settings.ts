import { z } from 'zod';
import { TenantIdSchema } from '../model/index.ts';

/** Largest weight: a tenant's share of capacity against another's is at most 1,000 : 1. */
export const MAX_WEIGHT = 1000;
/** The weight of a tenant nobody gave one. */
export const DEFAULT_WEIGHT = 1;
/** Most attempts of one tenant at once: each holds a place in one semaphore item (as a type's limit does). */
export const MAX_TENANT_CONCURRENCY = 1000;
/** Most starts of one tenant per second: each is a write to one rate-window item. */
export const MAX_TENANT_PER_SECOND = 500;
/** Most jobs one tenant may have waiting: a counter, so only DynamoDB's numbers bound it; this keeps typos out. */
export const MAX_QUEUED_CAP = 10_000_000;

/**
 * One tenant's settings, each optional: its weight for fair shares, and its quotas. Strict, so a
 * misspelt quota is an error rather than a quota silently not kept.
 */
export const TenantSettingsSchema = z
  .strictObject({
    /** Its share of capacity against other tenants with work, in proportion (1-1000; default 1). */
    weight: z.int().min(1).max(MAX_WEIGHT).optional(),
    /** At most this many of its attempts run at once (a speculative backup counts). */
    concurrency: z.int().min(1).max(MAX_TENANT_CONCURRENCY).optional(),
    /** At most this many of its attempts start per second; fractions allowed (0.5: one every 2 s). */
    perSecond: z.number().positive().max(MAX_TENANT_PER_SECOND).optional(),
    /** At most this many of its jobs wait for their first start; a submit past it is refused (429). */
    maxQueued: z.int().min(1).max(MAX_QUEUED_CAP).optional(),
  })
  .meta({ description: "a tenant's weight and quotas; a field left out has no quota" });
export type TenantSettings = z.output<typeof TenantSettingsSchema>;

/** Settings as they apply: a weight always, each quota only when set. */
export type ResolvedTenantSettings = TenantSettings & { weight: number };

/** The construct's `tenants` prop: settings for every tenant, and per-tenant overrides of them. */
export const TenantsConfigSchema = z.strictObject({
  defaults: TenantSettingsSchema.optional(),
  overrides: z.record(TenantIdSchema, TenantSettingsSchema).optional(),
});
export type TenantsConfig = z.output<typeof TenantsConfigSchema>;

/**
 * A tenant's settings: the defaults, overridden field by field by the props' override, then by the
 * override stored at run time. A field of a later layer replaces the earlier one's; a field it
 * leaves out keeps it.
 */
export function resolveTenantSettings(
  config: TenantsConfig,
  tenant: string,
  stored: TenantSettings | undefined,
): ResolvedTenantSettings {
  return { weight: DEFAULT_WEIGHT, ...config.defaults, ...config.overrides?.[tenant], ...stored };
}
