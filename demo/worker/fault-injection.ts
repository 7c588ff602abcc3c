import { z } from 'zod';
import { mulberry32 } from './seeded-random.ts';
import { type SlowEpisodeSettings, SlowEpisodes } from './slow-episodes.ts';

/**
 * Benchmark-only: slowness the demo worker injects into its own attempts, so a benchmark on a real
 * stack has stragglers to catch. Each is a demo worker option (`--slowdown`, `--stall-probability`,
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
  slowEpisodes?: SlowEpisodeSettings | undefined;
  /** Seed of the stall draws and the episodes; unseeded when left out. */
  faultSeed?: number | undefined;
}

const positive = z.coerce.number().positive();

/** `<ms>:<share>:<factor>`, e.g. `5000:0.1:5`. */
const slowEpisodesText = z
  .string()
  .transform((text) => text.split(':').map(Number))
  .pipe(z.tuple([z.number().positive(), z.number().positive().lt(1), z.number().positive()]))
  .transform(([durationMs, share, factor]) => ({ durationMs, share, factor }));

/**
 * The variable each fault setting falls back to when its flag is not given. They belong to the
 * demo worker, not to the environment contract of Tailguard's own processes.
 */
export const FAULT_VARIABLES = {
  slowdown: { name: 'WORKER_SLOWDOWN', schema: positive.default(1) },
  stallProbability: { name: 'WORKER_STALL_PROBABILITY', schema: z.coerce.number().min(0).max(1).default(0) },
  stallFactor: { name: 'WORKER_STALL_FACTOR', schema: positive.default(10) },
  slowEpisodes: { name: 'WORKER_SLOW_EPISODES', schema: slowEpisodesText.optional() },
  faultSeed: { name: 'WORKER_FAULT_SEED', schema: z.coerce.number().int().min(0).optional() },
} as const satisfies { [F in keyof FaultSettings]-?: { name: string; schema: z.ZodType<FaultSettings[F]> } };

/** Draws the injected slowdown of each attempt as it starts (what the built-in `sleep` multiplies by). */
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
