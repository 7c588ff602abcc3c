import { tenantView } from '../../src/jobs/tenants/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { tenantDeps, tenantParameter } from '../http/tenants.ts';

/** `GET /tenants/{tenant}`: the tenant's settings as they apply; a tenant never configured has the defaults. */
export const handler = httpHandler(async (event) => json(200, await tenantView(tenantDeps(), tenantParameter(event))));
