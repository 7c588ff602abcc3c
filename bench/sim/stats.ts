import {
  bucketOf,
  type Histogram,
  mergeHistograms,
  type RunTimes,
  recentWindows,
  runTimesOf,
  windowKey,
} from '../../src/jobs/speculation/latency-stats.ts';

/**
 * The latency statistics table in memory, on the virtual clock: the same 10-minute windows,
 * the same log-scale buckets and the same percentile as LatencyStatsStore, without DynamoDB.
 */
export class SimLatencyStats {
  private readonly windows = new Map<string, Histogram>();
  /** Exact run times per key, for the hedging baselines (the policy code reads the histograms). */
  private readonly exact = new Map<string, { values: number[]; sorted: number[] }>();

  constructor(private readonly now: () => number) {}

  record(key: string, ms: number): void {
    const window = windowKey(key, this.now());
    const histogram = this.windows.get(window) ?? { count: 0, buckets: new Map<number, number>() };
    const bucket = bucketOf(ms);
    histogram.count++;
    histogram.buckets.set(bucket, (histogram.buckets.get(bucket) ?? 0) + 1);
    this.windows.set(window, histogram);
    const exact = this.exact.get(key) ?? { values: [], sorted: [] };
    exact.values.push(ms);
    this.exact.set(key, exact);
  }

  /**
   * An exact quantile of every run time recorded (re-sorted every 200 records), for the hedging
   * baselines: the histograms' 19 % buckets would give p90 and p95 the same threshold.
   */
  exactQuantile(key: string, fraction: number, minSamples: number): number | undefined {
    const exact = this.exact.get(key);
    if (!exact || exact.values.length < minSamples) return undefined;
    if (exact.sorted.length === 0 || exact.values.length - exact.sorted.length >= 200)
      exact.sorted = [...exact.values].sort((a, b) => a - b);
    return exact.sorted[Math.min(exact.sorted.length - 1, Math.floor(fraction * exact.sorted.length))];
  }

  private recent(key: string): Histogram {
    return mergeHistograms(recentWindows(key, this.now()).flatMap((window) => this.windows.get(window) ?? []));
  }

  /** LatencyStatsStore.median's contract, for the detector and the speed meters. */
  median = async (key: string, minSamples: number): Promise<number | undefined> =>
    (await this.runTimes(key, minSamples))?.median;

  /** LatencyStatsStore.runTimes' contract, for the detector. */
  runTimes = async (key: string, minSamples: number): Promise<RunTimes | undefined> =>
    runTimesOf(this.recent(key), minSamples);
}
