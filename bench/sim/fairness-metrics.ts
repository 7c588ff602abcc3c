import { round, summarize } from '../lib/latency.ts';
import type { FairRun } from './fair-simulation.ts';
import { bootstrapMeanInterval } from './metrics.ts';
import { quietTenant, type TenantWorkload, zipfTenant } from './tenant-workload.ts';

/** What one run of a policy showed: the figures the fairness section compares. */
export interface FairRunMetrics {
  quietWaitP50Ms: number;
  quietWaitP99Ms: number;
  /** The smaller half of the Zipf tenants, their jobs together. */
  smallWaitP99Ms: number;
  allWaitP99Ms: number;
  /** The biggest tenant: its jobs over its first submit → last finish, and when it was done. */
  biggestJobsPerSecond: number;
  biggestCompletionS: number;
  /** Jain's index of the backlogged tenants' starts, averaged over the seconds with ≥ 2 of them. */
  jainIndex: number;
  lastBusyStartS: number;
}

export function fairRunMetrics(run: FairRun, workload: TenantWorkload): FairRunMetrics {
  const waitsOf = (tenants: string[]) => tenants.flatMap((t) => run.waits.get(t) ?? []);
  const quiet = summarize(waitsOf(Array.from({ length: workload.quietTenants }, (_, i) => quietTenant(i))));
  const smallRanks = Array.from({ length: Math.floor(workload.tenants / 2) }, (_, i) => workload.tenants - i);
  const biggest = zipfTenant(1);
  const span = run.spans.get(biggest)!;
  const jobs = run.waits.get(biggest)!.length;
  const jains = run.jainPerSecond;
  return {
    quietWaitP50Ms: quiet.p50,
    quietWaitP99Ms: quiet.p99,
    smallWaitP99Ms: smallRanks.length > 0 ? summarize(waitsOf(smallRanks.map(zipfTenant))).p99 : 0,
    allWaitP99Ms: summarize([...run.waits.values()].flat()).p99,
    biggestJobsPerSecond: round((jobs * 1000) / (span.lastFinishMs - span.firstSubmitMs)),
    biggestCompletionS: round(span.lastFinishMs / 1000),
    jainIndex: jains.length === 0 ? 1 : Math.round((jains.reduce((a, b) => a + b, 0) / jains.length) * 1000) / 1000,
    lastBusyStartS: round(run.lastBusyStartMs / 1000),
  };
}

/** A figure across seeds: its mean, the mean's 95 % bootstrap interval, and the range the seeds spanned. */
export interface AcrossSeeds {
  mean: number;
  ci95: [number, number];
  min: number;
  max: number;
}

export function acrossSeeds(runs: readonly FairRunMetrics[]): Record<keyof FairRunMetrics, AcrossSeeds> {
  const keys = Object.keys(runs[0]!) as (keyof FairRunMetrics)[];
  return Object.fromEntries(
    keys.map((key) => {
      // The interval rounds to a tenth: an index in [0, 1] goes through it in thousandths.
      const scale = key === 'jainIndex' ? 1000 : 1;
      const values = runs.map((r) => r[key] * scale);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const at = (n: number) => Number((Math.round(n * 10) / 10 / scale).toFixed(4));
      const [low, high] = bootstrapMeanInterval(values);
      return [
        key,
        { mean: at(mean), ci95: [at(low), at(high)], min: at(Math.min(...values)), max: at(Math.max(...values)) },
      ];
    }),
  ) as Record<keyof FairRunMetrics, AcrossSeeds>;
}
