import { randomUUID } from 'node:crypto';
import { MAX_SQS_DELAY_SECONDS } from '../dispatch/index.ts';
import { isTerminal, type Job, tenantOf } from '../model/index.ts';
import type { RateWindows, Semaphores } from '../store/index.ts';
import { concurrencyKey, rateWindow, type TypeLimit, type TypeLimits } from './type-limits.ts';

/**
 * One limit a job runs under, by the name its counters are kept under: a job type's (`render`), or
 * a tenant's (`tenant#acme`: a type name has no `#`, so the two never share a counter).
 */
export interface NamedLimit extends Partial<TypeLimit> {
  readonly name: string;
  /** Said before a refusal's reason (`tenant acme`); a type's needs none, as before tenants. */
  readonly label?: string;
}

/** The counter name of a tenant's limits. */
export const tenantLimitName = (tenant: string): string => `tenant#${tenant}`;

/**
 * The places an attempt holds within the concurrency limits it runs under (its type's, its
 * tenant's): taken before its claim, given back after it has settled, so the attempts' recorded
 * runs never overlap more than a limit allows. One holder id in each limit's semaphore.
 */
export interface LimitSlot {
  /** The limits' names (as NamedLimit.name). */
  readonly names: readonly string[];
  readonly holder: string;
}

/** Whether an attempt may start now; a refused one waits in its queue, its attempts untouched. */
export type Admission =
  | { admitted: true; slot?: LimitSlot }
  | { admitted: false; retryInSeconds: number; reason: string };

export interface JobLimiterOptions {
  /** How long a slot outlives its last renewal: the attempt's lease, so a dead worker's slot frees with its job. */
  leaseMs: number;
  /** @default Math.random */
  random?: () => number;
  /**
   * The tenant's limits as they apply now (its settings, read through a short cache), or none.
   * @default no tenant is limited
   */
  tenantLimit?: (tenant: string) => Promise<Partial<TypeLimit>>;
}

/** The job fields admission needs: a worker knows them from the message, or else from a read. */
export type LimitedJob = Pick<Job, 'type' | 'status' | 'tenant'>;

const ADMITTED: Admission = { admitted: true };

/**
 * Concurrency and rate limits on job types and tenants, kept by the workers themselves: a
 * concurrency limit is a leased semaphore, a rate limit a count of starts per fixed window, both
 * conditional writes in the coordination table. A job runs under every limit that applies to it
 * (its type's and its tenant's) and takes a place in each, or none; a job under no limit costs no
 * write.
 */
export class JobLimiter {
  private readonly random: () => number;

  constructor(
    private readonly limits: TypeLimits,
    private readonly counters: { semaphores: Semaphores; rateWindows: RateWindows },
    private readonly options: JobLimiterOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  /**
   * Takes a slot and a start in each limit `job` runs under. Nothing to take for a job that is gone
   * or finished: its message is dropped without a run.
   */
  async admit(job: LimitedJob | undefined, now = Date.now()): Promise<Admission> {
    if (!job || isTerminal(job.status)) return ADMITTED;
    const limits = await this.limitsOf(job);
    if (limits.length === 0) return ADMITTED;
    const holder = randomUUID();
    const held: string[] = [];
    const slot = (): LimitSlot => ({ names: held, holder });
    // Concurrency first: a start counted in a window and then refused a slot would be a start wasted.
    for (const limit of limits) {
      if (limit.concurrency === undefined) continue;
      const until = now + this.options.leaseMs;
      if (
        !(await this.counters.semaphores.acquire(concurrencyKey(limit.name), holder, limit.concurrency, until, now))
      ) {
        // Whatever was taken would sit idle while the message waits.
        await this.release(slot());
        // Jittered, so the waiting messages of a busy type do not all come back in the same second.
        const retryInSeconds = 1 + Math.floor(this.random() * 2);
        return {
          admitted: false,
          retryInSeconds,
          reason: refusal(limit, `${limit.concurrency} running (concurrency limit)`),
        };
      }
      held.push(limit.name);
    }
    for (const limit of limits) {
      if (limit.perSecond === undefined) continue;
      const window = rateWindow(limit.perSecond);
      const index = Math.floor(now / window.ms);
      const endsAt = (index + 1) * window.ms;
      if (!(await this.counters.rateWindows.take(`rate#${limit.name}#${index}`, window.starts, endsAt))) {
        await this.release(slot());
        const retryInSeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(1, Math.ceil((endsAt - now) / 1000)));
        return {
          admitted: false,
          retryInSeconds,
          reason: refusal(limit, `${limit.perSecond} starts per second (rate limit)`),
        };
      }
    }
    return held.length > 0 ? { admitted: true, slot: slot() } : ADMITTED;
  }

  /** Extends the slot with the attempt's lease; false when a place was lost (not renewed for a whole lease). */
  async renew(slot: LimitSlot, now = Date.now()): Promise<boolean> {
    const until = now + this.options.leaseMs;
    const renewed = await Promise.all(
      slot.names.map((name) => this.counters.semaphores.renew(concurrencyKey(name), slot.holder, until)),
    );
    return renewed.every(Boolean);
  }

  async release(slot: LimitSlot): Promise<void> {
    await Promise.all(slot.names.map((name) => this.counters.semaphores.release(concurrencyKey(name), slot.holder)));
  }

  /** The limits `job` runs under: its type's, then its tenant's. */
  private async limitsOf(job: LimitedJob): Promise<NamedLimit[]> {
    const limits: NamedLimit[] = [];
    const typeLimit = this.limits[job.type];
    if (typeLimit) limits.push({ ...typeLimit, name: job.type });
    if (this.options.tenantLimit) {
      const tenant = tenantOf(job);
      const { concurrency, perSecond } = await this.options.tenantLimit(tenant);
      if (concurrency !== undefined || perSecond !== undefined) {
        limits.push({ concurrency, perSecond, name: tenantLimitName(tenant), label: `tenant ${tenant}` });
      }
    }
    return limits;
  }
}

const refusal = (limit: NamedLimit, what: string) => (limit.label ? `${limit.label}: ${what}` : what);
