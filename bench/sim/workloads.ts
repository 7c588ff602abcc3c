import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Capacity } from '../../src/jobs/model/index.ts';
import { episodic, steady, type WorkerConditions } from './conditions.ts';
import { exponential, mulberry32, normal, type Random } from './random.ts';

/**
 * A workload: a fleet, the jobs it is sent, and what goes wrong. Job sizes are run times at normal
 * speed; an attempt runs its job's size × its worker's slowdown when it starts × the attempt's own
 * fault (1, or 10 for a stall, Infinity for a hang). Names say the kind: persistent-*, transient-*,
 * stall-*, hang-*, pareto-*, bimodal-*, gpu-*.
 */
export interface Workload {
  name: string;
  description: string;
  capacity: Capacity;
  workers: number;
  /** Attempts each worker runs at once. */
  slots: number;
  /** The handler reports progress as it goes, as the built-in `sleep` does (20 steps at most). */
  reportsProgress: boolean;
  jobSize(random: Random): number;
  /** The fault multiplier of one attempt (1 when healthy). */
  attemptFault(random: Random): number;
  /** Mean fault multiplier of a finished attempt (hangs left out): sizes the capacity. */
  meanFault: number;
  /** Run time every attempt adds on any worker, under every policy (timers, the event loop), and its mean. */
  overhead?: { draw(random: Random): number; meanMs: number };
  /** Each worker's speed over time, drawn once per run (same draw for every policy). */
  conditions(random: Random, horizonMs: number): WorkerConditions;
  /** Time-averaged speed (1 / slowdown) of each worker: sizes the capacity. */
  averageSpeeds: number[];
  /**
   * Its slowdowns are the host's (CPU steal, throttling), so the workers' host pace probe reads
   * them (workers/pace-probe.ts); absent: the probe reads every worker healthy.
   */
  hostSlowdowns?: boolean;
  /** A worker the detector adds is ready after this long; undefined: the fleet is fixed. */
  coldStartMs?: number;
  /** Workers the detector may add. */
  maxAddedWorkers?: number;
}

const healthy = (): number => 1;
const noFaults = { attemptFault: healthy, meanFault: 1 };

/** bench:tail's job sizes: log-normal around 1 s (σ 0.3), clamped to 0.1–10 s. */
const lognormalSize = (random: Random): number =>
  Math.round(Math.min(10_000, Math.max(100, 1000 * Math.exp(0.3 * normal(random)))));

const cpuFleet = { capacity: 'cpu' as const, workers: 10, slots: 4, reportsProgress: true };

/** `share` of the workers slowed `factor`× for the whole run. */
function persistent(share: number, factor: number): Workload {
  const slowed = Math.round(share * cpuFleet.workers);
  const slowdown = (worker: number) => (worker < slowed ? factor : 1);
  return {
    name: `persistent-${share * 100}pct-${factor}x`,
    description: `${slowed} of ${cpuFleet.workers} workers ${factor}× slower all run; sizes log-normal 1 s`,
    ...cpuFleet,
    ...noFaults,
    hostSlowdowns: true,
    jobSize: lognormalSize,
    conditions: () => steady(slowdown),
    averageSpeeds: Array.from({ length: cpuFleet.workers }, (_, w) => 1 / slowdown(w)),
  };
}

/** Slow episodes of `episodeMs` on random workers, each worker slowed `factor`× about `share` of the time. */
function transient(episodeMs: number, share = 0.1, factor = 5): Workload {
  return {
    name: `transient-${episodeMs / 1000}s`,
    description: `each worker ${factor}× slower in episodes of ${episodeMs / 1000} s, ~${share * 100} % of the time`,
    ...cpuFleet,
    ...noFaults,
    hostSlowdowns: true,
    jobSize: lognormalSize,
    conditions: (random, horizonMs) => {
      const gap = () => exponential(random, (episodeMs * (1 - share)) / share);
      const starts = Array.from({ length: cpuFleet.workers }, () => {
        const list: number[] = [];
        for (let t = gap(); t < horizonMs; t += episodeMs + gap()) list.push(t);
        return list;
      });
      return episodic(starts, episodeMs, factor);
    },
    averageSpeeds: Array.from({ length: cpuFleet.workers }, () => 1 - share + share / factor),
  };
}

const healthyFleet = {
  ...cpuFleet,
  conditions: () => steady(healthy),
  averageSpeeds: Array.from({ length: cpuFleet.workers }, () => 1),
};

const stall: Workload = {
  name: 'stall-1pct-10x',
  description: '1 % of attempts 10× slower on healthy workers; sizes log-normal 1 s',
  ...healthyFleet,
  jobSize: lognormalSize,
  attemptFault: (random) => (random() < 0.01 ? 10 : 1),
  meanFault: 1.09,
};

const hang: Workload = {
  name: 'hang-0.5pct',
  description: '0.5 % of attempts never finish unless aborted (job timeout); sizes log-normal 1 s',
  ...healthyFleet,
  jobSize: lognormalSize,
  attemptFault: (random) => (random() < 0.005 ? Number.POSITIVE_INFINITY : 1),
  meanFault: 1,
};

