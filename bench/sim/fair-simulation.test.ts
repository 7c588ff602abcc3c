import { describe, expect, it } from 'vitest';
import { jainIndex, runFairness } from './fair-simulation.ts';
import { FifoDispatch } from './tenant-dispatch.ts';
import { quietTenant } from './tenant-workload.ts';

describe('jainIndex', () => {
  it('is 1 for equal shares and 1/n when one tenant gets everything', () => {
    expect(jainIndex([5, 5, 5, 5])).toBe(1);
    expect(jainIndex([8, 0, 0, 0])).toBe(0.25);
    expect(jainIndex([0, 0])).toBe(1);
  });
});

describe('runFairness', () => {
  const options = {
    workload: { tenants: 10, exponent: 1.1, jobs: 3000, spreadMs: 10_000, quietTenants: 2, quietIntervalMs: 1000 },
    slots: 8,
    jobMs: 100,
    seed: 5,
    dispatch: () => new FifoDispatch(),
  };

  it('starts every busy job once, stops the quiet tenants after the last, and replays from its seed', async () => {
    // Act
    const run = await runFairness(options);
    const again = await runFairness(options);
    // Assess
    const busy = [...run.waits].filter(([t]) => !t.startsWith('quiet')).flatMap(([, w]) => w);
    expect(busy).toHaveLength(3000);
    expect(busy.every((w) => w >= 0)).toBe(true);
    const quietJobs = run.waits.get(quietTenant(0))!.length;
    expect(quietJobs).toBeLessThanOrEqual(Math.ceil(run.lastBusyStartMs / 1000) + 1);
    expect(quietJobs).toBeGreaterThan(0);
    expect(again).toEqual(run);
  });
});
