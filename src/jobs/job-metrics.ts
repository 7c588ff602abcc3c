/**
 * Names of the custom CloudWatch metrics Tailguard emits as EMF (namespace `Tailguard`,
 * dimensions `Capacity` and `Priority`), shared by the code that emits them and the dashboard.
 */
export const METRICS_NAMESPACE = 'Tailguard';

export const JobMetric = {
  submitted: 'JobsSubmitted',
  succeeded: 'JobsSucceeded',
  retried: 'JobsRetried',
  dead: 'JobsDead',
  cancelled: 'JobsCancelled',
  /** Lost attempts (worker died) taken over by another worker. */
  lost: 'AttemptsLost',
  /** Milliseconds from submission (or due time) to the start of the attempt. */
  enqueueToStart: 'EnqueueToStartMs',
  /** Milliseconds an attempt ran. */
  runTime: 'RunTimeMs',
} as const;
