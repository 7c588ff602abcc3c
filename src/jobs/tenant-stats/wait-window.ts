import * as hdr from 'hdr-histogram-js';

/** How far back a tenant's wait p99 looks: recent enough to show a flood, long enough to hold a p99. */
export const WAIT_WINDOW_MS = 5 * 60_000;
/** The window is kept as slots of this length; the oldest is dropped whole as time moves on. */
const SLOT_MS = 60_000;

/**
 * Queue waits to the millisecond, 2 significant digits (1 %); `packed` keeps only the counts a tenant
 * has, so a worker can hold thousands of tenants' histograms, and one encodes into a few hundred bytes.
 */
const HISTOGRAM = {
  bitBucketSize: 'packed',
  lowestDiscernibleValue: 1,
  highestTrackableValue: 24 * 3_600_000,
  numberOfSignificantValueDigits: 2,
} as const;

const emptyHistogram = () => hdr.build(HISTOGRAM);

/**
 * One worker's queue waits per tenant over the last `WAIT_WINDOW_MS`: what its report carries
 * (encoded), and what `GET /stats` merges across workers into each tenant's wait p99.
 */
export class TenantWaits {
  /** Per tenant, its histograms by slot (the slot's start, ms). */
  private readonly tenants = new Map<string, Map<number, hdr.Histogram>>();

  record(tenant: string, waitMs: number, now = Date.now()): void {
    const slots = this.tenants.get(tenant) ?? new Map<number, hdr.Histogram>();
    this.tenants.set(tenant, slots);
    const slot = now - (now % SLOT_MS);
    const histogram = slots.get(slot) ?? emptyHistogram();
    slots.set(slot, histogram);
    histogram.recordValue(Math.min(HISTOGRAM.highestTrackableValue, Math.max(0, Math.round(waitMs))));
  }

  /**
   * Each tenant's waits in the window, encoded (compressed base64), for the `limit` tenants with the
   * most starts in it: a report stays small whatever the number of tenants (a DynamoDB item holds 400 KB).
   */
  encoded(limit: number, now = Date.now()): Record<string, string> {
    this.forget(now);
    const windows = [...this.tenants].map(([tenant, slots]) => {
      const window = emptyHistogram();
      for (const histogram of slots.values()) window.add(histogram);
      return { tenant, window };
    });
    windows.sort((a, b) => b.window.totalCount - a.window.totalCount || a.tenant.localeCompare(b.tenant));
    return Object.fromEntries(
      windows.slice(0, limit).map(({ tenant, window }) => [tenant, hdr.encodeIntoCompressedBase64(window)]),
    );
  }

  /** Drops the slots that have left the window, and tenants left with none. */
  private forget(now: number): void {
    for (const [tenant, slots] of this.tenants) {
      for (const slot of slots.keys()) if (slot + SLOT_MS <= now - WAIT_WINDOW_MS) slots.delete(slot);
      if (slots.size === 0) this.tenants.delete(tenant);
    }
  }
}

/**
 * The p99 of the waits several workers reported for one tenant (their encoded windows merged), in
 * milliseconds; null when none started in the window. A report that does not decode is skipped:
 * one odd worker must not take `GET /stats` down.
 */
export function mergedWaitP99(encoded: readonly string[]): number | null {
  const merged = emptyHistogram();
  for (const text of encoded) {
    try {
      merged.add(hdr.decodeFromCompressedBase64(text, HISTOGRAM.bitBucketSize));
    } catch {
      // Skipped, see above.
    }
  }
  return merged.totalCount === 0 ? null : merged.getValueAtPercentile(99);
}
