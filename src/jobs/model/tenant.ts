import { z } from 'zod';
import type { Job } from './job.ts';

/**
 * Who a job is for: one of the customers sharing a deployment. Quotas, fair shares and per-tenant
 * stats key on it, so it is short and safe in a DynamoDB key, an SQS `MessageGroupId` and a
 * CloudWatch dimension (SQS allows up to 128 of A-Z a-z 0-9 and punctuation; we take a subset).
 */
const TENANT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The tenant of a job submitted without one, and of every job written before tenants existed. */
export const DEFAULT_TENANT = 'default';

export const TenantIdSchema = z
  .string()
  .regex(TENANT_ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 . _ -')
  .meta({ description: 'who the job is for: quotas, fair shares and stats are per tenant', example: 'acme' });

/** A job's tenant; jobs written before tenants existed have none and belong to `default`. */
export const tenantOf = (job: Pick<Job, 'tenant'>): string => job.tenant ?? DEFAULT_TENANT;
