import { describe, expect, it } from 'vitest';
import { steady } from './conditions.ts';
import { POLICIES, type Policy } from './policies.ts';
import { DEFAULT_TIMING, type FinishedJob, type RunOptions, Simulation } from './simulation.ts';
import { testFleet } from './test-fleet.ts';
import type { Workload } from './workloads.ts';

const policy = (name: string): Policy => POLICIES.find((p) => p.name === name)!;

/** 4 workers × 2 slots, the first two 5× slower; every job 1 s. */
const fixedSizes = testFleet('persistent-test', [0.2, 0.2, 1, 1]);

const run = (name: string, seed = 1, workload = fixedSizes, twin?: RunOptions['twin']) =>
  new Simulation({
    workload,
    policy: policy(name),
    ratePerSecond: 2,
    jobs: 300,
    warmUpJobs: 50,
    seed,
    ...(twin ? { twin } : {}),
  }).run();

describe('the tail simulator', () => {
  it('runs the twin on the same jobs with every slowdown removed, at the floor when nothing queues', async () => {
    // Prepare: the same seed's jobs on the slowed fleet and on its twin.
    // Act
    const off = await run('off');
    const twin = await run('off', 1, fixedSizes, { addedWorkers: 0 });
    // Assess: the same jobs (the floor is theirs); every job 1 s and 8 slots for 2 a second: no slow start, little wait.
    expect(twin.healthyRunMs).toEqual(off.healthyRunMs);
    expect(twin.slowedStarts).toBe(0);
    expect(off.slowedStarts).toBeGreaterThan(0);
    expect(Math.max(...twin.latenciesMs)).toBeLessThan(Math.max(...off.latenciesMs));
  });

  it('counts a losing attempt’s slot-seconds until its next heartbeat, when it learns it lost', async () => {
    // Prepare
    const healthy: Workload = { ...fixedSizes, conditions: () => steady(() => 1), averageSpeeds: [1, 1, 1, 1] };
    // Act
    const off = await run('off', 1, healthy);
    const varied = { ...healthy, jobSize: (random: () => number) => 500 + 1000 * random() };
    const hedged = await run('hedge-p90', 1, varied);
    // Assess: with no backups every slot-second won (350 jobs of exactly 1 s each); on a healthy
    // fleet a backup of the same size never wins, and each ran whole heartbeats before it stopped.
    expect(off.loserSlotMs).toBe(0);
    expect(off.winnerSlotMs).toBeCloseTo(350_000, 3);
    expect(hedged.backups).toBeGreaterThan(0);
    expect(hedged.backupWins).toBe(0);
    expect(hedged.loserSlotMs).toBeGreaterThan(0);
    expect(hedged.loserSlotMs % DEFAULT_TIMING.heartbeatMs).toBe(0);
  });

  it('tells of each measured job as it ends: its wait, and when its first attempt’s worker slowed', async () => {
    // Prepare
    const finished: FinishedJob[] = [];
    // Act
    const metrics = await new Simulation({
      workload: fixedSizes,
      policy: policy('off'),
      ratePerSecond: 2,
      jobs: 300,
      warmUpJobs: 50,
      seed: 1,
      onFinished: (job) => finished.push(job),
    }).run();
    // Assess: the same latencies as measured; with no backup, a job slowed from its start runs 5 × 1 s.
    expect(finished.map((job) => job.latencyMs).sort()).toEqual([...metrics.latenciesMs].sort());
    const slowed = finished.filter((job) => job.slowedAfterMs === 0);
    expect(slowed.length).toBeGreaterThan(0);
    for (const job of slowed) expect(job.firstAttemptMs).toBeCloseTo(5 * job.healthyRunMs, 6);
    expect(finished.every((job) => !job.wonByBackup && job.latencyMs === job.waitMs + job.firstAttemptMs)).toBe(true);
  });

  it('reads the host pace probe only where the slowdowns are the host’s: then a slowed host starts few jobs', async () => {
    // Prepare: one host of four 5× slow (the probe's normal is its class's median reading).
    const oneSlow = testFleet('persistent-test', [0.2, 1, 1, 1]);
    // Act: probation alone, the same fleet's slowdown seen by the probe or not.
    const seen = await run('probation', 1, { ...oneSlow, hostSlowdowns: true });
    const unseen = await run('probation', 1, { ...oneSlow, hostSlowdowns: false });
    // Assess: with the probe the slowed host is on probation from its second reading, before its
    // attempts could measure it, and (all work taken within a second by the healthy ones) starts far fewer jobs.
    expect(seen.probationWorkers).toBe(1);
    expect(seen.slowedStarts).toBeLessThan(unseen.slowedStarts / 2);
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
