import { describe, expect, it } from 'vitest';
import { SlowEpisodes } from './slow-episodes.ts';

const settings = { durationMs: 5000, share: 0.1, factor: 5 };
/** The draw that makes an exponential gap exactly its mean: 45 s healthy for 5 s slow at a 10 % share. */
const meanDraw = () => 1 - Math.exp(-1);

describe('SlowEpisodes', () => {
  it('alternates healthy gaps and episodes so that episodes fill the share of the time', () => {
    const episodes = new SlowEpisodes(settings, meanDraw, 0);
    const at = (seconds: number) => episodes.slowdownAt(seconds * 1000);
    expect([at(0), at(44.9), at(45), at(49.9), at(50), at(94.9), at(95), at(99.9), at(100)]).toEqual([
      1, 1, 5, 5, 1, 1, 5, 5, 1,
    ]);
  });

  it('catches up over a long silence without losing its place', () => {
    const episodes = new SlowEpisodes(settings, meanDraw, 0);
    expect(episodes.slowdownAt(10 * 50_000 + 46_000)).toBe(5);
    expect(episodes.slowdownAt(10 * 50_000 + 51_000)).toBe(1);
  });

  it('counts from when it was made', () => {
    const episodes = new SlowEpisodes(settings, meanDraw, 1_000_000);
    expect(episodes.slowdownAt(1_044_000)).toBe(1);
    expect(episodes.slowdownAt(1_046_000)).toBe(5);
  });
});
