/** Slow episodes of a worker: `factor` times slower for `durationMs` at a time, about `share` of the time. */
export interface SlowEpisodeSettings {
  durationMs: number;
  share: number;
  factor: number;
}

/**
 * One worker's timeline of slow episodes (a noisy neighbour, a throttled host), drawn by the worker
 * itself as time passes: fixed-length episodes separated by exponential healthy gaps whose mean
 * makes the episodes fill `share` of the time.
 */
export class SlowEpisodes {
  private slow = false;
  private changesAt: number;

  constructor(
    private readonly settings: SlowEpisodeSettings,
    private readonly random: () => number = Math.random,
    now: number = Date.now(),
  ) {
    this.changesAt = now + this.healthyGapMs();
  }

  /** The worker's slowdown at `now` (1 outside an episode); `now` must not go back in time. */
  slowdownAt(now: number): number {
    while (now >= this.changesAt) {
      this.slow = !this.slow;
      this.changesAt += this.slow ? this.settings.durationMs : this.healthyGapMs();
    }
    return this.slow ? this.settings.factor : 1;
  }

  private healthyGapMs(): number {
    const { durationMs, share } = this.settings;
    return -Math.log(1 - this.random()) * ((durationMs * (1 - share)) / share);
  }
}
