import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { putTenant, TenantSettingsSchema } from '../../src/jobs/tenants/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { tenantDeps, tenantParameter } from '../http/tenants.ts';

/** `PUT /tenants/{tenant}`: stores the tenant's settings (the body), replacing those stored before. */
export const handler = httpHandler(async (event) => {
  const tenant = tenantParameter(event);
  const settings = TenantSettingsSchema.safeParse(jsonObjectBody(event));
  if (!settings.success) throw InvalidInputError.fromZod(settings.error);
  return json(200, await putTenant(tenantDeps(), tenant, settings.data));
});
