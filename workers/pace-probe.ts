import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** What one probe hashes: about half a millisecond of a healthy core's time. */
const PROBE_INPUT = Buffer.alloc(1024 * 1024, 7);
/** Runs per reading; the fastest counts, so one preemption or GC pause is not read as a slow host. */
const RUNS = 3;

/** How long a fixed piece of work takes this host now, in milliseconds: lower is faster (a GPU's may be async). */
export type PaceProbe = () => number | Promise<number>;

/**
 * Times a fixed piece of CPU work (a SHA-256 of 1 MiB), apart from any job: a host slowed
 * several times over (CPU steal by noisy neighbours, throttling once burst credits run out) shows
 * it in every reading at once, before any attempt has run long enough to show its pace. The worker
 * compares its readings with its class's (SpeedMeter.observeHostPace). It sees only the CPU: a
 * slow GPU or a slow dependency is left to the attempts' own pace.
 */
export const hostPaceProbe = (): number => {
  let fastest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    createHash('sha256').update(PROBE_INPUT).digest();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
};