/** Pareto sizes (α 1.5, median 1 s, capped at 60 s) on a healthy fleet: long jobs are not stragglers. */
const pareto: Workload = {
  name: 'pareto-1.5',
  description: 'healthy fleet; sizes Pareto α 1.5, median 1 s, capped at 60 s',
  ...healthyFleet,
  ...noFaults,
  jobSize: (random) => Math.min(60_000, (1000 / 2 ** (1 / 1.5)) * (1 - random()) ** (-1 / 1.5)),
};

const bimodal: Workload = {
  name: 'bimodal-0.5s-10s',
  description: 'healthy fleet; 90 % of jobs 0.5 s, 10 % 10 s (long healthy jobs must not be speculated)',
  ...healthyFleet,
  ...noFaults,
  jobSize: (random) => (random() < 0.9 ? 500 : 10_000),
};

interface GpuTrace {
  coldStartMs: { total: number };
  sharedGpu: Record<'2Processes' | '4Processes', { p50VsSolo: number }>;
  soloTrace: { rows: [number, number][] };
}

/** Forward passes a GPU job runs: one pass of the trace (~18 ms) is over before any detector pass. */
export const GPU_PASSES_PER_JOB = 100;

/**
 * From traces/gpu-h200-transformer.json (copied from the GPU measurement run) (H200, transformer forward passes): a job is
 * `GPU_PASSES_PER_JOB` passes of one traced shape. 10 GPU workers of one slot: 2 share a GPU
 * (each ≈ 2.1× slower), 2 sit on a GPU shared by 4 processes (≈ 4.3×). A worker added for a
 * backup needs the traced cold start (CUDA init, model load, first job) before it takes work.
 */
function gpuShared(): Workload | undefined {
  const file = fileURLToPath(new URL('./traces/gpu-h200-transformer.json', import.meta.url));
  let trace: GpuTrace;
  try {
    trace = JSON.parse(readFileSync(file, 'utf8')) as GpuTrace;
  } catch {
    return undefined;
  }
  const passes = trace.soloTrace.rows.map(([, ms]) => ms);
  const two = trace.sharedGpu['2Processes'].p50VsSolo;
  const four = trace.sharedGpu['4Processes'].p50VsSolo;
  const slowdown = (worker: number) => (worker < 2 ? two : worker < 4 ? four : 1);
  return {
    name: 'gpu-shared',
    description: `H200 transformer trace, ${GPU_PASSES_PER_JOB} passes a job; 10 workers × 1 slot, 2 at ${two}× (2 per GPU), 2 at ${four}× (4 per GPU); a new worker needs ${(trace.coldStartMs.total / 1000).toFixed(1)} s`,
    capacity: 'gpu',
    workers: 10,
    slots: 1,
    reportsProgress: false,
    ...noFaults,
    jobSize: (random) => GPU_PASSES_PER_JOB * passes[Math.floor(random() * passes.length)]!,
    conditions: () => steady(slowdown),
    averageSpeeds: Array.from({ length: 10 }, (_, w) => 1 / slowdown(w)),
    coldStartMs: trace.coldStartMs.total,
    maxAddedWorkers: 10,
  };
}

/**
 * Millisecond jobs (a no-op): 5 ms of work plus 0–10 ms of overhead per attempt on every worker.
 * Their run times say nothing of a worker's speed: no healthy worker may go on probation.
 */
const short: Workload = {
  name: 'short-5ms',
  description: 'healthy fleet; jobs of 5 ms plus 0–10 ms of per-attempt overhead (timers, event loop)',
  ...healthyFleet,
  ...noFaults,
  reportsProgress: false,
  jobSize: () => 5,
  overhead: { draw: (random) => 10 * random(), meanMs: 5 },
};

/** Every workload of the suite, persistent ones first. */
export function allWorkloads(): Workload[] {
  const grid = [0.1, 0.2, 0.3].flatMap((share) => [1.5, 2, 5].map((factor) => persistent(share, factor)));
  const gpu = gpuShared();
  return [...grid, transient(5000), transient(30_000), stall, hang, pareto, bimodal, short, ...(gpu ? [gpu] : [])];
}

/** bench:tail's own workload: 10 workers × 4 slots, 2 of them 5× slower, log-normal 1 s jobs. */
export const EMULATOR_TWIN = 'persistent-20pct-5x';

/** Jobs a second the fleet completes at full use (slow workers at their slow speed). */
export function capacityPerSecond(workload: Workload, random: Random, samples = 20_000): number {
  let total = 0;
  for (let i = 0; i < samples; i++) total += workload.jobSize(random);
  const meanMs = (total / samples) * workload.meanFault + (workload.overhead?.meanMs ?? 0);
  return (workload.averageSpeeds.reduce((sum, speed) => sum + speed, 0) * workload.slots * 1000) / meanMs;
}

/** A suite row's arrivals: `load` × the fleet's capacity (from one fixed sample of sizes), to 0.01 jobs a second. */
export function rowRate(workload: Workload, load: number): { capacity: number; ratePerSecond: number } {
  const capacity = capacityPerSecond(workload, mulberry32(12_345));
  return { capacity, ratePerSecond: Math.round(load * capacity * 100) / 100 };
}
