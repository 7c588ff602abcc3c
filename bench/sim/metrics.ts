import { summarize } from '../lib/latency.ts';

/** What one simulated run measured. */
export interface RunMetrics {
  /** Submit → done of each measured job. */
  latenciesMs: number[];
  /** Slot-milliseconds of the attempts that finished their jobs. */
  winnerSlotMs: number;
  /** Slot-milliseconds of attempts that lost: cut short by a winner, or timed out. */
  loserSlotMs: number;
  backups: number;
  backupWins: number;
  addedWorkers: number;
  /** Attempts started on a worker slowed at the time. */
  slowedStarts: number;
  /** Workers ever put on probation (pooled runs: the most in one run). */
  probationWorkers: number;
}

export const emptyMetrics = (): RunMetrics => ({
  latenciesMs: [],
  winnerSlotMs: 0,
  loserSlotMs: 0,
  backups: 0,
  backupWins: 0,
  addedWorkers: 0,
  slowedStarts: 0,
  probationWorkers: 0,
});

/** Slot-seconds of attempts that lost ÷ slot-seconds of winners, in %. */
export const extraWorkPct = (metrics: Pick<RunMetrics, 'winnerSlotMs' | 'loserSlotMs'>): number =>
  metrics.winnerSlotMs === 0 ? 0 : (100 * metrics.loserSlotMs) / metrics.winnerSlotMs;

/** Runs of one workload and policy (one per seed) pooled into one row. */
export function combine(runs: RunMetrics[]): RunMetrics {
  return runs.reduce(
    (all, run) => ({
      latenciesMs: all.latenciesMs.concat(run.latenciesMs),
      winnerSlotMs: all.winnerSlotMs + run.winnerSlotMs,
      loserSlotMs: all.loserSlotMs + run.loserSlotMs,
      backups: all.backups + run.backups,
      backupWins: all.backupWins + run.backupWins,
      addedWorkers: all.addedWorkers + run.addedWorkers,
      slowedStarts: all.slowedStarts + run.slowedStarts,
      probationWorkers: Math.max(all.probationWorkers, run.probationWorkers),
    }),
    emptyMetrics(),
  );
}

export interface PolicyResult {
  p50: number;
  p99: number;
  /** 95 % confidence interval of the p99 (distribution-free, from the order statistics). */
  p99Interval: [number, number];
  p999: number;
  extraWorkPct: number;
  backups: number;
  backupWins: number;
  probationWorkers: number;
}

export function policyResult(metrics: RunMetrics): PolicyResult {
  const summary = summarize(metrics.latenciesMs);
  return {
    p50: summary.p50,
    p99: summary.p99,
    p99Interval: quantileInterval(metrics.latenciesMs, 0.99),
    p999: summary.p999,
    extraWorkPct: Math.round(extraWorkPct(metrics) * 10) / 10,
    backups: metrics.backups,
    backupWins: metrics.backupWins,
    probationWorkers: metrics.probationWorkers,
  };
}

/**
 * A 95 % confidence interval for the `q` quantile of a sample: the order statistics at ranks
 * n·q ± 1.96·√(n·q·(1−q)) (the binomial count of samples below the true quantile). Two p99s
 * differ when their intervals do not overlap.
 */
export function quantileInterval(samples: readonly number[], q: number): [number, number] {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const spread = 1.96 * Math.sqrt(n * q * (1 - q));
  const at = (rank: number) => sorted[Math.min(n - 1, Math.max(0, Math.round(rank)))] ?? Number.NaN;
  return [at(n * q - spread), at(n * q + spread)].map((ms) => Math.round(ms * 10) / 10) as [number, number];
}
