import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { parseMessageCheck } from '../../src/jobs/dispatch/index.ts';
import { JobMetric, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import {
  type CheckReview,
  DEFAULT_CHECK_SETTINGS,
  reviewChecks,
  SqsCheckQueue,
  SqsReaperQueues,
} from '../../src/jobs/reaper/index.ts';

const logger = new Logger({ serviceName: 'tailguard' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard-reaper' });
const { graceMs } = readSection('reaper');
const settings = { ...DEFAULT_CHECK_SETTINGS, graceMs };
const workQueues = new SqsReaperQueues(runtime.sqs(), runtime.topology());
const checkQueue = new SqsCheckQueue(runtime.sqs(), readSection('dispatch').checksQueueUrl);
const deps = {
  store: runtime.store(),
  dispatcher: runtime.dispatcher(),
  held: (queue: Parameters<SqsReaperQueues['held']>[0]) => workQueues.held(queue),
  recheck: checkQueue.recheck.bind(checkQueue),
  records: runtime.checkRecords(),
};

/**
 * Reviews checks on jobs' messages as the checks queue delivers them, a grace period after each
 * start (src/jobs/reaper/message-checks.ts). A delivery is judged as a whole; if the review fails,
 * its checks come back after their visibility timeout and are judged again (a resend is recorded
 * on the job first, so a second review does not send twice).
 */
export const handler = middy(async (event: SQSEvent) => {
  const checks = event.Records.flatMap((record) => {
    const check = parseMessageCheck(record.body);
    if (!check) logger.warn('not a message check; dropped', { messageId: record.messageId });
    return check ? [check] : [];
  });
  record(await reviewChecks(deps, checks, settings));
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));

function record(review: CheckReview): void {
  const lost = review.resent.filter(({ reason }) => reason !== 'expiring');
  metrics.addMetric(JobMetric.jobsWithoutMessage, MetricUnit.Count, lost.length);
  metrics.addMetric(JobMetric.messagesRefreshed, MetricUnit.Count, review.resent.length - lost.length);
  const oldest = Math.max(0, ...[...review.findings.values()].map((found) => found.oldestWaitMs));
  metrics.addMetric(JobMetric.oldestWaitForMessage, MetricUnit.Seconds, oldest / 1000);
  for (const resend of review.resent)
    logger.warn('job waiting for a message that is gone: sent a fresh one', {
      jobId: resend.job.id,
      queue: resend.queue,
      reason: resend.reason,
      waitedMs: resend.waitedMs,
    });
}
