import { describe, expect, it } from 'vitest';
import { healthyHosts } from './class-speed.ts';

describe('healthyHosts', () => {
  it('names the workers whose host pace probe reads near their class’s median, not the slowed ones nor the silent ones', () => {
    const reports = [
      { workerId: 'a', hostPaceMs: 0.5 },
      { workerId: 'b', hostPaceMs: 0.55 },
      { workerId: 'c', hostPaceMs: 0.6 },
      { workerId: 'slow-1.5x', hostPaceMs: 0.75 },
      { workerId: 'slow-5x', hostPaceMs: 2.5 },
      { workerId: 'older' },
    ];
    expect([...healthyHosts(reports)].sort()).toEqual(['a', 'b', 'c']);
  });

  it('names none where too few workers report a reading to compare', () => {
    expect(
      healthyHosts([
        { workerId: 'a', hostPaceMs: 0.5 },
        { workerId: 'b', hostPaceMs: 0.5 },
      ]).size,
    ).toBe(0);
  });
});
