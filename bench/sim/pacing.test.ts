import { describe, expect, it, vi } from 'vitest';
import type * as Detector from '../../src/jobs/speculation/straggler-detector.ts';
import { POLICIES } from './policies.ts';
import { DEFAULT_TIMING, Simulation } from './simulation.ts';
import { testFleet } from './test-fleet.ts';

/** When each detector pass ran. */
const passes = vi.hoisted(() => [] as number[]);

vi.mock('../../src/jobs/speculation/straggler-detector.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof Detector>();
  return {
    ...actual,
    detectionPass: (...args: Parameters<typeof actual.detectionPass>) => {
      passes.push(args[3]);
      return actual.detectionPass(...args);
    },
  };
});

/** 4 workers × 2 slots, one 5× slower; every job 1 s. */
const fleet = testFleet('persistent-pacing', [0.2, 1, 1, 1]);

describe('the simulator’s pacing', () => {
  it('runs a detector pass each loop interval, as the real loop does', async () => {
    // Prepare
    const tailguard = POLICIES.find((p) => p.name === 'tailguard')!;
    // Act
    await new Simulation({
      workload: fleet,
      policy: tailguard,
      ratePerSecond: 3,
      jobs: 200,
      warmUpJobs: 20,
      seed: 3,
    }).run();
    // Assess
    const { detectorIntervalMs } = DEFAULT_TIMING;
    const gaps = passes.slice(1).map((at, i) => at - passes[i]!);
    expect(gaps.length).toBeGreaterThan(50);
    expect(new Set(gaps)).toEqual(new Set([detectorIntervalMs]));
  });
});
