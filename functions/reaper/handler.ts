import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { JobMetric, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import type { Job } from '../../src/jobs/model/index.ts';
import { DEFAULT_REAPER_SETTINGS, type ReaperReport, reap, SqsReaperQueues } from '../../src/jobs/reaper/index.ts';
import { advanceStalled } from '../../src/jobs/workflows/index.ts';

const logger = new Logger({ serviceName: 'tailguard' });
/** Time a run keeps back from starting releases: one release's requests on a slow store. */
const PUMP_RESERVE_MS = 20_000;
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard-reaper' });
const { graceMs, intervalMs } = readSection('reaper');
const settings = { ...DEFAULT_REAPER_SETTINGS, graceMs };
const deps = {
  store: runtime.store(),
  dispatcher: runtime.dispatcher(),
  queues: new SqsReaperQueues(runtime.sqs(), runtime.topology()),
  // A job ended before any start leaves its tenant's count of waiting jobs with its end.
  onEndUnstarted: (job: Job) => runtime.queuedCounts().onEndUnstarted(job),
  advanceStalledWorkflows: (before: string, limit: number) =>
    advanceStalled(
      {
        workflows: runtime.workflows(),
        store: runtime.store(),
        dispatcher: runtime.dispatcher(),
        fairness: runtime.fairness(),
        log: logger,
      },
      before,
      limit,
    ),
};

/**
 * The reaper (src/jobs/reaper.ts). EventBridge starts it every minute; with an interval under a
 * minute, each run makes a pass every interval until its time is nearly up, like the detector.
 */
export const handler = middy(async (_event: unknown, context: Context) => {
  const stopAt = Date.now() + context.getRemainingTimeInMillis() - intervalMs - 5000;
  let passes = 0;
  do {
    // One failed pass (a throttled read) must not end the run: the next one covers the same jobs.
    const report = await reap(deps, settings).catch((error: Error) => {
      logger.error('reaper pass failed', { error });
      return undefined;
    });
    if (report) record(report);
    // Held jobs no claim released (every place of a tenant lost with its messages) go now, while
    // the run has time left: a release cut off at the timeout leaks its places for their lease.
    const released = await runtime
      .fairness()
      ?.pump(Date.now() + context.getRemainingTimeInMillis() - PUMP_RESERVE_MS)
      .catch((error: Error) => logger.error('releasing held jobs failed', { error }));
    if (released) logger.info('held jobs released by the reaper', { released });
    passes++;
    if (intervalMs >= 60_000) break;
    await sleep(intervalMs);
  } while (Date.now() < stopAt);
  return { passes };
}).use(injectLambdaContext(logger));

function record(report: ReaperReport): void {
  const pass = metrics.singleMetric();
  pass.addMetric(JobMetric.reaperRuns, MetricUnit.Count, 1);
  pass.addMetric(JobMetric.jobsRedispatched, MetricUnit.Count, report.redispatched.length + report.deadLettersReturned);
  pass.addMetric(JobMetric.oldestStuckJobAge, MetricUnit.Seconds, report.oldestStuckMs / 1000);
  pass.addMetric(JobMetric.jobsEndedByReaper, MetricUnit.Count, report.endedDead.length);
  for (const stuck of report.redispatched) logger.warn('stuck job sent a fresh message', { ...stuck });
  if (report.deadLettersReturned > 0)
    logger.warn('dead-lettered messages of unfinished jobs sent back to their queues', {
      count: report.deadLettersReturned,
    });
  if (report.workflowsAdvanced.length > 0)
    logger.warn('stalled workflows advanced by the reaper', { workflows: report.workflowsAdvanced });
  for (const { workflowId, error } of report.workflowsFailed)
    logger.error('advancing a stalled workflow failed; the next pass tries again', {
      workflowId,
      error: error as Error,
    });
  if (report.endedDead.length > 0)
    logger.error('jobs ended DEAD: their messages kept reaching a dead-letter queue', { jobs: report.endedDead });
}
