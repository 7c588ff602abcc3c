import type { Lease, ProgressReport } from '../model/index.ts';

/** Progress below this is too little to extrapolate from. */
const MIN_PROGRESS = 0.02;

/**
 * An attempt's total run time from its lease. Its progress is extrapolated from the time it was
 * reported, not now: a handler that reports in steps reaches each one well before the next
 * heartbeat or detector pass, and measuring to now would read that lag as slowness. What is left
 * goes at the pace of its latest step when known: an attempt that slowed down midway (its worker
 * hit a slow spell) is late by its pace now, which the average pace since its start (LATE's
 * estimate) shows only later. An attempt past the end its last report pointed to has gone
 * slower since; from then on its average pace to now decides, and keeps growing if it stalled.
 */
export function leaseProjectedTotalMs(
  lease: Pick<Lease, 'startedAt' | 'progress' | 'progressAt' | 'progressRate' | 'heartbeatAt'>,
  now: number,
): number | undefined {
  const { progress, progressRate } = lease;
  if (progress === undefined || progress < MIN_PROGRESS) return undefined;
  const elapsedAtReport = (lease.progressAt ?? lease.heartbeatAt ?? now) - lease.startedAt;
  const reported = progressRate ? elapsedAtReport + ((1 - progress) / progressRate) * 1000 : elapsedAtReport / progress;
  const elapsed = now - lease.startedAt;
  return elapsed <= reported ? reported : Math.max(reported, elapsed / progress);
}

/** The run time a handler's latest report points to, for an attempt started at `startedAt` and cut short at `now`. */
export function reportProjectedTotalMs(
  startedAt: number,
  report: ProgressReport | undefined,
  now: number,
): number | undefined {
  if (!report) return undefined;
  const { fraction: progress, at: progressAt, rate: progressRate } = report;
  return leaseProjectedTotalMs({ startedAt, progress, progressAt, progressRate }, now);
}

/** The handler's latest report after `previous`, with its pace since the last report that differed. */
export function nextReport(previous: ProgressReport | undefined, fraction: number, at: number): ProgressReport {
  if (!previous) return { fraction, at };
  // No movement: the report stands as of when it was reached.
  if (fraction === previous.fraction) return previous;
  const rate = at > previous.at ? ((fraction - previous.fraction) / (at - previous.at)) * 1000 : previous.rate;
  return { fraction, at, ...(rate === undefined ? {} : { rate }) };
}
