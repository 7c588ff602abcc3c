/**
 * What the API takes, as the client needs it: a job's body and the limits it splits batches by.
 * Intake checks them (src/jobs/intake); the contract is where the client reads them, so it never
 * reaches into the domain's intake.
 */
export type { JobRequestInput } from '../jobs/intake/index.ts';
export { MAX_BATCH_BYTES, MAX_BATCH_JOBS, MAX_REQUEST_PAYLOAD_BYTES } from '../jobs/intake/index.ts';
export { OVERLAP_POLICIES, type ScheduleRequestInput } from '../jobs/schedules/index.ts';
/** `PUT /tenants/{tenant}`'s body: a tenant's weight and quotas. */
export type { TenantSettings } from '../jobs/tenants/index.ts';
export type { WorkflowRequestInput } from '../jobs/workflows/index.ts';
