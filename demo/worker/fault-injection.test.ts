import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseVariable } from '../../src/aws/environment/index.ts';
import { FAULT_VARIABLES, FaultInjector } from './fault-injection.ts';

const none = { slowdown: 1, stallProbability: 0, stallFactor: 10 };

/** Uniform draws taken in turn. */
const draws = (...values: number[]) => {
  let next = 0;
  return () => values[next++ % values.length]!;
};

describe('FaultInjector', () => {
  it('runs every attempt at normal speed with nothing injected', () => {
    const faults = new FaultInjector(none, () => 0);
    expect([faults.attemptSlowdown(), faults.attemptSlowdown()]).toEqual([1, 1]);
  });

  it('slows every attempt of a slow worker', () => {
    expect(new FaultInjector({ ...none, slowdown: 5 }).attemptSlowdown()).toBe(5);
  });

  it('draws a stall for each attempt on its own', () => {
    const faults = new FaultInjector({ ...none, stallProbability: 0.01 }, draws(0.5, 0.005, 0.5, 0.0099, 0.01));
    expect(Array.from({ length: 5 }, () => faults.attemptSlowdown())).toEqual([1, 10, 1, 10, 1]);
  });

  it('slows attempts that start inside a slow episode, on top of the other faults', () => {
    let now = 0;
    const episodes = { durationMs: 5000, share: 0.1, factor: 5 };
    // 1 - e^-1 makes the first healthy gap exactly its mean, 45 s; then every stall draw hits.
    const faults = new FaultInjector(
      { slowdown: 2, stallProbability: 1, stallFactor: 10, slowEpisodes: episodes },
      () => 1 - Math.exp(-1),
      () => now,
    );
    expect(faults.attemptSlowdown()).toBe(20);
    now = 46_000;
    expect(faults.attemptSlowdown()).toBe(100);
  });

  it('meets the same slow episodes in two runs with one seed, however many attempts each started', () => {
    // Prepare: two workers seeded alike, one starting attempts ten times as often; stalls draw but slow nothing.
    let now = 0;
    const episodes5s = { durationMs: 5000, share: 0.1, factor: 5 };
    const settings = { ...none, stallProbability: 0.5, stallFactor: 1, slowEpisodes: episodes5s, faultSeed: 7 };
    const busy = new FaultInjector(settings, undefined, () => now);
    const quiet = new FaultInjector(settings, undefined, () => now);
    // Act: the slowdowns each sees over ten minutes.
    const episodes: [number, number][] = [];
    for (now = 0; now < 600_000; now += 100) {
      for (let i = 0; i < 9; i++) busy.attemptSlowdown();
      episodes.push([busy.attemptSlowdown(), quiet.attemptSlowdown()]);
    }
    // Assess
    expect(episodes.some(([slowed]) => slowed === 5)).toBe(true);
    expect(episodes.every(([a, b]) => a === b)).toBe(true);
  });
});

describe('FAULT_VARIABLES', () => {
  it('reads slow episodes as <ms>:<share>:<factor> and refuses anything else', () => {
    const { slowEpisodes } = FAULT_VARIABLES;
    expect(parseVariable(slowEpisodes, '5000:0.1:5')).toEqual({
      ok: true,
      value: { durationMs: 5000, share: 0.1, factor: 5 },
    });
    expect(parseVariable(slowEpisodes, '5000:0.1').ok).toBe(false);
    expect(parseVariable(slowEpisodes, '5000:1.5:5').ok).toBe(false);
  });

  it('injects nothing when no variable is set', () => {
    const variables: { schema: z.ZodType }[] = Object.values(FAULT_VARIABLES);
    const unset = variables.map((variable) => parseVariable(variable, undefined));
    expect(unset).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 0 },
      { ok: true, value: 10 },
      { ok: true, value: undefined },
      { ok: true, value: undefined },
    ]);
  });
});
