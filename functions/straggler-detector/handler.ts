import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type CapacityProvisioner, DEFAULT_DETECTOR_SETTINGS, type DetectorSettings, detectStragglers, EcsCapacity, LocalCapacityHook } from '../../src/jobs/speculation/index.ts';
import { CAPACITIES } from '../../src/jobs/model/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import { runtime } from '../../src/aws/runtime.ts';

const logger = new Logger({ serviceName: 'tailguard' });
const metrics = new JobMetricsRecorder(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard-detector' }));
const numberFromEnv = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const settings: DetectorSettings = {
  budgetFraction: numberFromEnv('SPECULATION_BUDGET', DEFAULT_DETECTOR_SETTINGS.budgetFraction),
  slowFactor: numberFromEnv('STRAGGLER_SLOW_FACTOR', DEFAULT_DETECTOR_SETTINGS.slowFactor),
  minSamples: numberFromEnv('STRAGGLER_MIN_SAMPLES', DEFAULT_DETECTOR_SETTINGS.minSamples),
  pendingTimeoutMs: DEFAULT_DETECTOR_SETTINGS.pendingTimeoutMs,
  minElapsedMs: numberFromEnv('STRAGGLER_MIN_ELAPSED_MS', DEFAULT_DETECTOR_SETTINGS.minElapsedMs),
  capacityWaitMs: numberFromEnv('CAPACITY_WAIT_MS', DEFAULT_DETECTOR_SETTINGS.capacityWaitMs),
  backupStartMs: numberFromEnv('STRAGGLER_BACKUP_START_MS', DEFAULT_DETECTOR_SETTINGS.backupStartMs),
};
/** ECS on AWS (the compute stack publishes its services in SSM); the local runtime's hook locally. */
const provisioner: CapacityProvisioner | undefined = process.env.CAPACITY_HOOK_URL
  ? new LocalCapacityHook(process.env.CAPACITY_HOOK_URL)
  : process.env.WORKER_SERVICES_PARAMETER
    ? new EcsCapacity(new ECSClient({}), new SSMClient({}), process.env.WORKER_SERVICES_PARAMETER)
    : undefined;
const intervalMs = numberFromEnv('DETECTOR_INTERVAL_MS', 5000);

/**
 * Straggler detector. EventBridge rules fire at most once a minute, so each invocation loops:
 * a detection pass over every class each DETECTOR_INTERVAL_MS until its (80 s) time is nearly
 * up; the next minute's invocation starts before this one ends, so there is no gap. Detection latency is bounded by the interval plus a
 * heartbeat, not by the rule's minute.
 */
export const handler = middy(async (_event: unknown, context: Context) => {
  const stopAt = Date.now() + context.getRemainingTimeInMillis() - intervalMs - 5000;
  let passes = 0;
  do {
    for (const capacityClass of CAPACITIES) {
      // One failed pass (a throttled read, an unreachable capacity hook) must not end the run.
      const report = await detectStragglers({ store: runtime.store(), stats: runtime.stats(), dispatcher: runtime.dispatcher(), capacity: provisioner, workers: runtime.workers() }, capacityClass, settings).catch(
        (error: Error) => {
          logger.error('detection pass failed', { capacity: capacityClass, error });
          return undefined;
        },
      );
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
      if (report.handedToLeaseLogic.length > 0) logger.info('jobs with stopped heartbeats re-queued for takeover', { capacity: capacityClass, jobs: report.handedToLeaseLogic });
      if (report.addedWorker) logger.info('a backup found no room: asked for another worker', { capacity: capacityClass, outcome: report.addedWorker });
    }
    passes++;
    await sleep(intervalMs);
  } while (Date.now() < stopAt);
  return { passes };
}).use(injectLambdaContext(logger));
