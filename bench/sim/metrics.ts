import { summarize } from '../lib/latency.ts';
import { mulberry32 } from './random.ts';

/** What one simulated run measured. */
export interface RunMetrics {
  /** Submit → done of each measured job. */
  latenciesMs: number[];
  /** Each measured job's run time on a healthy worker (its size plus its first attempt's overhead): the floor. */
  healthyRunMs: number[];
  /** Slot-milliseconds of the attempts that finished their jobs. */
  winnerSlotMs: number;
  /** Slot-milliseconds of attempts that lost: cut short by a winner (until their next heartbeat), or timed out. */
  loserSlotMs: number;
  /** Slot-milliseconds that probation left idle while work waited in the queue. */
  probationIdleSlotMs: number;
  /** Slot-milliseconds of the workers added for backups, from their request to the end of the run. */
  addedWorkerSlotMs: number;
  backups: number;
  backupWins: number;
  addedWorkers: number;
  /** Attempts started on a worker slowed at the time. */
  slowedStarts: number;
  /** Workers ever put on probation. */
  probationWorkers: number;
}

export const emptyMetrics = (): RunMetrics => ({
  latenciesMs: [],
  healthyRunMs: [],
  winnerSlotMs: 0,
  loserSlotMs: 0,
  probationIdleSlotMs: 0,
  addedWorkerSlotMs: 0,
  backups: 0,
  backupWins: 0,
  addedWorkers: 0,
  slowedStarts: 0,
  probationWorkers: 0,
});

/**
 * Extra work, in % of the winners' slot-seconds: losing attempts, slots probation idled while work
 * waited, and added workers — everything a policy spends beyond running each job once.
 */
export const costPct = (
  metrics: Pick<RunMetrics, 'winnerSlotMs' | 'loserSlotMs' | 'probationIdleSlotMs' | 'addedWorkerSlotMs'>,
): number =>
  metrics.winnerSlotMs === 0
    ? 0
    : (100 * (metrics.loserSlotMs + metrics.probationIdleSlotMs + metrics.addedWorkerSlotMs)) / metrics.winnerSlotMs;

/** One run (one seed) of one policy, summarized: what a suite worker sends back. */
/** The suite's target for Tailguard's p99: this many times the floor (issue #22), 1.25 up to 0.7 of capacity, 1.5 above. */
export const floorLimit = (load: number) => (load <= 0.7 ? 1.25 : 1.5);

export interface SeedResult extends Omit<RunMetrics, 'latenciesMs' | 'healthyRunMs' | 'slowedStarts'> {
  seed: number;
  p50: number;
  p99: number;
  p999: number;
  /** p99 of the run's healthy run times (the floor; the same jobs under every policy). */
  floorP99: number;
}

export function seedResult(seed: number, metrics: RunMetrics): SeedResult {
  const { latenciesMs, healthyRunMs, slowedStarts: _, ...counts } = metrics;
  const { p50, p99, p999 } = summarize(latenciesMs);
  return { seed, p50, p99, p999, floorP99: summarize(healthyRunMs).p99, ...counts };
}

export interface PolicyResult {
  /** Mean of the seeds' p99s. */
  p99: number;
  /** 95 % interval of that mean, bootstrapped over seeds (each seed draws its own slow episodes and jobs). */
  p99Ci: [number, number];
  perSeedP99: number[];
  p50: number;
  p999: number;
  perSeed: Pick<SeedResult, 'seed' | 'p50' | 'p99' | 'p999'>[];
  /** Extra work over all seeds (see costPct), and its parts in % of the winners' slot-seconds. */
  costPct: number;
  cost: { losersPct: number; probationIdlePct: number; addedWorkersPct: number };
  backups: number;
  backupWins: number;
  /** Most workers added, and most ever on probation, in one run. */
  addedWorkers: number;
  probationWorkers: number;
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * A 95 % percentile-bootstrap interval of the mean of `values`: resampling the seeds, not the
 * pooled latencies, since one seed's slow episodes move all of its latencies together.
 */
export function bootstrapMeanInterval(values: readonly number[], resamples = 4000, seed = 1): [number, number] {
  const random = mulberry32(seed);
  const means = Array.from({ length: resamples }, () =>
    mean(Array.from(values, () => values[Math.floor(random() * values.length)]!)),
  ).sort((a, b) => a - b);
  return [means[Math.floor(0.025 * resamples)]!, means[Math.ceil(0.975 * resamples) - 1]!].map(round1) as [
    number,
    number,
  ];
}

export function policyResult(seeds: readonly SeedResult[]): PolicyResult {
  const sum = (pick: (s: SeedResult) => number) => seeds.reduce((total, s) => total + pick(s), 0);
  const winner = sum((s) => s.winnerSlotMs);
  const pct = (slotMs: number) => (winner === 0 ? 0 : round1((100 * slotMs) / winner));
  const perSeedP99 = seeds.map((s) => s.p99);
  return {
    p99: round1(mean(perSeedP99)),
    p99Ci: bootstrapMeanInterval(perSeedP99),
    perSeedP99,
    p50: round1(mean(seeds.map((s) => s.p50))),
    p999: round1(mean(seeds.map((s) => s.p999))),
    perSeed: seeds.map(({ seed, p50, p99, p999 }) => ({ seed, p50, p99, p999 })),
    costPct: round1(
      costPct({
        winnerSlotMs: winner,
        loserSlotMs: sum((s) => s.loserSlotMs),
        probationIdleSlotMs: sum((s) => s.probationIdleSlotMs),
        addedWorkerSlotMs: sum((s) => s.addedWorkerSlotMs),
      }),
    ),
    cost: {
      losersPct: pct(sum((s) => s.loserSlotMs)),
      probationIdlePct: pct(sum((s) => s.probationIdleSlotMs)),
      addedWorkersPct: pct(sum((s) => s.addedWorkerSlotMs)),
    },
    backups: sum((s) => s.backups),
    backupWins: sum((s) => s.backupWins),
    addedWorkers: Math.max(...seeds.map((s) => s.addedWorkers)),
    probationWorkers: Math.max(...seeds.map((s) => s.probationWorkers)),
  };
}
