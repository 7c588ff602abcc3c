import { randomUUID } from 'node:crypto';
import { MAX_SQS_DELAY_SECONDS } from '../dispatch/index.ts';
import { isTerminal, type Job } from '../model/index.ts';
import type { RateWindows, Semaphores } from '../store/index.ts';
import { concurrencyKey, rateWindow, type TypeLimits } from './type-limits.ts';

/**
 * A place an attempt holds within its type's concurrency limit: taken before its claim, given back
 * after it has settled, so the attempts' recorded runs never overlap more than the limit allows.
 */
export interface LimitSlot {
  readonly type: string;
  readonly holder: string;
}

/** Whether an attempt may start now; a refused one waits in its queue, its attempts untouched. */
export type Admission =
  | { admitted: true; slot?: LimitSlot }
  | { admitted: false; retryInSeconds: number; reason: string };

export interface TypeLimiterOptions {
  /** How long a slot outlives its last renewal: the attempt's lease, so a dead worker's slot frees with its job. */
  leaseMs: number;
  /** @default Math.random */
  random?: () => number;
}

const ADMITTED: Admission = { admitted: true };

/**
 * Per-type limits, kept by the workers themselves: a concurrency limit is a leased semaphore, a
 * rate limit a count of starts per fixed window, both conditional writes in the coordination
 * table. A type without limits costs no request.
 */
export class TypeLimiter {
  private readonly random: () => number;

  constructor(
    private readonly limits: TypeLimits,
    private readonly counters: { semaphores: Semaphores; rateWindows: RateWindows },
    private readonly options: TypeLimiterOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  /**
   * Takes a slot and a start for `job` when its type is limited. Nothing to take for a job that is
   * gone or finished: its message is dropped without a run.
   */
  async admit(job: Pick<Job, 'type' | 'status'> | undefined, now = Date.now()): Promise<Admission> {
    const limit = job && !isTerminal(job.status) ? this.limits[job.type] : undefined;
    if (!job || !limit) return ADMITTED;
    const { type } = job;
    let slot: LimitSlot | undefined;
    if (limit.concurrency !== undefined) {
      const holder = randomUUID();
      const until = now + this.options.leaseMs;
      if (!(await this.counters.semaphores.acquire(concurrencyKey(type), holder, limit.concurrency, until, now))) {
        // Jittered, so the waiting messages of a busy type do not all come back in the same second.
        const retryInSeconds = 1 + Math.floor(this.random() * 2);
        return { admitted: false, retryInSeconds, reason: `${limit.concurrency} running (concurrency limit)` };
      }
      slot = { type, holder };
    }
    if (limit.perSecond !== undefined) {
      const window = rateWindow(limit.perSecond);
      const index = Math.floor(now / window.ms);
      const endsAt = (index + 1) * window.ms;
      if (!(await this.counters.rateWindows.take(`rate#${type}#${index}`, window.starts, endsAt))) {
        // The slot would sit idle while the message waits for the next window.
        if (slot) await this.release(slot);
        const retryInSeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(1, Math.ceil((endsAt - now) / 1000)));
        return { admitted: false, retryInSeconds, reason: `${limit.perSecond} starts per second (rate limit)` };
      }
    }
    return { admitted: true, slot };
  }

  /** Extends the slot with the attempt's lease; false when it was lost (not renewed for a whole lease). */
  renew(slot: LimitSlot, now = Date.now()): Promise<boolean> {
    return this.counters.semaphores.renew(concurrencyKey(slot.type), slot.holder, now + this.options.leaseMs);
  }

  release(slot: LimitSlot): Promise<void> {
    return this.counters.semaphores.release(concurrencyKey(slot.type), slot.holder);
  }
}
