/** The name tenants outside the top N go by in bounded views (CloudWatch's `Tenant` dimension): no tenant id has parentheses. */
export const OTHER_TENANTS = '(other)';

/**
 * The `n` tenants with the largest counts, largest first (ties by name, so the choice is stable):
 * how every per-tenant view stays bounded however many tenants a deployment has.
 */
export function topTenants(counts: ReadonlyMap<string, number>, n: number): string[] {
  return [...counts]
    .sort(([a, ca], [b, cb]) => cb - ca || a.localeCompare(b))
    .slice(0, n)
    .map(([tenant]) => tenant);
}
