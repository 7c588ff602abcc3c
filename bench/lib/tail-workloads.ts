import type { SlowEpisodeSettings } from '../../demo/worker/slow-episodes.ts';

/** What goes wrong in a `bench:tail` run; the simulator's persistent-*, stall-1pct-10x and transient-5s. */
export const TAIL_WORKLOADS = ['persistent', 'stall', 'transient'] as const;
export type TailWorkloadName = (typeof TAIL_WORKLOADS)[number];

/** A `bench:tail` workload: faults the workers inject into their own attempts (demo/worker/fault-injection.ts). */
export interface TailWorkload {
  name: TailWorkloadName;
  /**
   * Names its results file, chart and BENCHMARKS.md section: `tail` for persistent, the workload
   * the bench had first (other code reads bench/results/tail.json), `tail-<name>` for the others.
   */
  stem: string;
  /** The bench flags that choose it, for the recorded command. */
  flags: string;
  /** For the BENCHMARKS.md heading. */
  title: string;
  /** What goes wrong, for the report: follows "N cpu workers × M slots, ". */
  faults: string;
  /** For the chart's title. */
  shortFaults: string;
  /** The fault parameters, for the results file. */
  parameters: Record<string, unknown>;
  /** The flags of the worker process `index`. */
  workerArgs(index: number): string[];
  /** The simulator's workload of the same faults (bench/sim/workloads.ts), for its prediction. */
  simulatorTwin: string;
}

const STALL = { probability: 0.01, factor: 10 };
const EPISODES: SlowEpisodeSettings = { durationMs: 5000, share: 0.1, factor: 5 };

/** The workloads, for `--help`. */
export const WORKLOADS_HELP = `persistent (--slow-workers of the workers --slowdown× slower), stall (${STALL.probability * 100} % of attempts ${STALL.factor}× slower), transient (each worker ${EPISODES.factor}× slower in ${EPISODES.durationMs / 1000} s episodes, ${EPISODES.share * 100} % of the time)`;

export function tailWorkload(
  name: TailWorkloadName,
  persistent: { workers: number; slowWorkers: number; slowdown: number },
): TailWorkload {
  switch (name) {
    case 'persistent': {
      const { workers, slowWorkers, slowdown } = persistent;
      return {
        name,
        stem: 'tail',
        flags: `--slow-workers ${slowWorkers} --slowdown ${slowdown}`,
        title: 'slow workers',
        faults: `of which ${slowWorkers} are ${slowdown}× slower (injected \`--slowdown\`)`,
        shortFaults: `${slowWorkers} of ${workers} workers ${slowdown}× slow`,
        parameters: { slowWorkers, slowdown },
        // Named, so the report can count the jobs that started on a slow worker.
        workerArgs: (index) =>
          index < slowWorkers ? ['--slowdown', String(slowdown), '--worker-id', `slow-${index}`] : [],
        simulatorTwin: `persistent-${Math.round((slowWorkers / workers) * 100)}pct-${slowdown}x`,
      };
    }
    case 'stall': {
      const args = ['--stall-probability', String(STALL.probability), '--stall-factor', String(STALL.factor)];
      return {
        name,
        stem: 'tail-stall',
        flags: `--workload ${name}`,
        title: 'stalled attempts',
        faults: `all healthy, but ${STALL.probability * 100} % of attempts run ${STALL.factor}× slower, each attempt (a backup too) drawn by the worker that runs it (injected \`${args.join(' ')}\`)`,
        shortFaults: `${STALL.probability * 100} % of attempts ${STALL.factor}× slow`,
        parameters: { stallProbability: STALL.probability, stallFactor: STALL.factor },
        workerArgs: () => args,
        simulatorTwin: `stall-${STALL.probability * 100}pct-${STALL.factor}x`,
      };
    }
    case 'transient': {
      const { durationMs, share, factor } = EPISODES;
      const args = ['--slow-episodes', `${durationMs}:${share}:${factor}`];
      return {
        name,
        stem: 'tail-transient',
        flags: `--workload ${name}`,
        title: 'slow episodes',
        faults: `each ${factor}× slower in episodes of ${durationMs / 1000} s, about ${share * 100} % of the time, drawn by each worker on its own (injected \`${args.join(' ')}\`)`,
        shortFaults: `workers ${factor}× slow in ${durationMs / 1000} s episodes, ${share * 100} % of the time`,
        parameters: { slowEpisodes: EPISODES },
        workerArgs: () => args,
        simulatorTwin: `transient-${durationMs / 1000}s`,
      };
    }
  }
}
