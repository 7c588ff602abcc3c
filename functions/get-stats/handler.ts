import { runtime } from '../../src/aws/runtime.ts';
import { collectStats } from '../../src/jobs/admin/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';

/** `GET /stats`: queue and DLQ depths, running and dead jobs per class, live workers and their speed, tenants, type limits. */
export const handler = httpHandler(async () =>
  json(
    200,
    await collectStats({
      sqs: runtime.sqs(),
      topology: runtime.topology(),
      store: runtime.store(),
      workers: runtime.workers(),
      limits: runtime.typeLimits(),
      semaphores: runtime.semaphores,
      checks: runtime.checkRecords(),
      queuedByTenant: () => runtime.tenantBacklogs().queuedByTenant(),
    }),
  ),
);
