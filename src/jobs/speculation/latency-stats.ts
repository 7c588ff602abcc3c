import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Run-time distributions per job type and capacity class (and per worker), kept in DynamoDB as
 * log-scale histograms: bucket k counts run times in [2^(k/4), 2^((k+1)/4)) ms, a resolution of
 * about 19 %. Workers add to them in batches (one update per key per flush, not per job), and the
 * straggler detector and the workers' speed meters read them to know what "normal" is.
 *
 * "Normal" is the last hour: each key's histogram is kept in 10-minute windows (items expire with
 * TTL) and reads merge the latest six, so when a job type's run time changes — new code, bigger
 * inputs — its normal follows within the hour instead of being outvoted by its history forever.
 */
export const BUCKETS_PER_OCTAVE = 4;
export const WINDOW_MS = 10 * 60_000;
export const WINDOWS_READ = 6;

/** The item a key's observations at `at` (epoch ms) go to. */
export const windowKey = (key: string, at: number): string => `${key}@${Math.floor(at / WINDOW_MS)}`;

/** The items a read of `key` at `now` merges: the current window and the ones of the hour before. */
export const recentWindows = (key: string, now: number): string[] =>
  Array.from({ length: WINDOWS_READ }, (_, i) => windowKey(key, now - i * WINDOW_MS));

export const bucketOf = (ms: number): number => Math.floor(Math.log2(Math.max(1, ms)) * BUCKETS_PER_OCTAVE);
const bucketLow = (bucket: number): number => 2 ** (bucket / BUCKETS_PER_OCTAVE);

export const typeKey = (type: string, capacity: string): string => `${type}#${capacity}`;
export const workerKey = (type: string, capacity: string, workerId: string): string =>
  `${type}#${capacity}#${workerId}`;

export interface Histogram {
  count: number;
  buckets: Map<number, number>;
}

export function mergeHistograms(histograms: Histogram[]): Histogram {
  const buckets = new Map<number, number>();
  for (const histogram of histograms)
    for (const [bucket, count] of histogram.buckets) buckets.set(bucket, (buckets.get(bucket) ?? 0) + count);
  return { count: histograms.reduce((sum, h) => sum + h.count, 0), buckets };
}

/** The run time (ms) below which `fraction` of the recorded attempts finished. */
export function percentile(histogram: Histogram, fraction: number): number | undefined {
  if (histogram.count === 0) return undefined;
  const target = fraction * histogram.count;
  let seen = 0;
  for (const bucket of [...histogram.buckets.keys()].sort((a, b) => a - b)) {
    seen += histogram.buckets.get(bucket)!;
    if (seen >= target) return bucketLow(bucket + 1);
  }
  return undefined;
}

/** What is normal for a type: the middle of its run times, and how far its long ones reach. */
export interface RunTimes {
  median: number;
  p90: number;
  p99: number;
}

export function runTimesOf(histogram: Histogram, minSamples: number): RunTimes | undefined {
  if (histogram.count < minSamples) return undefined;
  const median = percentile(histogram, 0.5);
  const p90 = percentile(histogram, 0.9);
  const p99 = percentile(histogram, 0.99);
  return median === undefined || p90 === undefined || p99 === undefined ? undefined : { median, p90, p99 };
}

export class LatencyStatsStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Adds a batch of observations to one key's histogram (its current window) in a single update. */
  async add(key: string, histogram: Histogram, now = Date.now()): Promise<void> {
    const names: Record<string, string> = { '#n': 'n', '#expiresAt': 'expiresAt' };
    const values: Record<string, unknown> = {
      ':n': histogram.count,
      ':expiresAt': Math.ceil((now + (WINDOWS_READ + 1) * WINDOW_MS) / 1000),
    };
    const adds = ['#n :n'];
    for (const [bucket, count] of histogram.buckets) {
      names[`#b${bucket}`] = `b${bucket}`;
      values[`:b${bucket}`] = count;
      adds.push(`#b${bucket} :b${bucket}`);
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { key: windowKey(key, now) },
        UpdateExpression: `ADD ${adds.join(', ')} SET #expiresAt = :expiresAt`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** The key's median run time over the last hour, once at least `minSamples` attempts are recorded. */
  async median(key: string, minSamples: number, now = Date.now()): Promise<number | undefined> {
    return (await this.runTimes(key, minSamples, now))?.median;
  }

  /** The key's median and p90 run times over the last hour, once at least `minSamples` attempts are recorded. */
  async runTimes(key: string, minSamples: number, now = Date.now()): Promise<RunTimes | undefined> {
    return runTimesOf(await this.get(key, now), minSamples);
  }

  /** The key's histogram over the last hour: its latest windows merged. */
  async get(key: string, now = Date.now()): Promise<Histogram> {
    return mergeHistograms(await Promise.all(recentWindows(key, now).map((window) => this.getWindow(window))));
  }

  private async getWindow(key: string): Promise<Histogram> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { key } }));
    const buckets = new Map<number, number>();
    for (const [attribute, value] of Object.entries(Item ?? {})) {
      const match = /^b(-?\d+)$/.exec(attribute);
      if (match) buckets.set(Number(match[1]), Number(value));
    }
    return { count: Number(Item?.n ?? 0), buckets };
  }
}

/** Collects a worker's run times in memory and writes them out in batches. */
export class LatencyStatsRecorder {
  private pending = new Map<string, Histogram>();

  constructor(private readonly store: LatencyStatsStore) {}

  record(key: string, ms: number): void {
    const histogram = this.pending.get(key) ?? { count: 0, buckets: new Map<number, number>() };
    const bucket = bucketOf(ms);
    histogram.count++;
    histogram.buckets.set(bucket, (histogram.buckets.get(bucket) ?? 0) + 1);
    this.pending.set(key, histogram);
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    await Promise.all([...batch].map(([key, histogram]) => this.store.add(key, histogram)));
  }
}
