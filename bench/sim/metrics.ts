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
}

export const emptyMetrics = (): RunMetrics => ({
  latenciesMs: [],
  winnerSlotMs: 0,
  loserSlotMs: 0,
  backups: 0,
  backupWins: 0,
  addedWorkers: 0,
  slowedStarts: 0,
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
    }),
    emptyMetrics(),
  );
}

export interface PolicyResult {
  p50: number;
  p99: number;
  p999: number;
  extraWorkPct: number;
  backups: number;
  backupWins: number;
}

export function policyResult(metrics: RunMetrics): PolicyResult {
  const summary = summarize(metrics.latenciesMs);
  return {
    p50: summary.p50,
    p99: summary.p99,
    p999: summary.p999,
    extraWorkPct: Math.round(extraWorkPct(metrics) * 10) / 10,
    backups: metrics.backups,
    backupWins: metrics.backupWins,
  };
}
