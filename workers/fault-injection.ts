import { mulberry32 } from './seeded-random.ts';
import { type SlowEpisodeSettings, SlowEpisodes } from './slow-episodes.ts';

/**
 * Test-only: slowness a worker injects into its own attempts, so a benchmark on a real stack has
 * stragglers to catch. Each is a worker option (`--slowdown`, `--stall-probability`,
 * `--slow-episodes`); all off, every attempt runs at normal speed.
 */
export interface FaultSettings {
  /** Every attempt this many times slower: a persistently slow host. */
  slowdown: number;
  /** Share of attempts that stall, each drawn on its own: a backup of a stalled attempt draws afresh. */
  stallProbability: number;
  /** How many times slower a stalled attempt runs. */
  stallFactor: number;
  /** Slow episodes of this worker; none when left out. */
  slowEpisodes?: SlowEpisodeSettings;
  /** Seed of the stall draws and the episodes; unseeded when left out. */
  faultSeed?: number;
}

/** Draws the injected slowdown of each attempt as it starts (what the built-in handlers multiply by). */
export class FaultInjector {
  private readonly episodes: SlowEpisodes | undefined;

  constructor(
    private readonly settings: FaultSettings,
    private readonly random: () => number = settings.faultSeed === undefined
      ? Math.random
      : mulberry32(settings.faultSeed),
    private readonly now: () => number = Date.now,
  ) {
    // Seeded, the episodes draw from their own stream: the same timeline however many attempts drew stalls.
    const episodeRandom = settings.faultSeed === undefined ? random : mulberry32(settings.faultSeed + 1);
    this.episodes = settings.slowEpisodes && new SlowEpisodes(settings.slowEpisodes, episodeRandom, now());
  }

  /** The slowdown of an attempt starting now (1 = none). */
  attemptSlowdown(): number {
    const { slowdown, stallProbability, stallFactor } = this.settings;
    const stall = stallProbability > 0 && this.random() < stallProbability ? stallFactor : 1;
    return slowdown * stall * (this.episodes?.slowdownAt(this.now()) ?? 1);
  }
}
