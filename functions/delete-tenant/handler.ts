import { deleteTenant } from '../../src/jobs/tenants/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { tenantDeps, tenantParameter } from '../http/tenants.ts';

/** `DELETE /tenants/{tenant}`: drops the tenant's stored settings; the props' apply again. */
export const handler = httpHandler(async (event) =>
  json(200, await deleteTenant(tenantDeps(), tenantParameter(event))),
);
