import { describe, expect, it } from 'vitest';
import type { FairRun } from './fair-simulation.ts';
import { acrossSeeds, type FairRunMetrics, fairRunMetrics } from './fairness-metrics.ts';

describe('fairRunMetrics', () => {
  it('reads the quiet tenants, the smaller half of the Zipf tenants and the biggest one from a run', () => {
    // Prepare: four Zipf tenants (the small half: ranks 3 and 4) and two quiet ones.
    const workload = { tenants: 4, exponent: 1, jobs: 100, spreadMs: 1000, quietTenants: 2, quietIntervalMs: 1000 };
    const run: FairRun = {
      waits: new Map([
        ['quiet-1', [10]],
        ['quiet-2', [30]],
        ['zipf-001', [5000, 6000, 7000, 8000]],
        ['zipf-002', [900]],
        ['zipf-003', [200]],
        ['zipf-004', [400]],
      ]),
      spans: new Map([['zipf-001', { firstSubmitMs: 0, lastFinishMs: 2000 }]]),
      jainPerSecond: [0.5, 1],
      lastBusyStartMs: 1900,
    };
    // Act
    const metrics = fairRunMetrics(run, workload);
    // Assess (percentiles through an HDR histogram: 3 significant digits)
    expect(metrics).toEqual({
      quietWaitP50Ms: 10,
      quietWaitP99Ms: 30,
      smallWaitP99Ms: expect.closeTo(400, 0),
      allWaitP99Ms: expect.closeTo(8000, -1),
      biggestJobsPerSecond: 2,
      biggestCompletionS: 2,
      jainIndex: 0.75,
      lastBusyStartS: 1.9,
    });
  });
});

describe('acrossSeeds', () => {
  it('gives each figure’s mean, its bootstrap interval inside the seeds’ range, and keeps the index’s precision', () => {
    // Prepare
    const seed = (p99: number, jain: number) => ({ quietWaitP99Ms: p99, jainIndex: jain }) as FairRunMetrics;
    // Act
    const result = acrossSeeds([seed(100, 0.7712), seed(200, 0.8), seed(300, 0.9)]);
    // Assess
    expect(result.quietWaitP99Ms).toMatchObject({ mean: 200, min: 100, max: 300 });
    expect(result.quietWaitP99Ms.ci95[0]).toBeGreaterThanOrEqual(100);
    expect(result.quietWaitP99Ms.ci95[1]).toBeLessThanOrEqual(300);
    expect(result.jainIndex).toMatchObject({ mean: 0.8237, min: 0.7712, max: 0.9 });
  });
});
