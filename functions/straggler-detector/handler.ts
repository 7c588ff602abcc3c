import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import { CAPACITIES } from '../../src/jobs/model/index.ts';
import {
  type CapacityProvisioner,
  DEFAULT_DETECTOR_SETTINGS,
  type DetectorSettings,
  detectStragglers,
  EcsCapacity,
  LocalCapacityHook,
  runningJobsFromReports,
} from '../../src/jobs/speculation/index.ts';

const logger = new Logger({ serviceName: 'tailguard' });
const metrics = new JobMetricsRecorder(
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard-detector' }),
);
const { intervalMs, capacityHookUrl, workerServicesParameter, ...tuning } = readSection('detector');
const settings: DetectorSettings = { ...DEFAULT_DETECTOR_SETTINGS, ...tuning };
/** ECS on AWS (the construct publishes its worker services in SSM); the local runtime's hook locally. */
const provisioner: CapacityProvisioner | undefined = capacityHookUrl
  ? new LocalCapacityHook(capacityHookUrl)
  : workerServicesParameter
    ? new EcsCapacity(new ECSClient({}), new SSMClient({}), workerServicesParameter)
    : undefined;

/**
 * Straggler detector. EventBridge rules fire at most once a minute, so each invocation loops:
 * a detection pass over every class each `intervalMs` until its (80 s) time is nearly
 * up; the next minute's invocation starts before this one ends, so there is no gap. Detection latency is bounded by the interval plus a
 * heartbeat, not by the rule's minute.
 */
export const handler = middy(async (_event: unknown, context: Context) => {
  const stopAt = Date.now() + context.getRemainingTimeInMillis() - intervalMs - 5000;
  let passes = 0;
  do {
    for (const capacityClass of CAPACITIES) {
      // One failed pass (a throttled read, an unreachable capacity hook) must not end the run.
      const report = await detectStragglers(
        {
          store: runtime.store(),
          running: runningJobsFromReports(runtime.store(), runtime.workers()),
          stats: runtime.stats(),
          turns: runtime.turns(),
          dispatcher: runtime.dispatcher(),
          capacity: provisioner,
          workers: runtime.workers(),
        },
        capacityClass,
        settings,
        context.awsRequestId,
      ).catch((error: Error) => {
        logger.error('detection pass failed', { capacity: capacityClass, error });
        return undefined;
      });
      // Undefined also when another run's pass over the class is under way: it does the work.
      if (!report) continue;
      for (const launched of report.launched) {
        metrics.speculationLaunched(launched.job, launched.elapsedMs);
        logger.info('backup launched for a straggler', {
          jobId: launched.job.id,
          capacity: capacityClass,
          straggler: launched.lease.workerId,
          elapsedMs: launched.elapsedMs,
          estimatedTotalMs: Math.round(launched.estimatedTotalMs),
        });
      }
      if (report.handedToLeaseLogic.length > 0)
        logger.info('jobs with stopped heartbeats re-queued for takeover', {
          capacity: capacityClass,
          jobs: report.handedToLeaseLogic,
        });
      if (report.addedWorker)
        logger.info('a backup found no room: asked for another worker', {
          capacity: capacityClass,
          outcome: report.addedWorker,
        });
    }
    passes++;
    await sleep(intervalMs);
  } while (Date.now() < stopAt);
  return { passes };
}).use(injectLambdaContext(logger));
