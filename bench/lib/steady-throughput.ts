/**
 * Jobs a second a saturated fleet completes, from the finish times of a burst submitted at once:
 * counted over the middle of the burst, leaving out the ramp-up (workers still picking up their
 * first jobs) and the drain (fewer jobs left than slots, the slowest attempts last).
 */
export function steadyThroughput(finishedAtMs: readonly number[], trim = 0.2): number {
  const sorted = [...finishedAtMs].sort((a, b) => a - b);
  const first = Math.floor(sorted.length * trim);
  const last = Math.ceil(sorted.length * (1 - trim)) - 1;
  const spanMs = sorted[last]! - sorted[first]!;
  if (last <= first || spanMs <= 0) throw new Error(`too few finishes to measure a rate: ${sorted.length}`);
  return ((last - first) * 1000) / spanMs;
}
