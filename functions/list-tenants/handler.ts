import { listTenants } from '../../src/jobs/tenants/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { tenantDeps } from '../http/tenants.ts';

/** `GET /tenants`: every tenant with settings of its own (props or stored), as they apply. */
export const handler = httpHandler(async () => json(200, { tenants: await listTenants(tenantDeps()) }));
