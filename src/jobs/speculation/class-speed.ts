import type { WorkerReport } from './worker-registry.ts';

/** Workers of a class with a measured speed needed before any of them is judged against the others. */
export const MIN_WORKERS_TO_COMPARE = 3;

/**
 * What speed is normal in a class *now*: the median of its workers' measured speeds, or 1 (the
 * normal of the latency statistics) when too few are measured to compare. A worker's speed is
 * judged against it, because a burst of big jobs or a normal that has not yet caught up with a
 * release makes every worker of the class measure slow at once.
 */
export function classSpeed(speeds: readonly number[]): number {
  return speeds.length >= MIN_WORKERS_TO_COMPARE ? median(speeds) : 1;
}

/** The middle of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A worker measuring below this share of its class's speed is on probation (workers/speed-meter.ts). */
export const DEFAULT_PROBATION_SPEED = 0.6;

/** A class's normal host pace probe reading: the median of its workers' latest, or undefined when too few to compare. */
export function classHostPaceMs(reports: readonly Pick<WorkerReport, 'hostPaceMs'>[]): number | undefined {
  const readings = reports.flatMap((w) => (w.hostPaceMs === undefined ? [] : [w.hostPaceMs]));
  return readings.length >= MIN_WORKERS_TO_COMPARE ? median(readings) : undefined;
}

/**
 * A host whose pace probe reads at least this share of its class's median runs at speed: a real
 * probe's readings stay within some 10 % of each other, and a host 1.5× slow (0.67) is not healthy.
 */
export const HEALTHY_HOST_PACE = 0.8;

/**
 * The workers whose host pace probe (workers/pace-probe.ts) reads at least `HEALTHY_HOST_PACE` of
 * the median of their class's readings: hosts running at speed now, whatever their attempts show.
 * None where too few report a reading to compare.
 */
export function healthyHosts(reports: readonly Pick<WorkerReport, 'workerId' | 'hostPaceMs'>[]): Set<string> {
  const normal = classHostPaceMs(reports);
  if (normal === undefined) return new Set();
  return new Set(
    reports
      .filter((w) => w.hostPaceMs !== undefined && normal / w.hostPaceMs >= HEALTHY_HOST_PACE)
      .map((w) => w.workerId),
  );
}

/** What a worker's probation review reads of its class's other workers (their latest reports). */
export type PeerReport = Pick<WorkerReport, 'speed' | 'hostPaceMs' | 'slots' | 'running' | 'onProbation'>;

/**
 * Free slots of the workers that take new work and backups (not on probation), each its reported
 * slots less its running attempts: as it reported them, unless `runningOf` knows better.
 */
export function spareSlots<R extends Pick<WorkerReport, 'slots' | 'running' | 'onProbation'>>(
  reports: readonly R[],
  runningOf: (report: R) => number = (report) => report.running,
): number {
  return reports.reduce((free, w) => free + (w.onProbation ? 0 : Math.max(0, w.slots - runningOf(w))), 0);
}

/**
 * Whether the class can spare the slots a worker on probation stops using: its other workers
 * (those not on probation) report at least that many free. Without that room the work those slots
 * would have run waits instead, and at high load the queue grows faster than probation saves: in
 * the tail suite, even probation exactly while a worker is slowed made `transient-30s`@0.85's p99
 * worse than no probation at all (bench/sim, `npm run bench:tail:suite -- --workloads transient-30s`).
 */
export function probationAffordable(peers: readonly PeerReport[], slotsGivenUp: number): boolean {
  return spareSlots(peers) >= slotsGivenUp;
}
