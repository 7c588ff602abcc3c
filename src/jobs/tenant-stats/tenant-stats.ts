import type { WorkerReport } from '../speculation/index.ts';
import { topTenants } from './top-tenants.ts';
import { mergedWaitP99 } from './wait-window.ts';

/** One tenant in `GET /stats`. */
export interface TenantStat {
  tenant: string;
  /** Attempts of its jobs running now, as the live workers report them. */
  running: number;
  /** Its jobs waiting to start, as the fair dispatcher holds them. */
  queued: number;
  /** p99 of its jobs' queue wait (ready → the attempt's start) over the last 5 minutes; null when none started. */
  waitP99Ms: number | null;
}

/** How many tenants `GET /stats` lists: the busiest, so the answer stays small with any number of tenants. */
export const TENANT_STATS_LIMIT = 20;

/** Each tenant's queued jobs, by tenant (the fair dispatcher's backlogs). */
export type QueuedByTenant = () => Promise<Record<string, number>>;

/**
 * The `limit` tenants with the most jobs running and queued (ties by name), each with its wait p99
 * merged from the waits every live worker reported for it.
 */
export function tenantStats(
  reports: readonly Pick<WorkerReport, 'tenants'>[],
  queued: Readonly<Record<string, number>>,
  limit = TENANT_STATS_LIMIT,
): TenantStat[] {
  const running = new Map<string, number>();
  const waits = new Map<string, string[]>();
  for (const [tenant, load] of reports.flatMap((report) => Object.entries(report.tenants ?? {}))) {
    running.set(tenant, (running.get(tenant) ?? 0) + load.running);
    if (load.waits !== undefined) waits.set(tenant, [...(waits.get(tenant) ?? []), load.waits]);
  }
  const load = new Map<string, number>();
  for (const tenant of new Set([...running.keys(), ...waits.keys(), ...Object.keys(queued)]))
    load.set(tenant, (running.get(tenant) ?? 0) + (queued[tenant] ?? 0));
  return topTenants(load, limit).map((tenant) => ({
    tenant,
    running: running.get(tenant) ?? 0,
    queued: queued[tenant] ?? 0,
    waitP99Ms: mergedWaitP99(waits.get(tenant) ?? []),
  }));
}
