/**
 * bench:tail's loop speed: detector passes, heartbeats and worker reports far more often than in
 * production, so that a run of 1 s jobs takes minutes and speculation still has time to act. The
 * simulator (bench/sim) runs its twin of bench:tail at the same speed.
 */
export const TAIL_LOOP = {
  detectorIntervalMs: 250,
  heartbeatMs: 250,
  /** Workers review their probation and report this often. */
  reportMs: 2000,
  /** Attempts younger than this are never flagged (production: 1 s, against 5 s between passes). */
  stragglerMinElapsedMs: 200,
} as const;
