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
  /** Attempts started, per tenant (dimension `Tenant`: the top tenants by name, the rest as `(other)`). */
  tenantStarts: 'TenantJobsStarted',
  /** `EnqueueToStartMs` per tenant (dimension `Tenant`, bounded the same way). */
  tenantEnqueueToStart: 'TenantEnqueueToStartMs',
  /** Milliseconds an attempt ran. */
  runTime: 'RunTimeMs',
  /** Backups the straggler detector launched. */
  speculativeLaunches: 'SpeculativeLaunches',
  /** Backups that finished first. */
  speculativeWins: 'SpeculativeWins',
  /** Worker seconds spent on attempts whose result was discarded (they lost their race). */
  wastedWorkSeconds: 'WastedWorkSeconds',
  /** Milliseconds from an attempt's start to the detector flagging it as a straggler. */
  stragglerDetectedAfter: 'StragglerDetectedAfterMs',
  /** Passes of the reaper (dimension `service`: one a pass, so a missing count means it stopped). */
  reaperRuns: 'ReaperRuns',
  /** Jobs the reaper sent a fresh message: stuck ones, and unfinished ones whose message was dead-lettered. */
  jobsRedispatched: 'JobsRedispatched',
  /** Seconds the oldest stuck job had waited past its due time, per reaper pass (0: none stuck). */
  oldestStuckJobAge: 'OldestStuckJobAgeSeconds',
  /** Jobs found waiting for a message that was gone (a purge, an expiry, a foreign delete), and sent a fresh one. */
  jobsWithoutMessage: 'JobsWithoutMessage',
  /** Seconds the longest-waiting job found waiting for its message past the grace had waited, per review. */
  oldestWaitForMessage: 'OldestWaitForMessageSeconds',
  /** Jobs waiting almost SQS's 14-day retention, sent a fresh message before the old one expires. */
  messagesRefreshed: 'MessagesRefreshed',
  /** Jobs the reaper ended DEAD because their messages kept reaching a dead-letter queue. */
  jobsEndedByReaper: 'JobsEndedByReaper',
} as const;
