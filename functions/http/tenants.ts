import { runtime } from '../../src/aws/runtime.ts';
import { InvalidInputError, TenantIdSchema } from '../../src/jobs/model/index.ts';
import type { TenantDeps } from '../../src/jobs/tenants/index.ts';
import type { HttpEvent } from './http-handler.ts';

/** The `{tenant}` path parameter as a tenant id, or a 400 naming it. */
export function tenantParameter(event: HttpEvent): string {
  const tenant = TenantIdSchema.safeParse(event.pathParameters?.tenant);
  if (!tenant.success) throw InvalidInputError.fromZod(tenant.error, 'tenant');
  return tenant.data;
}

/** What the `/tenants` routes work with: the props' settings and the stored overrides. */
export const tenantDeps = (): TenantDeps => ({ config: runtime.tenantsConfig(), overrides: runtime.tenantOverrides() });
