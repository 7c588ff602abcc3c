import type { TransactWriteItem } from '../store/index.ts';

/**
 * A tenant's cap on jobs waiting for their first start (`maxQueued`), as intake keeps it: the
 * implementation is the tenants' (src/jobs/tenants/queued-counts.ts), which intake cannot import
 * (tenants builds on limits, which builds on intake).
 */
export interface QueuedCap {
  /** The tenant's cap now, or undefined when it has none: its jobs are written as before, at no cost. */
  capOf(tenant: string): Promise<number | undefined>;
  /** How many of the tenant's jobs are counted as waiting now. */
  waiting(tenant: string): Promise<number>;
  /** The write that counts one more waiting job unless `cap` are counted: committed with the job. */
  count(tenant: string, cap: number): TransactWriteItem;
  /** Seconds a refused caller is told to wait (`Retry-After`). */
  readonly retryAfterSeconds: number;
}
