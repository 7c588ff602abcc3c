import { describe, expect, it } from 'vitest';
import { steady } from './conditions.ts';
import { extraWorkPct } from './metrics.ts';
import { POLICIES, type Policy } from './policies.ts';
import { Simulation } from './simulation.ts';
import type { Workload } from './workloads.ts';

const policy = (name: string): Policy => POLICIES.find((p) => p.name === name)!;

/** 4 workers × 2 slots, the first two 5× slower; every job 1 s. */
const fixedSizes: Workload = {
  name: 'persistent-test',
  description: 'test fleet',
  capacity: 'cpu',
  workers: 4,
  slots: 2,
  reportsProgress: true,
  jobSize: () => 1000,
  attemptFault: () => 1,
  meanFault: 1,
  conditions: () => steady((worker) => (worker < 2 ? 5 : 1)),
  averageSpeeds: [0.2, 0.2, 1, 1],
};

const run = (name: string, seed = 1, workload = fixedSizes) =>
  new Simulation({ workload, policy: policy(name), ratePerSecond: 2, jobs: 300, warmUpJobs: 50, seed }).run();

describe('the tail simulator', () => {
  it('gives the oracle no slowed worker when a healthy one would end the job sooner', async () => {
    // Prepare: with 1 s jobs, a healthy slot always frees within 1 s, sooner than 5 s on a slowed worker.
    // Act
    const oracle = await run('oracle');
    const off = await run('off');
    // Assess
    expect(oracle.slowedStarts).toBe(0);
    expect(off.slowedStarts).toBeGreaterThan(0);
    expect(Math.max(...oracle.latenciesMs)).toBeLessThan(Math.max(...off.latenciesMs));
  });

  it('counts extra work as the losers’ slot-seconds over the winners’', async () => {
    // Prepare
    const healthy: Workload = { ...fixedSizes, conditions: () => steady(() => 1), averageSpeeds: [1, 1, 1, 1] };
    // Act
    const off = await run('off', 1, healthy);
    const varied = { ...healthy, jobSize: (random: () => number) => 500 + 1000 * random() };
    const hedged = await run('hedge-p90', 1, varied);
    // Assess: with no backups every slot-second won (350 jobs of exactly 1 s each); on a healthy
    // fleet a backup of the same size never wins, and all its slot-seconds are extra.
    expect(off.loserSlotMs).toBe(0);
    expect(off.winnerSlotMs).toBeCloseTo(350_000, 3);
    expect(extraWorkPct({ winnerSlotMs: 2000, loserSlotMs: 500 })).toBe(25);
    expect(hedged.backups).toBeGreaterThan(0);
    expect(hedged.backupWins).toBe(0);
    expect(hedged.loserSlotMs).toBeGreaterThan(0);
  });

  it('replays a run exactly from its seed, measuring every job once', async () => {
    // Prepare
    // Act
    const first = await run('tailguard', 7);
    const again = await run('tailguard', 7);
    // Assess
    expect(first.latenciesMs).toHaveLength(300);
    expect(again).toEqual(first);
  });
});
