import { CAPACITIES, type Capacity, PRIORITIES, type Priority } from '../model/index.ts';
import { splitPlaces, type TenantWindows } from '../store/index.ts';

/** A tenant's waiting jobs in one queue. */
export interface TenantBacklog {
  tenant: string;
  capacity: Capacity;
  priority: Priority;
  /** Jobs waiting to start: those holding a place (their messages are in the queue) and the held ones. */
  queued: number;
  /** Jobs held behind the tenant's window, not yet sent. */
  held: number;
}

/**
 * Each tenant's waiting jobs per queue, from the windows alone (one read per queue and per hundred
 * windows, whatever the backlogs): for `GET /stats`. Places count until their first claim, so a
 * just-claimed job may count for a moment; a held count may run high for a minute
 * (a cancelled held job; FairDispatch.release forgets it).
 */
export class TenantBacklogs {
  constructor(
    private readonly windows: Pick<TenantWindows, 'list'>,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<TenantBacklog[]> {
    const lanes = CAPACITIES.flatMap((capacity) => PRIORITIES.map((priority) => ({ capacity, priority })));
    const now = this.now();
    return (await this.windows.list(lanes))
      .map(({ tenant, capacity, priority, holders, held }) => ({
        tenant,
        capacity,
        priority,
        queued: splitPlaces(holders, now).live + held,
        held,
      }))
      .filter((backlog) => backlog.queued > 0);
  }

  /** Each tenant's waiting jobs over every queue (`GET /stats`'s `tenants`). */
  async queuedByTenant(): Promise<Record<string, number>> {
    const queued: Record<string, number> = {};
    for (const backlog of await this.list()) queued[backlog.tenant] = (queued[backlog.tenant] ?? 0) + backlog.queued;
    return queued;
  }
}
